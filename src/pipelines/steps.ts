import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { CreateEvaluationJobRequest } from '../contracts/evaluation-job.js';
import type { DeploymentConfig } from '../contracts/deployment.js';
import type { CreateEndpointConfigRequest } from '../contracts/endpoint.js';
import type { RegisterModelPackageRequest } from '../contracts/model-registry.js';
import type { CreateTrainingJobRequest } from '../contracts/training-job.js';
import type { CreateTransformJobRequest } from '../contracts/transform-job.js';
import { isPlatformError, PlatformError, validationError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { DatasetService } from '../data/dataset-service.js';
import type { EvaluationService } from '../evaluation/evaluation-service.js';
import type { RegistryService } from '../registry/registry-service.js';
import type { EndpointService } from '../serving/endpoint-service.js';
import type { ModelService } from '../serving/model-service.js';
import { JobFailure } from '../training/job-launch.js';
import type { TrainingService } from '../training/training-service.js';
import type { TransformService } from '../transform/transform-service.js';
import { evaluate, parseExpression } from './expression.js';
import { runProcessing, type ProcessingRequest } from './processing.js';
import type { ScriptProcessingRequest, ScriptProcessor } from './script-processing.js';

/** The services steps drive; evaluation and registry are optional so the engine works without them. */
export interface StepServices {
  datasets: DatasetService;
  artifacts: ArtifactStore;
  training: TrainingService;
  models: ModelService;
  endpoints: EndpointService;
  transforms: TransformService;
  evaluations?: EvaluationService;
  registry?: RegistryService;
  /** Runs processing steps' scripts (script-processing.ts). */
  scripts?: ScriptProcessor;
  log: Logger;
  /** Poll interval of the jobs a step waits for. @defaultValue 250 */
  pollMs?: number;
}

export interface StepRun {
  /** The step's body with references resolved. */
  body: Record<string, unknown>;
  /** A resource name unique to this execution, step and attempt (≤ 63 characters). */
  resourceName: string;
  execution: string;
  params: Record<string, unknown>;
  /** Outputs of finished steps, by step name. */
  outputs: Record<string, Record<string, unknown>>;
  signal: AbortSignal;
  /** Records a resource as soon as it exists, so describe links it while the step runs. */
  created(kind: string, name: string): Promise<void>;
}

/** A step that must not be retried (fail steps, false conditions are not failures at all). */
export class NonRetryableError extends Error {}

export type StepResult = { outputs: Record<string, unknown> };

const TERMINAL = new Set(['Completed', 'Failed', 'Stopped']);

/** Runs one step of the given type to its end; throws with the failure reason. */
export async function runStep(type: string, run: StepRun, svc: StepServices): Promise<StepResult> {
  switch (type) {
    case 'processing': {
      if (run.body.script !== undefined) return scriptProcessing(run, svc);
      const v = await runProcessing(run.body as unknown as ProcessingRequest, svc, run.signal);
      await run.created('dataset', `${v.dataset}:${v.version}`);
      return { outputs: { dataset: v.dataset, version: v.version, rows: v.rows, uri: v.uri } };
    }
    case 'training': return training(run, svc);
    case 'evaluation': return evaluationStep(run, svc);
    case 'condition': return condition(run, svc);
    case 'register-model': return register(run, svc);
    case 'deploy': return deploy(run, svc);
    case 'transform': return transform(run, svc);
    case 'fail': throw new NonRetryableError(String(run.body.message ?? 'failed by a fail step'));
    default: throw validationError(`unknown step type '${type}'`);
  }
}

/** Polls a job until it ends; on abort stops it and waits for it to end. */
async function waitForJob<J extends { status: string; failureReason?: string }>(
  get: () => Promise<J>, stop: () => Promise<unknown>, signal: AbortSignal, pollMs: number, what: string,
): Promise<J> {
  let stopping = false;
  for (;;) {
    const job = await get();
    if (TERMINAL.has(job.status)) {
      if (job.status === 'Completed') return job;
      if (signal.aborted) throw signal.reason;
      throw new Error(`${what} ${job.status}${job.failureReason ? `: ${job.failureReason}` : ''}`);
    }
    if (signal.aborted && !stopping) {
      stopping = true;
      await stop().catch(() => undefined);
    }
    await sleep(pollMs);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A processing step's script: outputs `processingJob`, `outputs` (per output: its artifact prefix
 * and, registered as a dataset, its version), and — when exactly one output is a dataset — that
 * one's `dataset`, `version`, `rows` and `uri`, as a SQL step has them.
 */
async function scriptProcessing(run: StepRun, svc: StepServices): Promise<StepResult> {
  const scripts = svc.scripts;
  if (!scripts) throw new NonRetryableError('script processing steps need the job executor, which this server lacks');
  const name = run.resourceName;
  await run.created('processingJob', name);
  const result = await scripts.run(name, run.body as unknown as ScriptProcessingRequest, run.signal);
  const datasets = Object.entries(result.outputs).filter(([, o]) => o.dataset !== undefined);
  for (const [output, o] of datasets) await run.created(datasets.length === 1 ? 'dataset' : `dataset:${output}`, `${o.dataset}:${o.version}`);
  const only = datasets.length === 1 ? datasets[0][1] : undefined;
  return {
    outputs: {
      processingJob: name, outputs: result.outputs,
      ...(only ? { dataset: only.dataset, version: only.version, rows: only.rows, uri: only.datasetUri } : {}),
    },
  };
}

async function training(run: StepRun, svc: StepServices): Promise<StepResult> {
  const name = run.resourceName;
  const req = { ...(run.body.request as Omit<CreateTrainingJobRequest, 'name'>), name } as CreateTrainingJobRequest;
  await svc.training.create(req);
  await run.created('trainingJob', name);
  const job = await waitForJob(() => svc.training.get(name), () => svc.training.stop(name), run.signal, svc.pollMs ?? 250, `training job '${name}'`);
  const outputs: Record<string, unknown> = {
    trainingJob: name,
    metrics: Object.fromEntries(job.finalMetrics.map((m) => [m.name, m.value])),
    ...(job.modelArtifact ? { modelArtifact: job.modelArtifact } : {}),
  };
  // A built-in algorithm's artifact is servable as is: make it a model, so later steps can deploy or evaluate it.
  if (job.algorithm && job.modelArtifact) {
    await svc.models.createModel({ name, trainingJob: name });
    await run.created('model', name);
    outputs.model = name;
  }
  return { outputs };
}

async function evaluationStep(run: StepRun, svc: StepServices): Promise<StepResult> {
  const evaluations = svc.evaluations;
  if (!evaluations) throw new NonRetryableError('evaluation steps need the evaluation service, which this server lacks');
  const name = run.resourceName;
  await evaluations.create({ ...(run.body.request as Omit<CreateEvaluationJobRequest, 'name'>), name } as CreateEvaluationJobRequest);
  await run.created('evaluationJob', name);
  const job = await waitForJob(() => evaluations.get(name), () => evaluations.stop(name), run.signal, svc.pollMs ?? 250, `evaluation job '${name}'`);
  const metrics = Object.fromEntries(Object.entries(job.summary?.metrics ?? {}).map(([k, v]) => [k, v.mean]));
  const outputs: Record<string, unknown> = { evaluationJob: name, metrics, ...(job.reportUri ? { reportUri: job.reportUri } : {}), ...(job.task ? { task: job.task } : {}) };
  // A hold-out evaluation of a training spec trained one candidate on the training rows only: make
  // it a model, so later steps register and deploy exactly what was scored on the hold-out.
  const trained = job.summary?.trainingJobs ?? [];
  if (trained.length === 1) {
    outputs.trainingJob = trained[0];
    // A script's model answers through the runtime the evaluation names.
    await svc.models.createModel({ name, trainingJob: trained[0], ...job.serving });
    await run.created('model', name);
    outputs.model = name;
  } else if (job.model) {
    outputs.model = job.model;
  }
  return { outputs };
}

async function condition(run: StepRun, svc: StepServices): Promise<StepResult> {
  const registry = svc.registry;
  const functions = {
    /** The model package an alias points at (with its metrics), or null. */
    registry: async (group: unknown, alias: unknown) => {
      if (!registry) throw new NonRetryableError('registry() needs the model registry, which this server lacks');
      if (typeof group !== 'string' || typeof alias !== 'string') throw validationError('registry(group, alias) takes two strings');
      try {
        return JSON.parse(JSON.stringify(await registry.resolveAlias(group, alias))) as unknown;
      } catch (e) {
        if (isPlatformError(e) && (e.code === 'NotFound' || e.code === 'ValidationError')) return null;
        throw e;
      }
    },
  };
  const value = await evaluate(parseExpression(String(run.body.expression)), { params: run.params, steps: run.outputs }, functions);
  return { outputs: { value: value !== null && value !== undefined && value !== false && value !== 0 && value !== '' } };
}

async function register(run: StepRun, svc: StepServices): Promise<StepResult> {
  const registry = svc.registry;
  if (!registry) throw new NonRetryableError('register-model steps need the model registry, which this server lacks');
  const group = String(run.body.group);
  const actor = `pipeline:${run.execution}`;
  try {
    await registry.getGroup(group);
  } catch (e) {
    if (!(isPlatformError(e) && e.code === 'NotFound')) throw e;
    await registry.createGroup({ name: group }, actor).catch((err: unknown) => {
      if (!(isPlatformError(err) && err.code === 'ResourceInUse')) throw err;
    });
  }
  const pkg = await registry.register(group, (run.body.request ?? {}) as RegisterModelPackageRequest, actor);
  await run.created('modelPackage', `${group}/${pkg.version}`);
  for (const alias of (run.body.aliases as string[] | undefined) ?? []) await registry.setAlias(group, alias, pkg.version, actor);
  return { outputs: { group, version: pkg.version, arn: pkg.arn } };
}

async function deploy(run: StepRun, svc: StepServices): Promise<StepResult> {
  const endpoint = String(run.body.endpoint);
  const config = run.resourceName;
  const existing = await svc.endpoints.find(endpoint);
  // An update keeps what the endpoint's current config observes: its data capture (monitoring reads it).
  const current = existing ? await svc.endpoints.get(endpoint).then((e) => svc.models.configSpec(e.config)).catch(() => undefined) : undefined;
  await svc.models.createConfig({
    name: config,
    ...(current?.dataCapture ? { dataCapture: current.dataCapture as unknown as CreateEndpointConfigRequest['dataCapture'] } : {}),
    variants: [{
      name: 'AllTraffic', model: String(run.body.model),
      ...(run.body.instanceType ? { instanceType: String(run.body.instanceType) } : {}),
      ...(run.body.instanceCount ? { instanceCount: Number(run.body.instanceCount) } : {}),
    }],
  });
  await run.created('endpointConfig', config);
  if (existing) await svc.endpoints.update(endpoint, config, run.body.deployment as DeploymentConfig | undefined);
  else await svc.endpoints.create({ name: endpoint, config });
  await run.created('endpoint', endpoint);
  for (;;) {
    const ep = await svc.endpoints.get(endpoint);
    if (ep.status === 'InService' && !ep.pendingDeployment) {
      if (ep.config !== config) throw new Error(`endpoint '${endpoint}' rolled back to config '${ep.config}'${ep.failureReason ? `: ${ep.failureReason}` : ''}`);
      return { outputs: { endpoint, config } };
    }
    if (ep.status === 'Failed' || ep.status === 'OutOfService') throw new Error(`endpoint '${endpoint}' is ${ep.status}${ep.failureReason ? `: ${ep.failureReason}` : ''}`);
    // An endpoint update is not stopped halfway: its rollout has its own timeout and rollback.
    if (run.signal.aborted && ep.status !== 'Updating' && ep.status !== 'Creating') throw run.signal.reason;
    await sleep(svc.pollMs ?? 250);
  }
}

async function transform(run: StepRun, svc: StepServices): Promise<StepResult> {
  const name = run.resourceName;
  await svc.transforms.create({ ...(run.body.request as Omit<CreateTransformJobRequest, 'name'>), name } as CreateTransformJobRequest);
  await run.created('transformJob', name);
  const job = await waitForJob(() => svc.transforms.get(name), () => svc.transforms.stop(name), run.signal, svc.pollMs ?? 250, `transform job '${name}'`);
  return { outputs: { transformJob: name, ...(job.outputArtifact ? { outputPrefix: job.outputArtifact } : {}) } };
}

/** A short reason for a step's failure: a platform error's or a job's own failure message, else the error's first line. */
export function reasonOf(e: unknown): string {
  if (e instanceof PlatformError || e instanceof JobFailure) return e.message;
  return (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 2000);
}
