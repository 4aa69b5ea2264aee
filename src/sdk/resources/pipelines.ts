import type { Static } from '@sinclair/typebox';
import type { ListQuery } from '../../contracts/common.js';
import type {
  ParameterValue, Pipeline, PipelineDefinition, PipelineExecution, PipelineExecutionList, PipelineExecutionListQuery, PipelineList, UpdatePipelineRequest,
} from '../../contracts/pipeline.js';
import { pollUntil, type WaitOptions } from '../poll.js';
import { pathOf, type Transport } from '../transport.js';

const BASE = '/api/v1/pipelines';
const EXECUTIONS = '/api/v1/pipeline-executions';

/** Whether an execution has ended. */
export const isExecutionDone = (status: string) => ['Succeeded', 'Failed', 'Stopped'].includes(status);

/**
 * Pipelines (DAGs of processing, training, evaluation, condition, register, deploy, transform and
 * fail steps) and their executions. Build definitions with `pipeline()` from `stratus/sdk`.
 */
export class PipelinesApi {
  constructor(readonly transport: Transport) {}

  /**
   * Creates a pipeline (version 1).
   * @example
   * import { pipeline, processing, training, condition, deploy } from 'stratus/sdk';
   * await client.pipelines.create(pipeline('retrain').param('minAuc', 'number', 0.9)
   *   .step(training('train', { algorithm: 'linear-learner', hyperparameters: { predictor_type: 'binary_classifier' }, inputs: [{ channel: 'train', dataset: 'bc' }] }))
   *   .step(condition('good', "steps.train.metrics['train:roc_auc_score'] >= params.minAuc"))
   *   .step(deploy('deploy', { endpoint: 'bc', model: { $step: 'train', output: 'model' }, dependsOn: ['good'] }))
   *   .build());
   */
  create(definition: PipelineDefinition): Promise<Pipeline> {
    return this.transport.json({ method: 'POST', path: BASE, body: definition });
  }

  /** Adds the next version of the definition. */
  update(name: string, definition: UpdatePipelineRequest | PipelineDefinition): Promise<Pipeline> {
    const { name: _name, ...body } = definition as PipelineDefinition;
    return this.transport.json({ method: 'PUT', path: pathOf(BASE, name), body });
  }

  get(name: string, version?: number): Promise<Pipeline> {
    return this.transport.json({ path: pathOf(BASE, name), query: version === undefined ? {} : { version } });
  }

  list(query: Static<typeof ListQuery> = {}): Promise<PipelineList> {
    return this.transport.json({ path: BASE, query });
  }

  async delete(name: string): Promise<void> {
    await this.transport.json({ method: 'DELETE', path: pathOf(BASE, name) });
  }

  /** Starts an execution; parameters not given take their defaults. */
  start(name: string, parameters: Record<string, ParameterValue> = {}, opts: { version?: number } = {}): Promise<PipelineExecution> {
    return this.transport.json({ method: 'POST', path: pathOf(BASE, name, 'executions'), body: { parameters, ...opts } });
  }

  /** Executions of one pipeline, newest first. */
  executions(name: string, query: Omit<PipelineExecutionListQuery, 'pipeline'> = {}): Promise<PipelineExecutionList> {
    return this.transport.json({ path: pathOf(BASE, name, 'executions'), query });
  }

  listExecutions(query: PipelineExecutionListQuery = {}): Promise<PipelineExecutionList> {
    return this.transport.json({ path: EXECUTIONS, query });
  }

  /** An execution with its per-step status, timing, outputs, failure reasons and resources. */
  execution(id: string): Promise<PipelineExecution> {
    return this.transport.json({ path: pathOf(EXECUTIONS, id) });
  }

  stopExecution(id: string): Promise<PipelineExecution> {
    return this.transport.json({ method: 'POST', path: pathOf(EXECUTIONS, id, 'stop') });
  }

  /** A step's log as text: the logs of the jobs it ran (a processing script, a training job), live while they run. */
  async stepLog(id: string, step: string): Promise<string> {
    const res = await this.transport.send({ path: pathOf(EXECUTIONS, id, 'steps', step, 'logs'), headers: { accept: 'text/plain' } });
    return res.text();
  }

  /** Polls until the execution is Succeeded, Failed or Stopped (it does not throw for a failed one). */
  waitForExecution(id: string, opts: WaitOptions<PipelineExecution> = {}): Promise<PipelineExecution> {
    return pollUntil(`pipeline execution ${id}`, () => this.execution(id), (e) => isExecutionDone(e.status), opts);
  }
}
