import { CreateTransformJobRequest } from '../../contracts/transform-job.js';
import { isPlatformError } from '../../core/errors.js';
import { INSTANCE_TYPES } from '../../core/instance-types.js';
import type { TransformJobRecord } from '../../store/metadata-store.js';
import type { TransformSpec } from '../../transform/transform-service.js';
import { arnOf, epoch, keyOfS3Url, listAll, pageOf, s3UrlOf, tagMap, type OpContext, type Operation } from './context.js';
import { AwsError, constraintError, validationException } from './errors.js';
import { checkNative } from './native-check.js';
import { datasetVersionOfKey, prefixOfS3Url } from './s3-sources.js';
import { int, listInput, map, MODEL_NAME, name, opaque, req, str, struct, tags, timestamp, unsupported } from './shape.js';

/*
 * CreateTransformJob / DescribeTransformJob / ListTransformJobs / StopTransformJob (reference §2.8)
 * onto the native transform service. The input S3Uri names a dataset version (its s3Uri) or one
 * object of the artifact store; the output goes where every transform job's output goes
 * (`transform-jobs/<job>/output/<input file>.out`), and S3OutputPath is echoed.
 */

const S3_URL = str({ max: 1024, pattern: '^(https|s3)://([^/]+)/?(.*)$' });
const FORMATS = ['text/csv', 'application/jsonlines'];
const TRANSFORM_STATUSES = ['InProgress', 'Completed', 'Failed', 'Stopping', 'Stopped'];
const MAX_INSTANCES = 16;

const createShape = struct({
  TransformJobName: req(name()),
  ModelName: req(str({ max: 63, pattern: MODEL_NAME })),
  MaxConcurrentTransforms: int({ min: 0 }),
  ModelClientConfig: unsupported('invocation timeouts and retries are not configurable per job'),
  MaxPayloadInMB: int({ min: 0 }),
  BatchStrategy: str({ enum: ['MultiRecord', 'SingleRecord'] }),
  Environment: map(str({ max: 10240 }), { key: str({ max: 1024, pattern: '^[a-zA-Z_][a-zA-Z0-9_]{0,1023}$' }), max: 16 }),
  TransformInput: req(struct({
    DataSource: req(struct({
      S3DataSource: req(struct({
        S3DataType: req(str({ enum: ['ManifestFile', 'S3Prefix', 'AugmentedManifestFile', 'Converse'] })),
        S3Uri: req(S3_URL),
      })),
    })),
    ContentType: str({ max: 256 }),
    CompressionType: str({ enum: ['None', 'Gzip'] }),
    SplitType: str({ enum: ['None', 'Line', 'RecordIO', 'TFRecord'] }),
  })),
  TransformOutput: req(struct({
    S3OutputPath: req(S3_URL),
    Accept: str({ max: 256 }),
    AssembleWith: str({ enum: ['None', 'Line'] }),
    KmsKeyId: unsupported('KMS encryption is not available; outputs are stored unencrypted in the artifact store'),
  })),
  DataCaptureConfig: unsupported('batch data capture is not available'),
  TransformResources: req(struct({
    InstanceType: req(str()),
    InstanceCount: req(int({ min: 1 })),
    VolumeKmsKeyId: unsupported('volume encryption does not apply'),
    TransformAmiVersion: str({ min: 1, max: 63 }),
  })),
  DataProcessing: struct({ InputFilter: str({ max: 63 }), OutputFilter: str({ max: 63 }), JoinSource: str({ enum: ['Input', 'None'] }) }),
  Tags: tags,
  ExperimentConfig: opaque(),
});

/** Request members kept for DescribeTransformJob to echo. */
const ECHOED = ['MaxConcurrentTransforms', 'MaxPayloadInMB', 'BatchStrategy', 'Environment', 'TransformInput', 'TransformOutput', 'TransformResources', 'DataProcessing', 'ExperimentConfig'] as const;

const refuse = (path: string, why: string) => validationException(`'${path}' ${why}`);
const notFound = (n: string) => validationException(`Could not find requested job with name ${n}`);
const duplicate = (ctx: OpContext, n: string) =>
  new AwsError('ResourceInUse', `Transform job names must be unique within an AWS account and region, and a transform job with this name already exists (${arnOf(ctx, 'transform-job', n)})`);

async function findJob(ctx: OpContext, n: string): Promise<TransformJobRecord> {
  const r = await ctx.platform.store.transformJobs.find(n);
  if (!r) throw notFound(n);
  return r;
}

function formatOf(value: string | undefined, path: string): 'text/csv' | 'application/jsonlines' | undefined {
  if (value === undefined) return undefined;
  if (!FORMATS.includes(value)) throw refuse(path, `"${value}" is not supported by Stratus; use ${FORMATS.join(' or ')}.`);
  return value as 'text/csv' | 'application/jsonlines';
}

