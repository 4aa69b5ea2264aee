import type { TrainingJob } from '../contracts/training-job.js';
import type { MetricPoint, TrainingJobRecord } from '../store/metadata-store.js';
import type { NormalizedTrainingJobSpec } from './job-spec.js';

const iso = (d: Date | undefined) => d?.toISOString();

/** Last value of each metric, as SageMaker's FinalMetricDataList. */
export function finalMetrics(points: MetricPoint[]) {
  const last = new Map<string, MetricPoint>();
  for (const p of points) last.set(p.name, p);
  return [...last.values()].map((p) => ({ name: p.name, value: p.value, timestamp: p.timestamp.toISOString() }));
}

/** The API view of a training job record. */
export function toTrainingJob(r: TrainingJobRecord, metrics: MetricPoint[]): TrainingJob {
  const spec = r.spec as unknown as NormalizedTrainingJobSpec;
  const trainingStart = r.transitions.find((t) => t.status === 'Training')?.startTime;
  return {
    name: r.name,
    arn: r.arn,
    ...(spec.algorithm ? { algorithm: spec.algorithm } : {}),
    ...(spec.script ? { script: spec.script } : {}),
    ...(spec.environment ? { environment: spec.environment } : {}),
    ...(spec.checkpoint ? { checkpointConfig: spec.checkpoint } : {}),
    ...(spec.retryOf ? { retryOf: spec.retryOf } : {}),
    ...(spec.retryStrategy ? { retryStrategy: spec.retryStrategy } : {}),
    hyperparameters: spec.hyperparameters,
    inputs: spec.inputs,
    resources: spec.resources,
    stoppingCondition: spec.stoppingCondition,
    metricDefinitions: spec.metricDefinitions,
    ...(spec.tags ? { tags: spec.tags } : {}),
    experiment: r.experiment,
    status: r.status,
    secondaryStatus: r.secondaryStatus,
    statusHistory: r.transitions.map((t) => ({
      status: t.status,
      startTime: t.startTime.toISOString(),
      ...(t.endTime ? { endTime: t.endTime.toISOString() } : {}),
      ...(t.message ? { message: t.message } : {}),
    })),
    ...(r.failureReason ? { failureReason: r.failureReason } : {}),
    ...(r.modelArtifactUri ? { modelArtifact: r.modelArtifactUri } : {}),
    ...(r.outputArtifactUri ? { outputArtifact: r.outputArtifactUri } : {}),
    finalMetrics: finalMetrics(metrics),
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    ...(r.startedAt ? { startedAt: iso(r.startedAt) } : {}),
    ...(r.endedAt ? { endedAt: iso(r.endedAt) } : {}),
    ...(trainingStart && r.endedAt ? { trainingTimeSeconds: Math.max(0, (r.endedAt.getTime() - trainingStart.getTime()) / 1000) } : {}),
    ...(r.billableSeconds !== undefined ? { billableSeconds: r.billableSeconds } : {}),
  };
}
