import { CreateTrainingJobRequest } from '../../contracts/training-job.js';
import { isPlatformError } from '../../core/errors.js';
import { INSTANCE_TYPES } from '../../core/instance-types.js';
import { arnOf, keyOfS3Url, tagMap, type OpContext, type Operation } from './context.js';
import { AwsError, constraintError, validationException } from './errors.js';
import { algorithmOfImage, isFrameworkImage } from './images.js';
import { roleArn, vpcConfig } from './models.js';
import { checkNative } from './native-check.js';
import { datasetVersionOfKey, prefixOfS3Url, sourceKeyOf } from './s3-sources.js';
import { bool, int, list, map, name, opaque, req, str, struct, tags, unsupported } from './shape.js';

/*
 * CreateTrainingJob (reference §2.1) onto the native training service. Every member is either
 * mapped, accepted and echoed by DescribeTrainingJob without effect (debugger, profiler, VPC,
 * role: documented as such), or refused by name.
 */

const S3_URL = str({ max: 1024, pattern: '^(https|s3)://([^/]+)/?(.*)$' });
const MAX_RUNTIME = 2_419_200;

const channel = struct({
  ChannelName: req(str({ min: 1, max: 64, pattern: '^[A-Za-z0-9\\.\\-_]+$' })),
  DataSource: req(struct({
    S3DataSource: req(struct({
      S3DataType: req(str({ enum: ['ManifestFile', 'S3Prefix', 'AugmentedManifestFile', 'Converse'] })),
      S3Uri: req(S3_URL),
      S3DataDistributionType: str({ enum: ['FullyReplicated', 'ShardedByS3Key'] }),
      AttributeNames: unsupported('augmented manifests are not supported'),
      InstanceGroupNames: unsupported('instance groups are not supported'),
      ModelAccessConfig: unsupported('gated models do not exist here'),
      HubAccessConfig: unsupported('SageMaker hubs do not exist here'),
    })),
    FileSystemDataSource: unsupported('EFS and FSx file systems are not available; give an S3DataSource'),
    DatasetSource: unsupported('give an S3DataSource'),
  })),
  ContentType: str({ max: 256 }),
  CompressionType: str({ enum: ['None', 'Gzip'] }),
  RecordWrapperType: str({ enum: ['None', 'RecordIO'] }),
  InputMode: str({ enum: ['Pipe', 'File', 'FastFile'] }),
  ShuffleConfig: unsupported('channel shuffling is not supported'),
});

