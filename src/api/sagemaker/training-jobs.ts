import type { MetricPoint, TrainingJobRecord } from '../../store/metadata-store.js';
import type { NormalizedTrainingJobSpec } from '../../training/job-spec.js';
import { jobKeys } from '../../training/training-service.js';
import { finalMetrics } from '../../training/job-view.js';
import { arnOf, BUCKET, epoch, listAll, pageOf, s3UrlOf, type OpContext, type Operation } from './context.js';
import { validationException } from './errors.js';
import { createTrainingJob } from './create-training-job.js';
import { imageOf } from './images.js';
import { listInput, name, req, str, struct, timestamp, unsupported } from './shape.js';

const TRAINING_STATUSES = ['InProgress', 'Completed', 'Failed', 'Stopping', 'Stopped', 'Deleting'];
const notFound = () => validationException('Requested resource not found.');

async function findJob(ctx: OpContext, n: string): Promise<TrainingJobRecord> {
  const r = await ctx.platform.store.trainingJobs.find(n);
  if (!r) throw notFound();
  return r;
}

function s3OfUri(ctx: OpContext, uri: string): string {
  try {
    return s3UrlOf(ctx.platform.artifacts.keyOf(uri));
  } catch {
    return uri;
  }
}

async function inputDataConfig(ctx: OpContext, spec: NormalizedTrainingJobSpec) {
  const channels = [];
  for (const input of spec.inputs) {
    const version = input.dataset === undefined ? undefined : await ctx.platform.store.datasets.getVersion(input.dataset, input.version).catch(() => undefined);
    const uri = input.artifactPrefix !== undefined ? s3UrlOf(input.artifactPrefix) : version ? s3OfUri(ctx, version.uri) : `s3://${BUCKET}/datasets/${input.dataset}`;
    channels.push({
      ChannelName: input.channel,
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: uri, S3DataDistributionType: 'FullyReplicated' } },
      ...(input.contentType ? { ContentType: input.contentType } : {}),
      CompressionType: 'None',
      InputMode: 'File',
    });
  }
  return channels;
}

/**
 * DescribeTrainingJob (reference §2.2): the job's state, over the request members a job created
 * through CreateTrainingJob gave (kept in resource_documents and echoed as given).
 */
async function describe(ctx: OpContext, r: TrainingJobRecord, metrics: MetricPoint[]) {
  const doc = await ctx.platform.store.resourceDocuments.find({ kind: 'training-job', name: r.name, createdAt: r.createdAt });
  return { ...(await nativeView(ctx, r, metrics)), ...doc };
}

