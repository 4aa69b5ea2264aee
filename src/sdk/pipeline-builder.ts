import type { DeploymentConfig } from '../contracts/deployment.js';
import type { CreateEvaluationJobRequest } from '../contracts/evaluation-job.js';
import type { RegisterModelPackageRequest } from '../contracts/model-registry.js';
import type { ParameterValue, PipelineDefinition, PipelineParameterType, PipelineStep } from '../contracts/pipeline.js';
import type { CreateTrainingJobRequest } from '../contracts/training-job.js';
import type { CreateTransformJobRequest } from '../contracts/transform-job.js';

/*
 * A small typed builder of pipeline definitions: it produces the same JSON document the API takes.
 * Any value may be a reference — `param('x')` / `{ $param: 'x' }`, or `output('train', 'model')`
 * / `{ $step: 'train', output: 'model' }` — resolved when the step runs.
 */

export type ParamRef = { $param: string };
export type StepRef = { $step: string; output: string };
export type Ref = ParamRef | StepRef;
/** T, or a reference anywhere inside it. */
export type Refable<T> = T extends string | number | boolean ? T | Ref
  : T extends Array<infer U> ? Array<Refable<U>> | Ref
  : T extends object ? { [K in keyof T]: Refable<T[K]> } | Ref
  : T;

/** A reference to a pipeline parameter. */
export const param = (name: string): ParamRef => ({ $param: name });
/** A reference to an output of an earlier step (also makes this step depend on it). */
export const output = (step: string, name: string): StepRef => ({ $step: step, output: name });

/** Options every step has. */
export interface StepOptions {
  dependsOn?: string[];
  /** Reuse an earlier successful run's outputs when the resolved inputs are the same. */
  cache?: boolean;
  retry?: { maxAttempts: number; backoffSeconds?: number };
  description?: string;
}

type Step<T extends PipelineStep['type']> = Extract<PipelineStep, { type: T }>;

type DataFormat = 'csv' | 'parquet' | 'jsonl';

/**
 * A processing step: DuckDB `sql` over dataset inputs into one `output` dataset, or your `script`
 * (SageMaker Processing's contract) over dataset or artifact-prefix inputs into named `outputs`.
 * @example
 * processing('prep', {
 *   inputs: { raw: { dataset: 'churn' } },
 *   script: { source: 'uploads/sources/prep.tar.gz', entryPoint: 'prep.py', arguments: ['--min-age', '18'] },
 *   outputs: { train: { dataset: 'churn-clean' } },
 * })
 */
export function processing(name: string, spec: ({
  inputs: Record<string, { dataset: string | Ref; version?: number | Ref }>;
  sql: string | Ref;
  output: { dataset: string | Ref; format?: DataFormat; header?: boolean };
} | {
  inputs: Record<string, { dataset: string | Ref; version?: number | Ref } | { artifactPrefix: string | Ref }>;
  script: { source: string | Ref; entryPoint?: string; command?: string[]; arguments?: Array<string | Ref> };
  outputs?: Record<string, { dataset?: string | Ref; format?: DataFormat; header?: boolean }>;
  environment?: Record<string, string>;
  instanceType?: string;
  maxRuntimeInSeconds?: number;
}) & StepOptions): Step<'processing'> {
  return { name, type: 'processing', ...spec } as Step<'processing'>;
}

export function training(name: string, request: Refable<Omit<CreateTrainingJobRequest, 'name'>>, opts: StepOptions = {}): Step<'training'> {
  return { name, type: 'training', request: request as Record<string, unknown>, ...opts };
}

export function evaluation(name: string, request: Refable<Omit<CreateEvaluationJobRequest, 'name'>>, opts: StepOptions = {}): Step<'evaluation'> {
  return { name, type: 'evaluation', request: request as Record<string, unknown>, ...opts };
}

/** A condition; steps depending on it run when true, those in `else` when false. */
export function condition(name: string, expression: string, opts: StepOptions & { then?: string[]; else?: string[] } = {}): Step<'condition'> {
  return { name, type: 'condition', expression, ...opts };
}

export function registerModel(name: string, spec: { group: string | Ref; request: Refable<RegisterModelPackageRequest>; aliases?: string[] } & StepOptions): Step<'register-model'> {
  return { name, type: 'register-model', ...spec } as Step<'register-model'>;
}

export function deploy(name: string, spec: { endpoint: string | Ref; model: string | Ref; instanceType?: string; instanceCount?: number; deployment?: DeploymentConfig } & StepOptions): Step<'deploy'> {
  return { name, type: 'deploy', ...spec } as Step<'deploy'>;
}

export function transform(name: string, request: Refable<Omit<CreateTransformJobRequest, 'name'>>, opts: StepOptions = {}): Step<'transform'> {
  return { name, type: 'transform', request: request as Record<string, unknown>, ...opts };
}

export function fail(name: string, message: string | Ref, opts: StepOptions = {}): Step<'fail'> {
  return { name, type: 'fail', message, ...opts } as Step<'fail'>;
}

/** Builds a {@link PipelineDefinition} step by step. */
export class PipelineBuilder {
  readonly #def: PipelineDefinition;

  constructor(name: string) {
    this.#def = { name, parameters: [], steps: [] as unknown as PipelineDefinition['steps'] };
  }

  description(text: string): this {
    this.#def.description = text;
    return this;
  }

  param(name: string, type: PipelineParameterType, defaultValue?: ParameterValue): this {
    this.#def.parameters!.push({ name, type, ...(defaultValue === undefined ? {} : { default: defaultValue }) });
    return this;
  }

  step(step: PipelineStep): this {
    this.#def.steps.push(step);
    return this;
  }

  /** Runs on a 5-field cron, e.g. '0 3 * * *'. */
  schedule(cron: string, parameters?: Record<string, ParameterValue>): this {
    this.#def.schedule = { cron, ...(parameters ? { parameters } : {}) };
    return this;
  }

  onDatasetVersion(dataset: string, parameters?: Record<string, ParameterValue>): this {
    this.#def.trigger = { ...this.#def.trigger, onDatasetVersion: dataset, ...(parameters ? { parameters } : {}) };
    return this;
  }

  onMonitoringAlarm(schedule: string, parameters?: Record<string, ParameterValue>): this {
    this.#def.trigger = { ...this.#def.trigger, onMonitoringAlarm: schedule, ...(parameters ? { parameters } : {}) };
    return this;
  }

  /** The definition, as `client.pipelines.create` and `POST /api/v1/pipelines` take it. */
  build(): PipelineDefinition {
    return structuredClone(this.#def);
  }
}

/**
 * Starts a pipeline definition.
 * @example
 * const def = pipeline('retrain').param('dataset', 'string', 'bc')
 *   .step(training('train', { algorithm: 'linear-learner', hyperparameters: { predictor_type: 'binary_classifier' }, inputs: [{ channel: 'train', dataset: param('dataset') }] }))
 *   .step(condition('better', "steps.train.metrics['train:roc_auc_score'] >= 0.9"))
 *   .step(deploy('deploy', { endpoint: 'bc', model: output('train', 'model'), dependsOn: ['better'] }))
 *   .build();
 */
export const pipeline = (name: string) => new PipelineBuilder(name);
