import { isPlatformError } from '../../core/errors.js';
import type { ModelRecord } from '../../store/metadata-store.js';
import type { ModelSpec } from '../../serving/model-service.js';
import { arnOf, epoch, keyOfS3Url, listAll, pageOf, s3UrlOf, type OpContext, type Operation } from './context.js';
import { validationException } from './errors.js';
import { algorithmOfImage, imageOf } from './images.js';
import { modelSourceOfPackage } from './model-packages.js';
import { bool, listInput, list, map, MODEL_NAME, NAME, opaque, req, str, struct, tags, unsupported } from './shape.js';
import { recordCreationTags } from './tags.js';

const modelName = str({ max: 63, pattern: MODEL_NAME });
const S3_URL = '^(https|s3)://([^/]+)/?(.*)$';

const container = struct({
  ContainerHostname: str({ max: 63, pattern: NAME }),
  // Required unless ModelPackageName names them (checked in CreateModel).
  Image: str({ max: 255, pattern: '^[\\S]+$' }),
  ImageConfig: opaque(),
  Mode: str({ enum: ['SingleModel', 'MultiModel'] }),
  ModelDataUrl: str({ max: 1024, pattern: S3_URL }),
  ModelDataSource: unsupported('give the model as ModelDataUrl (a model.tar.gz)'),
  AdditionalModelDataSources: unsupported('built-in algorithms read one model artifact'),
  Environment: map(str({ max: 1024 }), { key: str({ max: 1024, pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' }), max: 100 }),
  ModelPackageName: str({ min: 1, max: 176 }),
  InferenceSpecificationName: unsupported('a model package serves its one inference specification here'),
  MultiModelConfig: unsupported('multi-model endpoints are not supported'),
});

const ROLE = '^arn:aws[a-z\\-]*:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+$';
export const roleArn = str({ min: 20, max: 2048, pattern: ROLE });

export const vpcConfig = struct({
  SecurityGroupIds: req(list(str({ max: 32, pattern: '^[-0-9a-zA-Z]+$' }), { min: 1, max: 5 })),
  Subnets: req(list(str({ max: 32, pattern: '^[-0-9a-zA-Z]+$' }), { min: 1, max: 16 })),
});

/** The SageMaker request members a model echoes in DescribeModel. */
interface ModelDocument {
  PrimaryContainer: Record<string, unknown>;
  ExecutionRoleArn?: string;
  VpcConfig?: unknown;
  EnableNetworkIsolation?: boolean;
}

const notFound = (ctx: OpContext, name: string) => validationException(`Could not find model "${arnOf(ctx, 'model', name)}".`);

async function findModel(ctx: OpContext, name: string): Promise<ModelRecord> {
  const record = await ctx.platform.store.models.find(name);
  if (!record) throw notFound(ctx, name);
  return record;
}

/** What DescribeModel says of a model created through the native API (no SageMaker document). */
function nativeDocument(ctx: OpContext, record: ModelRecord): ModelDocument {
  const spec = record.spec as unknown as ModelSpec;
  let url = spec.artifactUri;
  try {
    url = s3UrlOf(ctx.platform.artifacts.keyOf(spec.artifactUri));
  } catch {
    // Not a key of this store: answer the URI as stored.
  }
  return { PrimaryContainer: { Image: imageOf(spec.algorithm), ModelDataUrl: url, Mode: 'SingleModel' } };
}

export const modelOperations: Record<string, Operation> = {
  CreateModel: {
    readOnly: false,
    input: struct({
      ModelName: req(modelName),
      PrimaryContainer: req(container),
      Containers: unsupported('give one PrimaryContainer; inference pipelines are not supported'),
      InferenceExecutionConfig: unsupported('inference pipelines are not supported'),
      ExecutionRoleArn: roleArn,
      Tags: tags,
      VpcConfig: vpcConfig,
      EnableNetworkIsolation: bool(),
    }),
    async run(input, ctx) {
      const name: string = input.ModelName;
      const c = input.PrimaryContainer as Record<string, any>;
      if (c.Mode === 'MultiModel') throw validationException("'primaryContainer.mode' MultiModel is not supported by Stratus: multi-model endpoints are not available. Use SingleModel.");
      if (c.Environment && Object.keys(c.Environment).length > 0) {
        throw validationException("'primaryContainer.environment' is not supported by Stratus for built-in algorithm images: their runtimes take no environment. Remove it from the request.");
      }
      const fromPackage = c.ModelPackageName !== undefined ? await modelSourceOfPackage(ctx, c, 'primaryContainer') : undefined;
      for (const [k, path] of fromPackage ? [] : [['Image', 'image'], ['ModelDataUrl', 'modelDataUrl']]) {
        if (c[k] === undefined) throw validationException(`1 validation error detected: Value null at 'primaryContainer.${path}' failed to satisfy constraint: Member must not be null`);
      }
      const algorithm = fromPackage?.algorithm ?? algorithmOfImage(c.Image, 'primaryContainer.image');
      const key = fromPackage ? undefined : keyOfS3Url(c.ModelDataUrl, 'primaryContainer.modelDataUrl');
      const { artifacts, store, models } = ctx.platform;
      if (await store.models.find(name)) throw validationException(`Cannot create already existing model "${arnOf(ctx, 'model', name)}".`);
      if (key !== undefined && !(await artifacts.stat(key).catch(() => undefined))) {
        throw validationException(`Could not find model data at ${c.ModelDataUrl}: no object '${key}' in Stratus's artifact store (bucket names map to the store root).`);
      }
      try {
        await models.createModel({ name, algorithm, artifactUri: fromPackage?.artifactUri ?? artifacts.uriOf(key!) });
      } catch (e) {
        if (isPlatformError(e) && e.code === 'ResourceInUse') throw validationException(`Cannot create already existing model "${arnOf(ctx, 'model', name)}".`);
        throw e;
      }
      const record = await store.models.get(name);
      const ref = { kind: 'model', name, createdAt: record.createdAt };
      const doc: ModelDocument = { PrimaryContainer: { ...c, Mode: c.Mode ?? 'SingleModel' } };
      for (const k of ['ExecutionRoleArn', 'VpcConfig', 'EnableNetworkIsolation'] as const) if (input[k] !== undefined) doc[k] = input[k];
      await store.resourceDocuments.put(ref, doc as unknown as Record<string, unknown>);
      await recordCreationTags(ctx, ref, input.Tags);
      return { ModelArn: arnOf(ctx, 'model', name) };
    },
  },

  DescribeModel: {
    readOnly: true,
    input: struct({ ModelName: req(modelName) }),
    async run(input, ctx) {
      const record = await findModel(ctx, input.ModelName);
      const doc = ((await ctx.platform.store.resourceDocuments.find({ kind: 'model', name: record.name, createdAt: record.createdAt })) ??
        nativeDocument(ctx, record)) as unknown as ModelDocument;
      return { ModelName: record.name, ModelArn: arnOf(ctx, 'model', record.name), CreationTime: epoch(record.createdAt), ...doc };
    },
  },

  ListModels: {
    readOnly: true,
    input: struct(listInput(['Name', 'CreationTime'])),
    async run(input, ctx) {
      const all = await listAll((q) => ctx.platform.store.models.list(q));
      const page = pageOf(all, input);
      return {
        Models: page.items.map((r) => ({ ModelName: r.name, ModelArn: arnOf(ctx, 'model', r.name), CreationTime: epoch(r.createdAt) })),
        ...(page.nextToken ? { NextToken: page.nextToken } : {}),
      };
    },
  },

  DeleteModel: {
    readOnly: false,
    input: struct({ ModelName: req(modelName) }),
    async run(input, ctx) {
      await findModel(ctx, input.ModelName);
      await ctx.platform.models.deleteModel(input.ModelName);
      return {};
    },
  },
};