/** The native input of an S3Uri: a dataset version's file, or exactly one object under the prefix. */
async function inputOf(ctx: OpContext, uri: string): Promise<{ dataset: string; version: number } | { artifactKey: string }> {
  const path = 'transformInput.dataSource.s3DataSource.s3Uri';
  const key = keyOfS3Url(uri, path);
  const version = await datasetVersionOfKey(ctx, key);
  if (version) return { dataset: version.datasetName, version: version.version };
  const { objects } = await prefixOfS3Url(ctx, uri, path);
  if (objects.length > 1) {
    throw refuse(path, `"${uri}" holds several objects; Stratus transforms one object per job for now: name the object itself (e.g. s3://<any bucket>/${objects[0]}).`);
  }
  return { artifactKey: objects[0] };
}

async function nativeRequest(ctx: OpContext, input: Record<string, any>): Promise<CreateTransformJobRequest> {
  const ti = input.TransformInput;
  const to = input.TransformOutput;
  const res = input.TransformResources;
  if (ti.DataSource.S3DataSource.S3DataType !== 'S3Prefix') throw refuse('transformInput.dataSource.s3DataSource.s3DataType', `${ti.DataSource.S3DataSource.S3DataType} is not supported by Stratus; use S3Prefix.`);
  if (ti.CompressionType === 'Gzip') throw refuse('transformInput.compressionType', 'Gzip is not supported by Stratus; give an uncompressed file (None).');
  if (ti.SplitType === 'RecordIO' || ti.SplitType === 'TFRecord') throw refuse('transformInput.splitType', `${ti.SplitType} is not supported by Stratus; use Line or None.`);
  if (!INSTANCE_TYPES.has(res.InstanceType)) {
    throw constraintError(res.InstanceType, 'transformResources.instanceType', `Member must be an instance type Stratus has: [${[...INSTANCE_TYPES.keys()].join(', ')}]`);
  }
  if (res.InstanceCount > MAX_INSTANCES) {
    throw new AwsError('ResourceLimitExceeded', `The account-level service limit '${res.InstanceType} for transform job usage' is ${MAX_INSTANCES} Instances, with current utilization of 0 Instances and a request delta of ${res.InstanceCount} Instances.`);
  }
  if (input.MaxPayloadInMB === 0) throw refuse('maxPayloadInMB', '0 (unlimited, streamed) is not supported by Stratus; give 1..100.');
  if (input.MaxPayloadInMB > 100) throw constraintError(String(input.MaxPayloadInMB), 'maxPayloadInMB', 'Member must have value less than or equal to 100');
  const contentType = formatOf(ti.ContentType, 'transformInput.contentType');
  const accept = formatOf(to.Accept, 'transformOutput.accept');
  const dp = input.DataProcessing ?? {};
  const dataProcessing = {
    ...(dp.InputFilter ? { inputFilter: dp.InputFilter } : {}),
    ...(dp.OutputFilter ? { outputFilter: dp.OutputFilter } : {}),
    ...(dp.JoinSource ? { joinSource: dp.JoinSource } : {}),
  };
  return {
    name: input.TransformJobName,
    model: input.ModelName,
    input: { ...(await inputOf(ctx, ti.DataSource.S3DataSource.S3Uri)), ...(contentType ? { contentType } : {}), ...(ti.SplitType ? { splitType: ti.SplitType } : {}) },
    output: { assembleWith: to.AssembleWith ?? 'None' },
    ...(accept ? { accept } : {}),
    ...(input.BatchStrategy ? { batchStrategy: input.BatchStrategy } : {}),
    ...(input.MaxPayloadInMB ? { maxPayloadInMB: input.MaxPayloadInMB } : {}),
    // 0 leaves the choice to the platform, as in SageMaker.
    ...(input.MaxConcurrentTransforms ? { maxConcurrentTransforms: Math.min(input.MaxConcurrentTransforms, 64) } : {}),
    instanceCount: res.InstanceCount,
    ...(Object.keys(dataProcessing).length ? { dataProcessing } : {}),
    ...(input.Environment && Object.keys(input.Environment).length ? { environment: input.Environment } : {}),
    ...(input.Tags?.length ? { tags: tagMap(input.Tags) } : {}),
  };
}

