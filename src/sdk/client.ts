import { AlgorithmsApi } from './resources/algorithms.js';
import { ArtifactsApi } from './resources/artifacts.js';
import { DatasetsApi } from './resources/datasets.js';
import { EndpointConfigsApi } from './resources/endpoint-configs.js';
import { EndpointsApi } from './resources/endpoints.js';
import { ExperimentsApi } from './resources/experiments.js';
import { AccessKeysApi } from './resources/access-keys.js';
import { ClusterApi } from './resources/cluster.js';
import { ModelsApi } from './resources/models.js';
import { TrainingJobsApi } from './resources/training-jobs.js';
import { TransformJobsApi } from './resources/transform-jobs.js';
import { EvaluationJobsApi } from './resources/evaluation-jobs.js';
import { MonitoringApi } from './resources/monitoring.js';
import { ModelPackageGroupsApi } from './resources/model-package-groups.js';
import { PipelinesApi } from './resources/pipelines.js';
import { OnlineEvaluationsApi } from './resources/online-evaluations.js';
import { Transport } from './transport.js';

/** Options of {@link StratusClient}. */
export interface StratusClientOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Bearer token; see {@link findLocalToken} for a local server's. */
  token?: string;
  /** A fetch to use instead of the global one (tests, proxies). @defaultValue `globalThis.fetch` */
  fetch?: typeof fetch;
}

/**
 * A typed client of the Stratus REST API. Every call returns the API's resources as typed in
 * `stratus/contracts`, and fails with a {@link StratusApiError}.
 *
 * @example
 * import { StratusClient, findLocalToken } from 'stratus/sdk';
 *
 * const stratus = new StratusClient({ url: 'http://127.0.0.1:8080', token: findLocalToken(process.env) });
 * await stratus.datasets.upload('breast-cancer', './breast_cancer.csv', { header: false });
 * await stratus.trainingJobs.create({
 *   name: 'bc-1',
 *   algorithm: 'linear-learner',
 *   hyperparameters: { predictor_type: 'binary_classifier', epochs: '10' },
 *   inputs: [{ channel: 'train', dataset: 'breast-cancer' }],
 * });
 * const job = await stratus.trainingJobs.waitFor('bc-1');
 * if (job.status !== 'Completed') throw new Error(job.failureReason);
 * await stratus.models.create({ name: 'bc-model', trainingJob: 'bc-1' });
 * await stratus.endpointConfigs.create({ name: 'bc-config', variants: [{ name: 'AllTraffic', model: 'bc-model' }] });
 * await stratus.endpoints.create({ name: 'bc', config: 'bc-config' });
 * await stratus.endpoints.waitFor('bc', 'InService');
 * const { body } = await stratus.endpoints.invoke('bc', '17.99,10.38,122.8,1001,0.1184');
 */
export class StratusClient {
  /** The base URL calls go to, without a trailing slash. */
  readonly url: string;
  readonly datasets: DatasetsApi;
  readonly trainingJobs: TrainingJobsApi;
  readonly experiments: ExperimentsApi;
  readonly transformJobs: TransformJobsApi;
  readonly evaluationJobs: EvaluationJobsApi;
  /** Model monitoring: baselines, schedules, reports, alarms. */
  readonly monitoring: MonitoringApi;
  /** A candidate variant against production on live traffic, and its promotion. */
  readonly onlineEvaluations: OnlineEvaluationsApi;
  /** The model registry. */
  readonly modelPackageGroups: ModelPackageGroupsApi;
  /** Pipelines and their executions (build definitions with `pipeline()`). */
  readonly pipelines: PipelinesApi;
  readonly models: ModelsApi;
  readonly endpointConfigs: EndpointConfigsApi;
  readonly endpoints: EndpointsApi;
  readonly algorithms: AlgorithmsApi;
  readonly artifacts: ArtifactsApi;
  /** SigV4 access keys of the SageMaker-compatible API. */
  readonly accessKeys: AccessKeysApi;
  /** The API nodes and the executor (admin only). */
  readonly cluster: ClusterApi;
  readonly #transport: Transport;

  constructor(opts: StratusClientOptions) {
    this.#transport = new Transport(opts.url, opts.token, opts.fetch ?? globalThis.fetch);
    this.url = this.#transport.baseUrl;
    this.datasets = new DatasetsApi(this.#transport);
    this.trainingJobs = new TrainingJobsApi(this.#transport);
    this.experiments = new ExperimentsApi(this.#transport);
    this.transformJobs = new TransformJobsApi(this.#transport);
    this.evaluationJobs = new EvaluationJobsApi(this.#transport);
    this.monitoring = new MonitoringApi(this.#transport);
    this.onlineEvaluations = new OnlineEvaluationsApi(this.#transport);
    this.modelPackageGroups = new ModelPackageGroupsApi(this.#transport);
    this.pipelines = new PipelinesApi(this.#transport);
    this.models = new ModelsApi(this.#transport);
    this.endpointConfigs = new EndpointConfigsApi(this.#transport);
    this.endpoints = new EndpointsApi(this.#transport);
    this.algorithms = new AlgorithmsApi(this.#transport);
    this.artifacts = new ArtifactsApi(this.#transport);
    this.accessKeys = new AccessKeysApi(this.#transport);
    this.cluster = new ClusterApi(this.#transport);
  }

  /** Resolves when the server answers `GET /health`. Needs no token. */
  health(): Promise<{ status: string }> {
    return this.#transport.json({ path: '/health' });
  }
}
