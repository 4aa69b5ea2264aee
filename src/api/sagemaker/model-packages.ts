import { isPlatformError } from '../../core/errors.js';
import type { ModelPackageGroupRecord, ModelPackageRecord } from '../../store/evaluation-registry-store.js';
import type { ResourceRef } from '../../store/metadata-store.js';
import { ACCOUNT, epoch, keyOfS3Url, listAll, pageOf, s3UrlOf, type OpContext, type Operation } from './context.js';
import { validationException } from './errors.js';
import { algorithmOfImage, imageOf } from './images.js';
import { bool, list, listInput, map, name, opaque, req, str, struct, tags, unsupported } from './shape.js';
import { recordCreationTags } from './tags.js';

/*
 * The model registry through SageMaker's API: model package groups and *versioned* model packages
 * (docs/sagemaker-compatibility.md, "Model registry"). Groups and versions are the native
 * registry's (src/registry/registry-service.ts), so approvals, their reasons and the event history
 * are the same whichever API made them; what SageMaker's request carries beyond that (metrics,
 * customer metadata, the inference specification as given) lives in `resource_documents` under
 * kind `model-package`, name `<group>/<version>`.
 */

const GROUP_ARN_KIND = 'model-package-group';
const PACKAGE_ARN_KIND = 'model-package';
const DOC_KIND = 'model-package';

/** SageMaker's ArnOrName and VersionedArnOrName (sagemaker-shapes: ModelPackageGroupName, ModelPackageName). */
const ARN_PREFIX = 'arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]*:[0-9]{12}:[a-z\\-]*\\/';
const ARN_OR_NAME = `^(${ARN_PREFIX})?([a-zA-Z0-9]([a-zA-Z0-9-]){0,62})(?<!-)$`;
const VERSIONED_ARN_OR_NAME = `^(${ARN_PREFIX})?([a-zA-Z0-9]([a-zA-Z0-9-]){0,62})(?<!-)(\\/[0-9]{1,9})?$`;
const PACKAGE_ARN = '^arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]{9,16}:[0-9]{12}:model-package/[\\S]{1,2048}$';
const DESCRIPTION = str({ max: 1024, pattern: '^[\\p{L}\\p{M}\\p{Z}\\p{S}\\p{N}\\p{P}]*$' });
const APPROVAL = str({ enum: ['Approved', 'Rejected', 'PendingManualApproval'] });
const REGISTRATION_TYPE = str({ enum: ['Logged', 'Registered'] });
const METADATA_KEY = str({ min: 1, max: 128, pattern: '^([\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*)$' });
const customerMetadata = map(str({ min: 1, max: 256, pattern: '^([\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*)$' }), { key: METADATA_KEY, max: 50 });
const S3_URL = '^(https|s3)://([^/]+)/?(.*)$';
const lifeCycle = struct({ Stage: req(name()), StageStatus: req(name()), StageDescription: str({ max: 1024 }) });
const modelCard = struct({ ModelCardContent: str({ max: 100000 }), ModelCardStatus: str({ enum: ['Draft', 'PendingReview', 'Approved', 'Archived'] }) });