/** What DescribeTransformJob says of a job created through the native API (no SageMaker document). */
async function nativeDocument(ctx: OpContext, r: TransformJobRecord): Promise<Record<string, unknown>> {
  const spec = r.spec as unknown as TransformSpec;
  let key = spec.input.artifactKey;
  if (key === undefined) {
    const version = await ctx.platform.store.datasets.getVersion(spec.input.dataset!, spec.input.version).catch(() => undefined);
    key = version ? ctx.platform.artifacts.keyOf(version.uri) : `datasets/${spec.input.dataset}`;
  }
  const dp = spec.dataProcessing;
  return {
    MaxConcurrentTransforms: spec.maxConcurrentTransforms,
    MaxPayloadInMB: spec.maxPayloadInMB,
    BatchStrategy: spec.batchStrategy,
    ...(spec.environment ? { Environment: spec.environment } : {}),
    TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: s3UrlOf(key) } }, ContentType: spec.input.contentType, CompressionType: 'None', SplitType: spec.input.splitType },
    TransformOutput: { S3OutputPath: s3UrlOf(`transform-jobs/${r.name}/output`), Accept: spec.accept, AssembleWith: spec.output.assembleWith },
    TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: spec.instanceCount },
    DataProcessing: { InputFilter: dp.inputFilter, OutputFilter: dp.outputFilter, JoinSource: dp.joinSource },
  };
}

export const transformJobOperations: Record<string, Operation> = {
  CreateTransformJob: {
    readOnly: false,
    input: createShape,
    async run(input, ctx) {
      const n: string = input.TransformJobName;
      const { store, transforms } = ctx.platform;
      if (await store.transformJobs.find(n)) throw duplicate(ctx, n);
      if (!(await store.models.find(input.ModelName))) throw validationException(`Could not find model "${arnOf(ctx, 'model', input.ModelName)}".`);
      const request = await nativeRequest(ctx, input);
      checkNative(CreateTransformJobRequest, request, 'CreateTransformJob');
      try {
        await transforms.create(request);
      } catch (e) {
        if (isPlatformError(e) && e.code === 'ResourceInUse' && (await store.transformJobs.find(n))) throw duplicate(ctx, n);
        throw e;
      }
      const record = await store.transformJobs.get(n);
      const doc: Record<string, unknown> = {};
      for (const k of ECHOED) if (input[k] !== undefined) doc[k] = input[k];
      await store.resourceDocuments.put({ kind: 'transform-job', name: n, createdAt: record.createdAt }, doc);
      return { TransformJobArn: arnOf(ctx, 'transform-job', n) };
    },
  },

  DescribeTransformJob: {
    readOnly: true,
    input: struct({ TransformJobName: req(name()) }),
    async run(input, ctx) {
      const r = await findJob(ctx, input.TransformJobName);
      const spec = r.spec as unknown as TransformSpec;
      const doc = (await ctx.platform.store.resourceDocuments.find({ kind: 'transform-job', name: r.name, createdAt: r.createdAt })) ?? (await nativeDocument(ctx, r));
      return {
        TransformJobName: r.name,
        TransformJobArn: arnOf(ctx, 'transform-job', r.name),
        TransformJobStatus: r.status,
        ...(r.failureReason ? { FailureReason: r.failureReason.slice(0, 1024) } : {}),
        ModelName: spec.model,
        ...doc,
        CreationTime: epoch(r.createdAt),
        ...(r.startedAt ? { TransformStartTime: epoch(r.startedAt) } : {}),
        ...(r.endedAt ? { TransformEndTime: epoch(r.endedAt) } : {}),
      };
    },
  },

  ListTransformJobs: {
    readOnly: true,
    input: struct(listInput(['Name', 'CreationTime', 'Status'], {
      LastModifiedTimeBefore: timestamp(),
      LastModifiedTimeAfter: timestamp(),
      StatusEquals: str({ enum: TRANSFORM_STATUSES }),
    })),
    async run(input, ctx) {
      const all = (await listAll((q) => ctx.platform.store.transformJobs.list(q))).map((r) => ({ ...r, modifiedAt: r.updatedAt }));
      const page = pageOf(all, input);
      return {
        TransformJobSummaries: page.items.map((r) => ({
          TransformJobName: r.name,
          TransformJobArn: arnOf(ctx, 'transform-job', r.name),
          CreationTime: epoch(r.createdAt),
          ...(r.endedAt ? { TransformEndTime: epoch(r.endedAt) } : {}),
          LastModifiedTime: epoch(r.updatedAt),
          TransformJobStatus: r.status,
          ...(r.failureReason ? { FailureReason: r.failureReason.slice(0, 1024) } : {}),
        })),
        ...(page.nextToken ? { NextToken: page.nextToken } : {}),
      };
    },
  },

  StopTransformJob: {
    readOnly: false,
    input: struct({ TransformJobName: req(name()) }),
    async run(input, ctx) {
      const r = await findJob(ctx, input.TransformJobName);
      if (r.status !== 'InProgress') throw validationException(`The request was rejected because the transform job is in status ${r.status}.`);
      await ctx.platform.transforms.stop(r.name);
      return {};
    },
  },
};