export const createTrainingJobShape = struct({
  TrainingJobName: req(name()),
  HyperParameters: map(str({ max: 2500 }), { key: str({ max: 256 }), max: 100 }),
  AlgorithmSpecification: req(struct({
    TrainingImage: req(str({ max: 255 })),
    AlgorithmName: unsupported('algorithm resources do not exist here; give TrainingImage'),
    TrainingInputMode: req(str({ enum: ['Pipe', 'File', 'FastFile'] })),
    MetricDefinitions: list(struct({ Name: req(str({ min: 1, max: 255 })), Regex: req(str({ min: 1, max: 500 })) }), { max: 40 }),
    EnableSageMakerMetricsTimeSeries: bool(),
    ContainerEntrypoint: list(str({ max: 256 }), { min: 1, max: 100 }),
    ContainerArguments: list(str({ max: 256 }), { min: 1, max: 100 }),
    TrainingImageConfig: opaque(),
  })),
  RoleArn: req(roleArn),
  InputDataConfig: list(channel, { min: 1, max: 20 }),
  OutputDataConfig: req(struct({
    S3OutputPath: req(S3_URL),
    KmsKeyId: unsupported('KMS encryption is not available; artifacts are stored unencrypted in the artifact store'),
    CompressionType: str({ enum: ['GZIP', 'NONE'] }),
  })),
  ResourceConfig: req(struct({
    InstanceType: req(str()),
    InstanceCount: req(int({ min: 0 })),
    VolumeSizeInGB: int({ min: 0 }),
    VolumeKmsKeyId: unsupported('volume encryption does not apply: jobs run in a local folder'),
    KeepAlivePeriodInSeconds: unsupported('warm pools do not exist here'),
    InstanceGroups: unsupported('heterogeneous clusters are not supported'),
    TrainingPlanArn: unsupported('training plans do not exist here'),
    InstancePlacementConfig: unsupported('instance placement does not apply'),
  })),
  VpcConfig: vpcConfig,
  StoppingCondition: req(struct({
    MaxRuntimeInSeconds: int({ min: 1 }),
    MaxWaitTimeInSeconds: unsupported('managed spot training does not exist here'),
    MaxPendingTimeInSeconds: unsupported('a job waits for capacity without a limit'),
  })),
  Tags: tags,
  EnableNetworkIsolation: bool(),
  EnableInterContainerTrafficEncryption: bool(),
  EnableManagedSpotTraining: bool(),
  CheckpointConfig: struct({ S3Uri: req(S3_URL), LocalPath: str({ max: 4096 }) }),
  DebugHookConfig: opaque(),
  DebugRuleConfigurations: opaque(),
  TensorBoardOutputConfig: opaque(),
  ExperimentConfig: struct({
    ExperimentName: str({ min: 1, max: 120, pattern: '^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,119}$' }),
    TrialName: str({ min: 1, max: 120 }),
    TrialComponentDisplayName: str({ min: 1, max: 120 }),
    RunName: str({ min: 1, max: 120 }),
  }),
  ProfilerConfig: opaque(),
  ProfilerRuleConfigurations: opaque(),
  Environment: map(str({ max: 512 }), { key: str({ max: 512, pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' }), max: 100 }),
  RetryStrategy: unsupported('automatic retries are not available; create a new job (the native API can resume from checkpoints with retryOf)'),
  RemoteDebugConfig: struct({ EnableRemoteDebug: bool() }),
  InfraCheckConfig: opaque(),
  SessionChainingConfig: opaque(),
  ServerlessJobConfig: unsupported('serverless model customization does not exist here'),
  MlflowConfig: unsupported('MLflow tracking servers do not exist here; every job is a run of a Stratus experiment'),
  ModelPackageConfig: unsupported('the model registry is not available through this API yet'),
});

/** Request members kept for DescribeTrainingJob to echo (the rest is computed from the job). */
const ECHOED = [
  'HyperParameters', 'AlgorithmSpecification', 'RoleArn', 'InputDataConfig', 'OutputDataConfig', 'ResourceConfig', 'VpcConfig',
  'StoppingCondition', 'EnableNetworkIsolation', 'EnableInterContainerTrafficEncryption', 'EnableManagedSpotTraining', 'CheckpointConfig',
  'DebugHookConfig', 'DebugRuleConfigurations', 'TensorBoardOutputConfig', 'ExperimentConfig', 'ProfilerConfig', 'ProfilerRuleConfigurations',
  'Environment', 'RemoteDebugConfig', 'InfraCheckConfig', 'SessionChainingConfig',
] as const;

const refuse = (path: string, why: string) => validationException(`'${path}' ${why}`);

/**
 * A hyperparameter as the SageMaker training toolkit reads it: the Python SDK JSON-encodes every
 * value (`"\"train.py\""`), so a value that parses as a JSON string is that string; anything else
 * is kept as given (reference §4.4).
 */
export function decodeHyperparameter(value: string): string {
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'string' ? parsed : value;
  } catch {
    return value;
  }
}

type Channel = NonNullable<CreateTrainingJobRequest['inputs']>[number];

async function channelOf(ctx: OpContext, c: Record<string, any>, i: number): Promise<Channel> {
  const path = `inputDataConfig.${i + 1}.member`;
  const s3 = c.DataSource.S3DataSource as Record<string, string>;
  if (s3.S3DataType !== 'S3Prefix') throw refuse(`${path}.dataSource.s3DataSource.s3DataType`, `${s3.S3DataType} is not supported by Stratus; use S3Prefix.`);
  if (c.CompressionType === 'Gzip') throw refuse(`${path}.compressionType`, 'Gzip is not supported by Stratus; give uncompressed files (None).');
  if (c.RecordWrapperType === 'RecordIO') throw refuse(`${path}.recordWrapperType`, 'RecordIO is not supported by Stratus; use None.');
  if (c.InputMode === 'Pipe') throw refuse(`${path}.inputMode`, 'Pipe is not supported by Stratus; use File or FastFile (both download the files before training).');
  const uriPath = `${path}.dataSource.s3DataSource.s3Uri`;
  // SageMaker's built-in XGBoost takes 'csv' as well as 'text/csv'.
  const contentType = c.ContentType === 'csv' ? 'text/csv' : (c.ContentType as string | undefined);
  const distribution = s3.S3DataDistributionType as 'FullyReplicated' | 'ShardedByS3Key' | undefined;
  const extra = { ...(contentType ? { contentType } : {}), ...(distribution ? { distribution } : {}) };
  const key = keyOfS3Url(s3.S3Uri, uriPath);
  const version = await datasetVersionOfKey(ctx, key);
  if (version) return { channel: c.ChannelName, dataset: version.datasetName, version: version.version, ...extra };
  await prefixOfS3Url(ctx, s3.S3Uri, uriPath);
  return { channel: c.ChannelName, artifactPrefix: key, ...extra };
}

function checkpointOf(c: { S3Uri: string; LocalPath?: string } | undefined) {
  if (!c) return {};
  const artifactPrefix = keyOfS3Url(c.S3Uri, 'checkpointConfig.s3Uri').replace(/\/+$/, '');
  if (!artifactPrefix.startsWith('checkpoints/')) {
    throw refuse('checkpointConfig.s3Uri', `must name a prefix under checkpoints/ (e.g. s3://<any bucket>/checkpoints/<job>/), so a job cannot overwrite datasets or other outputs; got "${c.S3Uri}".`);
  }
  const local = c.LocalPath ?? '/opt/ml/checkpoints';
  if (!local.startsWith('/opt/ml/') || local.length <= '/opt/ml/'.length) {
    throw refuse('checkpointConfig.localPath', `must be a folder under /opt/ml/ (the job folder; default /opt/ml/checkpoints); got "${local}".`);
  }
  return { checkpointConfig: { artifactPrefix, localPath: local.slice('/opt/ml/'.length).replace(/\/+$/, '') } };
}

/** @param multiInstance the server places jobs on a cluster (Slurm), so InstanceCount may exceed 1. */
function checkResources(input: Record<string, any>, multiInstance: boolean) {
  const r = input.ResourceConfig as { InstanceType: string; InstanceCount: number };
  if (!INSTANCE_TYPES.has(r.InstanceType)) {
    throw constraintError(r.InstanceType, 'resourceConfig.instanceType', `Member must be an instance type Stratus has: [${[...INSTANCE_TYPES.keys()].join(', ')}]`);
  }
  if (r.InstanceCount < 1) throw constraintError(String(r.InstanceCount), 'resourceConfig.instanceCount', 'Member must have value greater than or equal to 1');
  if (r.InstanceCount > 1 && !multiInstance) {
    throw refuse('resourceConfig.instanceCount', `${r.InstanceCount} is not supported by this server: it trains on one machine (executor 'local'). Multi-instance training needs the Slurm executor (STRATUS_EXECUTOR=slurm, see docs/cluster.md).`);
  }
  const max = input.StoppingCondition.MaxRuntimeInSeconds;
  if (max !== undefined && max > MAX_RUNTIME) throw constraintError(String(max), 'stoppingCondition.maxRuntimeInSeconds', `Member must have value less than or equal to ${MAX_RUNTIME}`);
  if (input.OutputDataConfig.CompressionType === 'NONE') throw refuse('outputDataConfig.compressionType', 'NONE is not supported by Stratus: model.tar.gz is always compressed (GZIP).');
  if (input.EnableManagedSpotTraining === true) throw refuse('enableManagedSpotTraining', 'true is not supported by Stratus: there is no spot capacity here.');
  if (input.RemoteDebugConfig?.EnableRemoteDebug === true) throw refuse('remoteDebugConfig.enableRemoteDebug', 'true is not supported by Stratus.');
  if (input.AlgorithmSpecification.TrainingInputMode === 'Pipe') {
    throw refuse('algorithmSpecification.trainingInputMode', 'Pipe is not supported by Stratus; use File or FastFile (both download the files before training).');
  }
}

/** The native `algorithm` or `script` of a request; uploads a file:// source (returned to clean up). */
async function codeOf(ctx: OpContext, input: Record<string, any>): Promise<{ code: Pick<CreateTrainingJobRequest, 'algorithm' | 'script'>; uploaded?: string }> {
  const spec = input.AlgorithmSpecification as { TrainingImage: string; ContainerEntrypoint?: string[]; ContainerArguments?: string[] };
  const hps = (input.HyperParameters ?? {}) as Record<string, string>;
  const program = hps.sagemaker_program === undefined ? undefined : decodeHyperparameter(hps.sagemaker_program);
  const entry = spec.ContainerEntrypoint;
  if (spec.ContainerArguments && !entry) {
    throw refuse('algorithmSpecification.containerArguments', "without ContainerEntrypoint is not supported by Stratus (there is no image whose default command they would follow); give ContainerEntrypoint too, or use sagemaker_program.");
  }
  if (program === undefined && !entry) return { code: { algorithm: algorithmOfImage(spec.TrainingImage, 'algorithmSpecification.trainingImage') } };
  if (!isFrameworkImage(spec.TrainingImage)) {
    algorithmOfImage(spec.TrainingImage, 'algorithmSpecification.trainingImage'); // names what is supported
    throw refuse('algorithmSpecification.trainingImage', `"${spec.TrainingImage}" is a built-in algorithm image; a script (sagemaker_program or ContainerEntrypoint) needs a framework image such as sagemaker-scikit-learn, pytorch-training or sagemaker-xgboost.`);
  }
  if (program !== undefined && entry) throw refuse('algorithmSpecification.containerEntrypoint', 'and the sagemaker_program hyperparameter cannot both be given: give one.');
  if (hps.sagemaker_submit_directory === undefined) {
    throw refuse('hyperParameters.sagemaker_submit_directory', 'is required by Stratus for script mode: the s3:// URL of your sourcedir.tar.gz (code is not baked into images here).');
  }
  const dir = decodeHyperparameter(hps.sagemaker_submit_directory);
  const { key, uploaded } = await sourceKeyOf(ctx, dir, input.TrainingJobName, 'hyperParameters.sagemaker_submit_directory');
  const script = program !== undefined ? { source: key, entryPoint: program } : { source: key, command: [...entry!, ...(spec.ContainerArguments ?? [])] };
  return { code: { script }, ...(uploaded ? { uploaded: key } : {}) };
}

const duplicate = (ctx: OpContext, n: string) =>
  new AwsError('ResourceInUse', `Training job names must be unique within an AWS account and region, and a training job with this name already exists (${arnOf(ctx, 'training-job', n)})`);

export const createTrainingJob: Operation = {
  readOnly: false,
  input: createTrainingJobShape,
  async run(input, ctx) {
    const n: string = input.TrainingJobName;
    const { store, training, artifacts } = ctx.platform;
    checkResources(input, training.multiInstance);
    if (await store.trainingJobs.find(n)) throw duplicate(ctx, n);
    const inputs = await Promise.all(((input.InputDataConfig ?? []) as Array<Record<string, any>>).map((c, i) => channelOf(ctx, c, i)));
    const checkpoint = checkpointOf(input.CheckpointConfig);
    const { code, uploaded } = await codeOf(ctx, input);
    const spec = input.AlgorithmSpecification;
    const experiment = input.ExperimentConfig?.ExperimentName as string | undefined;
    const request: CreateTrainingJobRequest = {
      name: n,
      ...code,
      hyperparameters: input.HyperParameters ?? {},
      inputs,
      ...(input.Environment && Object.keys(input.Environment).length > 0 ? { environment: input.Environment } : {}),
      ...checkpoint,
      resources: { instanceType: input.ResourceConfig.InstanceType, instanceCount: input.ResourceConfig.InstanceCount },
      ...(input.StoppingCondition.MaxRuntimeInSeconds ? { stoppingCondition: { maxRuntimeInSeconds: input.StoppingCondition.MaxRuntimeInSeconds } } : {}),
      ...(spec.MetricDefinitions?.length ? { metricDefinitions: spec.MetricDefinitions.map((m: { Name: string; Regex: string }) => ({ name: m.Name, regex: m.Regex })) } : {}),
      ...(input.Tags?.length ? { tags: tagMap(input.Tags) } : {}),
      ...(experiment ? { experiment } : {}),
    };
    try {
      checkNative(CreateTrainingJobRequest, request, 'CreateTrainingJob');
      await training.create(request);
    } catch (e) {
      if (uploaded) await artifacts.delete(uploaded).catch(() => undefined);
      if (isPlatformError(e) && e.code === 'ResourceInUse' && (await store.trainingJobs.find(n))) throw duplicate(ctx, n);
      throw e;
    }
    const record = await store.trainingJobs.get(n);
    const doc: Record<string, unknown> = {};
    for (const k of ECHOED) if (input[k] !== undefined) doc[k] = input[k];
    await store.resourceDocuments.put({ kind: 'training-job', name: n, createdAt: record.createdAt }, doc);
    return { TrainingJobArn: arnOf(ctx, 'training-job', n) };
  },
};