/** DescribeTrainingJob's view of a native training job. */
async function nativeView(ctx: OpContext, r: TrainingJobRecord, metrics: MetricPoint[]) {
  const spec = r.spec as unknown as NormalizedTrainingJobSpec;
  const trainingStart = r.transitions.find((t) => t.status === 'Training')?.startTime;
  const seconds = (from: Date | undefined, to: Date | undefined) => (from && to ? Math.max(1, Math.round((to.getTime() - from.getTime()) / 1000)) : undefined);
  const trainingTime = seconds(trainingStart, r.endedAt);
  return {
    TrainingJobName: r.name,
    TrainingJobArn: arnOf(ctx, 'training-job', r.name),
    ModelArtifacts: { S3ModelArtifacts: r.modelArtifactUri ? s3OfUri(ctx, r.modelArtifactUri) : s3UrlOf(jobKeys(r.name).model) },
    TrainingJobStatus: r.status,
    SecondaryStatus: r.secondaryStatus,
    ...(r.failureReason ? { FailureReason: r.failureReason.slice(0, 1024) } : {}),
    HyperParameters: spec.hyperparameters,
    AlgorithmSpecification: {
      TrainingImage: spec.algorithm ? imageOf(spec.algorithm) : 'stratus/script:latest',
      TrainingInputMode: 'File',
      MetricDefinitions: spec.metricDefinitions.map((m) => ({ Name: m.name, Regex: m.regex })),
    },
    InputDataConfig: await inputDataConfig(ctx, spec),
    OutputDataConfig: { S3OutputPath: `s3://${BUCKET}/training-jobs` },
    ResourceConfig: { InstanceType: spec.resources.instanceType, InstanceCount: spec.resources.instanceCount, VolumeSizeInGB: 1 },
    StoppingCondition: { MaxRuntimeInSeconds: spec.stoppingCondition.maxRuntimeInSeconds },
    CreationTime: epoch(r.createdAt),
    ...(r.startedAt ? { TrainingStartTime: epoch(r.startedAt) } : {}),
    ...(r.endedAt ? { TrainingEndTime: epoch(r.endedAt) } : {}),
    LastModifiedTime: epoch(r.updatedAt),
    SecondaryStatusTransitions: r.transitions.map((t) => ({
      Status: t.status,
      StartTime: epoch(t.startTime),
      ...(t.endTime ? { EndTime: epoch(t.endTime) } : {}),
      ...(t.message ? { StatusMessage: t.message } : {}),
    })),
    FinalMetricDataList: finalMetrics(metrics).map((m) => ({ MetricName: m.name, Value: m.value, Timestamp: new Date(m.timestamp).getTime() / 1000 })),
    ...(trainingTime ? { TrainingTimeInSeconds: trainingTime } : {}),
    ...(r.billableSeconds !== undefined ? { BillableTimeInSeconds: Math.max(1, Math.ceil(r.billableSeconds)) } : {}),
    ...(spec.environment ? { Environment: spec.environment } : {}),
    ...(spec.checkpoint ? { CheckpointConfig: { S3Uri: s3UrlOf(spec.checkpoint.artifactPrefix), LocalPath: spec.checkpoint.localPath } } : {}),
    EnableNetworkIsolation: false,
    EnableInterContainerTrafficEncryption: false,
    EnableManagedSpotTraining: false,
  };
}

export const trainingJobOperations: Record<string, Operation> = {
  CreateTrainingJob: createTrainingJob,

  DescribeTrainingJob: {
    readOnly: true,
    input: struct({ TrainingJobName: req(name()) }),
    async run(input, ctx) {
      const r = await findJob(ctx, input.TrainingJobName);
      return describe(ctx, r, await ctx.platform.store.trainingJobs.metrics(r.name));
    },
  },

  ListTrainingJobs: {
    readOnly: true,
    input: struct(listInput(['Name', 'CreationTime', 'Status'], {
      LastModifiedTimeBefore: timestamp(),
      LastModifiedTimeAfter: timestamp(),
      StatusEquals: str({ enum: TRAINING_STATUSES }),
      WarmPoolStatusEquals: unsupported('warm pools do not exist here'),
      TrainingPlanArnEquals: unsupported('training plans do not exist here'),
    })),
    async run(input, ctx) {
      const all = (await listAll((q) => ctx.platform.store.trainingJobs.list(q))).map((r) => ({ ...r, modifiedAt: r.updatedAt }));
      const page = pageOf(all, input);
      return {
        TrainingJobSummaries: page.items.map((r) => ({
          TrainingJobName: r.name,
          TrainingJobArn: arnOf(ctx, 'training-job', r.name),
          CreationTime: epoch(r.createdAt),
          ...(r.endedAt ? { TrainingEndTime: epoch(r.endedAt) } : {}),
          LastModifiedTime: epoch(r.updatedAt),
          TrainingJobStatus: r.status,
          SecondaryStatus: r.secondaryStatus,
        })),
        ...(page.nextToken ? { NextToken: page.nextToken } : {}),
      };
    },
  },

  StopTrainingJob: {
    readOnly: false,
    input: struct({ TrainingJobName: req(name()) }),
    async run(input, ctx) {
      const r = await findJob(ctx, input.TrainingJobName);
      if (r.status !== 'InProgress') throw validationException(`The request was rejected because the training job is in status ${r.status}.`);
      await ctx.platform.training.stop(r.name);
      return {};
    },
  },
};