const container = struct({
  ContainerHostname: name(),
  Image: str({ max: 255, pattern: '^[\\S]+$' }),
  ImageDigest: str({ max: 72, pattern: '^[Ss][Hh][Aa]256:[0-9a-fA-F]{64}$' }),
  ModelDataUrl: str({ max: 1024, pattern: S3_URL }),
  ModelDataSource: unsupported('give the model as ModelDataUrl (a model.tar.gz)'),
  ProductId: unsupported('AWS Marketplace products are not available'),
  Environment: map(str({ max: 1024 }), { key: str({ max: 1024, pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' }), max: 100 }),
  ModelInput: opaque(),
  Framework: str(),
  FrameworkVersion: str({ min: 3, max: 10, pattern: '^[0-9]\\.[A-Za-z0-9.-]+$' }),
  NearestModelName: str(),
  AdditionalModelDataSources: unsupported('built-in algorithms read one model artifact'),
  AdditionalS3DataSource: unsupported('built-in algorithms read one model artifact'),
  ModelDataETag: str(),
  IsCheckpoint: bool(),
  BaseModel: opaque(),
});

const inferenceSpecification = struct({
  Containers: req(list(container, { min: 1, max: 15 })),
  SupportedTransformInstanceTypes: list(str(), { min: 1 }),
  SupportedRealtimeInferenceInstanceTypes: list(str()),
  SupportedContentTypes: list(str({ max: 256 })),
  SupportedResponseMIMETypes: list(str({ max: 1024 })),
});

/** CreateModelPackage members kept as given and echoed by DescribeModelPackage. */
const ECHOED = [
  'InferenceSpecification', 'ModelPackageRegistrationType', 'MetadataProperties', 'ModelMetrics', 'Domain', 'Task', 'SamplePayloadUrl', 'CustomerMetadataProperties',
  'DriftCheckBaselines', 'SkipModelValidation', 'SourceUri', 'ModelCard', 'ModelLifeCycle', 'CertifyForMarketplace',
] as const;

/** What a version keeps beyond the native registry's record. */
interface PackageDocument {
  /** The request members of ECHOED, as given (and as UpdateModelPackage changed them). */
  echo: Record<string, unknown>;
  /** CreateModelPackage's idempotency token (the JS SDK sends one with every call). */
  clientToken?: string;
  /** Epoch ms of the last UpdateModelPackage that changed the document. */
  modifiedAt?: number;
}

/** The native version's spec (registry-service.ts PackageSpec). */
interface NativeSpec {
  artifactUri: string;
  runtime?: string;
  algorithm?: string;
  description?: string;
}

const groupArn = (ctx: OpContext, group: string) => `arn:aws:sagemaker:${ctx.region}:${ACCOUNT}:${GROUP_ARN_KIND}/${group}`;
const packageArn = (ctx: OpContext, group: string, version: number) => `arn:aws:sagemaker:${ctx.region}:${ACCOUNT}:${PACKAGE_ARN_KIND}/${group}/${version}`;
const docRef = (v: ModelPackageRecord): ResourceRef => ({ kind: DOC_KIND, name: `${v.group}/${v.version}`, createdAt: v.createdAt });
/** The registry records who did what; SageMaker requests are signed with an access key of this role. */
const actorOf = (ctx: OpContext) => `sagemaker-api:${ctx.role}`;

const groupNotFound = (ctx: OpContext, group: string) => validationException(`ModelPackageGroup ${groupArn(ctx, group)} does not exist.`);
const packageNotFound = (ctx: OpContext, given: string) =>
  validationException(`ModelPackage ${given.startsWith('arn:') ? given : `arn:aws:sagemaker:${ctx.region}:${ACCOUNT}:${PACKAGE_ARN_KIND}/${given}`} does not exist.`);
const UNVERSIONED =
  'Unversioned model packages (a ModelPackageName without a ModelPackageGroupName) are not supported by Stratus: create a model package group and give its name as ModelPackageGroupName.';

/** The group an ArnOrName names. @throws ValidationException for an ARN of another resource type. */
function groupNameOf(given: string, path: string): string {
  const m = /^arn:[^/]*:([a-z-]+)\/(.+)$/.exec(given);
  if (!m) return given;
  if (m[1] !== GROUP_ARN_KIND) throw validationException(`'${path}' must be a model package group name or ARN (…:${GROUP_ARN_KIND}/<name>); got "${given}".`);
  return m[2];
}

async function findGroup(ctx: OpContext, given: string, path: string): Promise<ModelPackageGroupRecord> {
  const group = groupNameOf(given, path);
  const g = await ctx.platform.store.modelRegistry.findGroup(group);
  if (!g) throw groupNotFound(ctx, group);
  return g;
}

/**
 * The version a VersionedArnOrName names: `<group>/<version>` or `…:model-package/<group>/<version>`.
 * A name without a version is an unversioned package, which Stratus does not have.
 */
async function findPackage(ctx: OpContext, given: string): Promise<ModelPackageRecord> {
  const m = /^(?:arn:[^/]*:([a-z-]+)\/)?([^/]+)(?:\/([0-9]{1,9}))?$/.exec(given);
  if (!m || (m[1] !== undefined && m[1] !== PACKAGE_ARN_KIND) || m[3] === undefined) throw packageNotFound(ctx, given);
  const v = await ctx.platform.store.modelRegistry.findVersion(m[2], Number(m[3]));
  if (!v) throw packageNotFound(ctx, given);
  return v;
}

const documentOf = async (ctx: OpContext, v: ModelPackageRecord) =>
  ((await ctx.platform.store.resourceDocuments.find(docRef(v))) as unknown as PackageDocument | undefined) ?? { echo: {} };

/** The s3:// URL of an artifact URI of the store (as stored when it is not one). */
function s3UrlOfUri(ctx: OpContext, uri: string): string {
  try {
    return s3UrlOf(ctx.platform.artifacts.keyOf(uri));
  } catch {
    return uri;
  }
}

/** What DescribeModelPackage says of a version registered through the native API. */
function nativeInferenceSpecification(ctx: OpContext, v: ModelPackageRecord) {
  const spec = v.spec as unknown as NativeSpec;
  return { Containers: [{ Image: imageOf(spec.algorithm ?? spec.runtime), ModelDataUrl: s3UrlOfUri(ctx, spec.artifactUri) }] };
}

async function describePackage(ctx: OpContext, v: ModelPackageRecord): Promise<Record<string, unknown>> {
  const doc = await documentOf(ctx, v);
  const spec = v.spec as unknown as NativeSpec;
  const modified = Math.max(v.updatedAt.getTime(), doc.modifiedAt ?? 0);
  return {
    ModelPackageName: v.group,
    ModelPackageGroupName: v.group,
    ModelPackageVersion: v.version,
    ModelPackageArn: packageArn(ctx, v.group, v.version),
    ...(spec.description ? { ModelPackageDescription: spec.description } : {}),
    CreationTime: epoch(v.createdAt),
    ...doc.echo,
    InferenceSpecification: doc.echo.InferenceSpecification ?? nativeInferenceSpecification(ctx, v),
    ModelPackageStatus: 'Completed',
    ModelPackageStatusDetails: { ValidationStatuses: [] },
    ModelApprovalStatus: v.approvalStatus,
    ...(v.approval?.reason !== undefined ? { ApprovalDescription: v.approval.reason } : {}),
    CreatedBy: {},
    LastModifiedTime: epoch(new Date(modified)),
    LastModifiedBy: {},
  };
}

async function packageSummary(ctx: OpContext, v: ModelPackageRecord): Promise<Record<string, unknown>> {
  const { echo } = await documentOf(ctx, v);
  const spec = v.spec as unknown as NativeSpec;
  return {
    ModelPackageName: v.group,
    ModelPackageGroupName: v.group,
    ModelPackageVersion: v.version,
    ModelPackageArn: packageArn(ctx, v.group, v.version),
    ...(spec.description ? { ModelPackageDescription: spec.description } : {}),
    CreationTime: epoch(v.createdAt),
    ModelPackageStatus: 'Completed',
    ModelApprovalStatus: v.approvalStatus,
    ...(echo.ModelLifeCycle ? { ModelLifeCycle: echo.ModelLifeCycle } : {}),
    ...(echo.ModelPackageRegistrationType ? { ModelPackageRegistrationType: echo.ModelPackageRegistrationType } : {}),
  };
}

const versionsOf = (ctx: OpContext, group: string) => listAll((q) => ctx.platform.store.modelRegistry.listVersions(group, q));

/** Registry conflicts and lookups as SageMaker answers them. */
function translated(ctx: OpContext, group: string, e: unknown): unknown {
  if (isPlatformError(e) && e.code === 'NotFound') return groupNotFound(ctx, group);
  return e;
}

/**
 * What CreateModel serves for `PrimaryContainer.ModelPackageName`: the version's built-in
 * algorithm and artifact. @throws ValidationException (unknown package, Image/ModelDataUrl given
 * as well, a version that is not a built-in algorithm's).
 */
export async function modelSourceOfPackage(ctx: OpContext, c: Record<string, unknown>, path: string): Promise<{ algorithm: string; artifactUri: string }> {
  for (const k of ['Image', 'ModelDataUrl'] as const) {
    if (c[k] !== undefined) throw validationException(`'${path}.${k.charAt(0).toLowerCase()}${k.slice(1)}' cannot be given with '${path}.modelPackageName': the model package names the image and the model data.`);
  }
  const v = await findPackage(ctx, String(c.ModelPackageName));
  const spec = v.spec as unknown as NativeSpec;
  if (!spec.algorithm || (spec.runtime !== undefined && spec.runtime !== 'builtin')) {
    throw validationException(`Model package ${packageArn(ctx, v.group, v.version)} is served by runtime '${spec.runtime ?? 'unknown'}', not a built-in algorithm; create the model with the native API (POST /api/v1/models).`);
  }
  return { algorithm: spec.algorithm, artifactUri: spec.artifactUri };
}

export const modelPackageOperations: Record<string, Operation> = {
  CreateModelPackageGroup: {
    readOnly: false,
    input: struct({
      ModelPackageGroupName: req(name()),
      ModelPackageGroupDescription: DESCRIPTION,
      Tags: tags,
      ManagedConfiguration: unsupported('managed storage is not available'),
    }),
    async run(input, ctx) {
      const group: string = input.ModelPackageGroupName;
      const tagMap = Object.fromEntries(((input.Tags ?? []) as Array<{ Key: string; Value: string }>).map((t) => [t.Key, t.Value]));
      try {
        await ctx.platform.registry.createGroup({
          name: group, ...(input.ModelPackageGroupDescription ? { description: input.ModelPackageGroupDescription } : {}), ...(input.Tags?.length ? { tags: tagMap } : {}),
        }, actorOf(ctx));
      } catch (e) {
        if (isPlatformError(e) && e.code === 'ResourceInUse') throw validationException(`Cannot create already existing model package group "${groupArn(ctx, group)}".`);
        throw e;
      }
      return { ModelPackageGroupArn: groupArn(ctx, group) };
    },
  },

  DescribeModelPackageGroup: {
    readOnly: true,
    input: struct({ ModelPackageGroupName: req(str({ min: 1, max: 170, pattern: ARN_OR_NAME })) }),
    async run(input, ctx) {
      const g = await findGroup(ctx, input.ModelPackageGroupName, 'modelPackageGroupName');
      return {
        ModelPackageGroupName: g.name,
        ModelPackageGroupArn: groupArn(ctx, g.name),
        ...(g.description ? { ModelPackageGroupDescription: g.description } : {}),
        CreationTime: epoch(g.createdAt),
        CreatedBy: {},
        ModelPackageGroupStatus: 'Completed',
      };
    },
  },

  ListModelPackageGroups: {
    readOnly: true,
    input: struct(listInput(['Name', 'CreationTime'], { CrossAccountFilterOption: str({ enum: ['SameAccount', 'CrossAccount'] }) })),
    async run(input, ctx) {
      // One Stratus server is one account: nothing is shared from another.
      const all = input.CrossAccountFilterOption === 'CrossAccount' ? [] : await listAll((q) => ctx.platform.store.modelRegistry.listGroups(q));
      const page = pageOf(all, input);
      return {
        ModelPackageGroupSummaryList: page.items.map((g) => ({
          ModelPackageGroupName: g.name,
          ModelPackageGroupArn: groupArn(ctx, g.name),
          ...(g.description ? { ModelPackageGroupDescription: g.description } : {}),
          CreationTime: epoch(g.createdAt),
          ModelPackageGroupStatus: 'Completed',
        })),
        ...(page.nextToken ? { NextToken: page.nextToken } : {}),
      };
    },
  },

  DeleteModelPackageGroup: {
    readOnly: false,
    input: struct({ ModelPackageGroupName: req(str({ min: 1, max: 170, pattern: ARN_OR_NAME })) }),
    async run(input, ctx) {
      const g = await findGroup(ctx, input.ModelPackageGroupName, 'modelPackageGroupName');
      // Deletes the versions too (the native semantics): Stratus has no DeleteModelPackage yet, so
      // refusing a group with versions, as SageMaker does, would leave it undeletable here.
      await ctx.platform.registry.deleteGroup(g.name).catch((e: unknown) => {
        throw translated(ctx, g.name, e);
      });
      return {};
    },
  },

  CreateModelPackage: {
    readOnly: false,
    input: struct({
      ModelPackageName: name(),
      ModelPackageGroupName: str({ min: 1, max: 170, pattern: ARN_OR_NAME }),
      ModelPackageDescription: DESCRIPTION,
      ModelPackageRegistrationType: REGISTRATION_TYPE,
      InferenceSpecification: inferenceSpecification,
      ValidationSpecification: unsupported('model package validation (transform jobs run by SageMaker) is not available'),
      SourceAlgorithmSpecification: unsupported('algorithm resources are not available; give InferenceSpecification'),
      CertifyForMarketplace: bool(),
      Tags: tags,
      ModelApprovalStatus: APPROVAL,
      MetadataProperties: struct({ CommitId: str({ max: 1024 }), Repository: str({ max: 1024 }), GeneratedBy: str({ max: 1024 }), ProjectId: str({ max: 1024 }) }),
      ModelMetrics: opaque(),
      ClientToken: str({ min: 1, max: 36, pattern: '^[a-zA-Z0-9-]+$' }),
      Domain: str(),
      Task: str(),
      SamplePayloadUrl: str({ max: 1024, pattern: S3_URL }),
      CustomerMetadataProperties: customerMetadata,
      DriftCheckBaselines: opaque(),
      AdditionalInferenceSpecifications: unsupported('a model package serves one inference specification here'),
      SkipModelValidation: str({ enum: ['All', 'None'] }),
      SourceUri: str({ max: 1024 }),
      SecurityConfig: unsupported('KMS encryption is not available'),
      ModelCard: modelCard,
      ModelLifeCycle: lifeCycle,
      ManagedStorageType: unsupported('managed storage is not available'),
    }),
    async run(input, ctx) {
      if (input.ModelPackageGroupName === undefined) throw validationException(UNVERSIONED);
      if (input.ModelPackageName !== undefined) {
        throw validationException('Both ModelPackageName and ModelPackageGroupName are provided in the input. Cannot determine which one to use: a versioned model package is named by its group and version.');
      }
      if (input.CertifyForMarketplace === true) throw validationException("'certifyForMarketplace' true is not supported by Stratus: AWS Marketplace is not available.");
      const g = await findGroup(ctx, input.ModelPackageGroupName, 'modelPackageGroupName');
      const spec = input.InferenceSpecification as { Containers: Array<Record<string, any>> } | undefined;
      if (!spec) throw validationException("1 validation error detected: Value null at 'inferenceSpecification' failed to satisfy constraint: Member must not be null (Stratus registers models from an InferenceSpecification).");
      if (spec.Containers.length > 1) throw validationException("'inferenceSpecification.containers' holds more than one container: inference pipelines are not supported by Stratus. Give one container.");
      const c = spec.Containers[0];
      const path = 'inferenceSpecification.containers.1.member';
      for (const k of ['Image', 'ModelDataUrl'] as const) {
        if (c[k] === undefined) throw validationException(`1 validation error detected: Value null at '${path}.${k.charAt(0).toLowerCase()}${k.slice(1)}' failed to satisfy constraint: Member must not be null`);
      }
      if (c.Environment && Object.keys(c.Environment).length > 0) {
        throw validationException(`'${path}.environment' is not supported by Stratus for built-in algorithm images: their runtimes take no environment. Remove it from the request.`);
      }
      const algorithm = algorithmOfImage(c.Image, `${path}.image`);
      const key = keyOfS3Url(c.ModelDataUrl, `${path}.modelDataUrl`);
      const { artifacts, store, registry } = ctx.platform;

      // Idempotency: a retry with the same ClientToken answers the version it created.
      if (input.ClientToken !== undefined) {
        for (const v of await versionsOf(ctx, g.name)) {
          if ((await documentOf(ctx, v)).clientToken === input.ClientToken) return { ModelPackageArn: packageArn(ctx, v.group, v.version) };
        }
      }
      if (!(await artifacts.stat(key).catch(() => undefined))) {
        throw validationException(`Could not find model data at ${c.ModelDataUrl}: no object '${key}' in Stratus's artifact store (bucket names map to the store root).`);
      }
      // A training job's own artifact links the version to the job (lineage, datasets).
      const jobName = /^training-jobs\/([^/]+)\/output\/model\.tar\.gz$/.exec(key)?.[1];
      const trainingJob = jobName && (await store.trainingJobs.find(jobName)) ? jobName : undefined;
      const created = await registry.register(g.name, {
        artifactUri: artifacts.uriOf(key), algorithm, ...(trainingJob ? { trainingJob } : {}),
        ...(input.ModelPackageDescription ? { description: input.ModelPackageDescription } : {}),
        ...(input.ModelApprovalStatus ? { approvalStatus: input.ModelApprovalStatus } : {}),
      }, actorOf(ctx)).catch((e: unknown) => {
        throw translated(ctx, g.name, e);
      });
      const v = await store.modelRegistry.getVersion(g.name, created.version);
      const echo = Object.fromEntries(ECHOED.filter((k) => input[k] !== undefined).map((k) => [k, input[k]]));
      const doc: PackageDocument = { echo, ...(input.ClientToken !== undefined ? { clientToken: input.ClientToken } : {}) };
      await store.resourceDocuments.put(docRef(v), doc as unknown as Record<string, unknown>);
      await recordCreationTags(ctx, docRef(v), input.Tags);
      return { ModelPackageArn: packageArn(ctx, v.group, v.version) };
    },
  },

  DescribeModelPackage: {
    readOnly: true,
    input: struct({ ModelPackageName: req(str({ min: 1, max: 176, pattern: VERSIONED_ARN_OR_NAME })) }),
    async run(input, ctx) {
      return describePackage(ctx, await findPackage(ctx, input.ModelPackageName));
    },
  },

  ListModelPackages: {
    readOnly: true,
    input: struct(listInput(['Name', 'CreationTime'], {
      ModelApprovalStatus: APPROVAL,
      ModelPackageGroupName: str({ min: 1, max: 170, pattern: ARN_OR_NAME }),
      ModelPackageType: str({ enum: ['Versioned', 'Unversioned', 'Both'] }),
    })),
    async run(input, ctx) {
      const { NameContains, ...rest } = input;
      // As SageMaker: a group lists its versions; without one, the type filter applies and
      // defaults to Unversioned, of which Stratus has none.
      let versions: ModelPackageRecord[] = [];
      if (input.ModelPackageGroupName !== undefined) {
        const group = groupNameOf(input.ModelPackageGroupName, 'modelPackageGroupName');
        if (input.ModelPackageType !== 'Unversioned' && (await ctx.platform.store.modelRegistry.findGroup(group))) versions = await versionsOf(ctx, group);
      } else if (input.ModelPackageType === 'Versioned' || input.ModelPackageType === 'Both') {
        for (const g of await listAll((q) => ctx.platform.store.modelRegistry.listGroups(q))) versions.push(...(await versionsOf(ctx, g.name)));
      }
      const contains = (NameContains as string | undefined)?.toLowerCase();
      const candidates = versions
        .filter((v) => (!contains || v.group.toLowerCase().includes(contains)) && (!input.ModelApprovalStatus || v.approvalStatus === input.ModelApprovalStatus))
        // The name sorts by group, then version (NUL sorts before every character of a name).
        .map((v) => ({ name: `${v.group}\u0000${String(v.version).padStart(9, '0')}`, createdAt: v.createdAt, v }));
      const page = pageOf(candidates, rest);
      return {
        ModelPackageSummaryList: await Promise.all(page.items.map((i) => packageSummary(ctx, i.v))),
        ...(page.nextToken ? { NextToken: page.nextToken } : {}),
      };
    },
  },

  UpdateModelPackage: {
    readOnly: false,
    input: struct({
      ModelPackageArn: req(str({ min: 1, max: 2048, pattern: PACKAGE_ARN })),
      ModelApprovalStatus: APPROVAL,
      ModelPackageRegistrationType: REGISTRATION_TYPE,
      ApprovalDescription: str({ max: 1024 }),
      CustomerMetadataProperties: customerMetadata,
      CustomerMetadataPropertiesToRemove: list(METADATA_KEY),
      AdditionalInferenceSpecificationsToAdd: unsupported('a model package serves one inference specification here'),
      InferenceSpecification: unsupported('a registered version keeps its model; register a new version instead'),
      SourceUri: str({ max: 1024 }),
      ModelCard: modelCard,
      ModelLifeCycle: lifeCycle,
      ClientToken: str({ min: 1, max: 36, pattern: '^[a-zA-Z0-9-]+$' }),
    }),
    async run(input, ctx) {
      const v = await findPackage(ctx, input.ModelPackageArn);
      if (input.ApprovalDescription !== undefined && input.ModelApprovalStatus === undefined) {
        throw validationException('ApprovalDescription is recorded with an approval decision: give ModelApprovalStatus with it.');
      }
      const doc = await documentOf(ctx, v);
      const echo = { ...doc.echo };
      let changed = false;
      const metadata: Record<string, string> = { ...((echo.CustomerMetadataProperties as Record<string, string> | undefined) ?? {}) };
      if (input.CustomerMetadataProperties !== undefined || input.CustomerMetadataPropertiesToRemove !== undefined) {
        Object.assign(metadata, input.CustomerMetadataProperties ?? {});
        for (const k of (input.CustomerMetadataPropertiesToRemove ?? []) as string[]) delete metadata[k];
        if (Object.keys(metadata).length > 50) throw validationException('A model package can have at most 50 CustomerMetadataProperties; this update would give it more.');
        if (Object.keys(metadata).length > 0) echo.CustomerMetadataProperties = metadata;
        else delete echo.CustomerMetadataProperties;
        changed = true;
      }
      for (const k of ['ModelPackageRegistrationType', 'SourceUri', 'ModelCard', 'ModelLifeCycle'] as const) {
        if (input[k] !== undefined) {
          echo[k] = input[k];
          changed = true;
        }
      }
      if (input.ModelApprovalStatus !== undefined) {
        await ctx.platform.registry.setApproval(v.group, v.version, input.ModelApprovalStatus, input.ApprovalDescription, actorOf(ctx)).catch((e: unknown) => {
          throw isPlatformError(e) && e.code === 'NotFound' ? packageNotFound(ctx, input.ModelPackageArn) : e;
        });
      }
      if (changed) await ctx.platform.store.resourceDocuments.put(docRef(v), { ...doc, echo, modifiedAt: Date.now() } as unknown as Record<string, unknown>);
      return { ModelPackageArn: packageArn(ctx, v.group, v.version) };
    },
  },
};
