import { parseAlarmSpec, type DeploymentConfig } from '../../contracts/deployment.js';
import type { DataCaptureConfig, EndpointVariantState } from '../../contracts/endpoint.js';
import { isPlatformError } from '../../core/errors.js';
import { INSTANCE_TYPES } from '../../core/instance-types.js';
import type { EndpointConfigRecord, EndpointRecord } from '../../store/metadata-store.js';
import type { EndpointConfigSpec, ModelSpec } from '../../serving/model-service.js';
import { arnOf, epoch, keyOfS3Url, listAll, pageOf, s3UrlOf, type OpContext, type Operation } from './context.js';
import { AwsError, validationException } from './errors.js';
import { imageOf } from './images.js';
import { bool, listInput, float, int, list, MODEL_NAME, name, opaque, req, str, struct, tags, timestamp, unsupported } from './shape.js';
import { recordCreationTags } from './tags.js';
import { roleArn, vpcConfig } from './models.js';

/** Instances per variant the local fleet runs at most (the native API's limit). */
const MAX_INSTANCES = 16;
const ENDPOINT_STATUSES = ['OutOfService', 'Creating', 'Updating', 'SystemUpdating', 'RollingBack', 'InService', 'Deleting', 'Failed', 'UpdateRollbackFailed'];

const variant = struct({
  VariantName: req(name()),
  ModelName: req(str({ max: 63, pattern: MODEL_NAME })),
  InitialInstanceCount: req(int({ min: 1 })),
  InstanceType: req(str()),
  InitialVariantWeight: float({ min: 0 }),
  VolumeSizeInGB: int({ min: 1, max: 512 }),
  ModelDataDownloadTimeoutInSeconds: int({ min: 60, max: 3600 }),
  ContainerStartupHealthCheckTimeoutInSeconds: int({ min: 60, max: 3600 }),
  RoutingConfig: struct({ RoutingStrategy: req(str({ enum: ['LEAST_OUTSTANDING_REQUESTS', 'RANDOM'] })) }),
  AcceleratorType: unsupported('Elastic Inference accelerators do not exist here'),
  ServerlessConfig: unsupported('serverless inference is not available; give InstanceType and InitialInstanceCount'),
  InstancePools: unsupported('instance pools are not available'),
  VariantInstanceProvisionTimeoutInSeconds: unsupported('instance provisioning is not configurable'),
  CoreDumpConfig: unsupported('core dumps are not collected'),
  EnableSSMAccess: unsupported('SSM access is not available'),
  ManagedInstanceScaling: unsupported('managed instance scaling is not available; use UpdateEndpointWeightsAndCapacities'),
  InferenceAmiVersion: unsupported('AMI versions do not apply'),
  CapacityReservationConfig: unsupported('capacity reservations do not apply'),
});

const capacitySize = struct({ Type: req(str({ enum: ['INSTANCE_COUNT', 'CAPACITY_PERCENT'] })), Value: req(int({ min: 1 })) });

/** BlueGreenUpdatePolicy with traffic shifting; alarms are named `name:metric>threshold/window` (Stratus evaluates them itself). */
const deploymentConfigShape = struct({
  BlueGreenUpdatePolicy: struct({
    TrafficRoutingConfiguration: req(struct({
      Type: req(str({ enum: ['ALL_AT_ONCE', 'CANARY', 'LINEAR'] })),
      WaitIntervalInSeconds: req(int({ min: 0, max: 3600 })),
      CanarySize: capacitySize,
      LinearStepSize: capacitySize,
    })),
    TerminationWaitInSeconds: int({ min: 0, max: 3600 }),
    MaximumExecutionTimeoutInSeconds: int({ min: 1, max: 28800 }),
  }),
  AutoRollbackConfiguration: struct({ Alarms: list(struct({ AlarmName: req(str({ min: 1, max: 255 })) }), { max: 10 }) }),
  RollingUpdatePolicy: unsupported('rolling updates are not available; use BlueGreenUpdatePolicy with LINEAR traffic routing'),
});

type Capacity = { Type: 'INSTANCE_COUNT' | 'CAPACITY_PERCENT'; Value: number };

/** SageMaker's DeploymentConfig as the native deployment policy (undefined: all at once, as before). */
function toDeployment(config: Record<string, any> | undefined): DeploymentConfig | undefined {
  const bg = config?.BlueGreenUpdatePolicy;
  if (!bg) {
    if (config?.AutoRollbackConfiguration) throw validationException('AutoRollbackConfiguration needs a BlueGreenUpdatePolicy to roll back from.');
    return undefined;
  }
  const t = bg.TrafficRoutingConfiguration;
  const size = (c: Capacity | undefined) => c && { type: c.Type, value: c.Value };
  const alarms = ((config?.AutoRollbackConfiguration?.Alarms ?? []) as Array<{ AlarmName: string }>).map(({ AlarmName }) => {
    const alarm = parseAlarmSpec(AlarmName);
    if (!alarm) {
      throw validationException(`Alarm '${AlarmName}' is not one Stratus can evaluate: name it '<name>:<errorRate|5xxRate|p99LatencyMs>><threshold>/<window>s', e.g. 'errors:errorRate>0.05/60s'.`);
    }
    return alarm;
  });
  return {
    trafficRouting: {
      type: t.Type,
      waitIntervalSeconds: t.WaitIntervalInSeconds,
      ...(t.CanarySize ? { canarySize: size(t.CanarySize) } : {}),
      ...(t.LinearStepSize ? { linearStepSize: size(t.LinearStepSize) } : {}),
    },
    ...(bg.MaximumExecutionTimeoutInSeconds !== undefined ? { maximumExecutionTimeoutSeconds: bg.MaximumExecutionTimeoutInSeconds } : {}),
    ...(bg.TerminationWaitInSeconds !== undefined ? { terminationWaitSeconds: bg.TerminationWaitInSeconds } : {}),
    ...(alarms.length ? { rollback: { alarms } } : {}),
  } as DeploymentConfig;
}

const dataCaptureShape = struct({
  EnableCapture: bool(),
  InitialSamplingPercentage: req(int({ min: 0, max: 100 })),
  DestinationS3Uri: req(str({ max: 512 })),
  KmsKeyId: unsupported('KMS encryption is not available; captured data is stored unencrypted in the artifact store'),
  CaptureOptions: req(list(struct({ CaptureMode: req(str({ enum: ['Input', 'Output', 'InputAndOutput'] })) }), { min: 1, max: 32 })),
  CaptureContentTypeHeader: struct({ CsvContentTypes: list(str({ min: 1, max: 256 }), { min: 1, max: 10 }), JsonContentTypes: list(str({ min: 1, max: 256 }), { min: 1, max: 10 }) }),
});

/** SageMaker's DataCaptureConfig as the native one: DestinationS3Uri names a key prefix in the artifact store. */
function toDataCapture(c: Record<string, any>): DataCaptureConfig {
  const modes = new Set((c.CaptureOptions as Array<{ CaptureMode: string }>).flatMap((o) => (o.CaptureMode === 'InputAndOutput' ? ['Input', 'Output'] : [o.CaptureMode])));
  const prefix = keyOfS3Url(String(c.DestinationS3Uri).replace(/\/?$/, '/'), 'dataCaptureConfig.destinationS3Uri');
  return {
    enabled: c.EnableCapture ?? true,
    samplingPercentage: c.InitialSamplingPercentage,
    destination: prefix,
    captureOptions: [...modes] as DataCaptureConfig['captureOptions'],
    ...(c.CaptureContentTypeHeader?.CsvContentTypes ? { csvContentTypes: c.CaptureContentTypeHeader.CsvContentTypes } : {}),
    ...(c.CaptureContentTypeHeader?.JsonContentTypes ? { jsonContentTypes: c.CaptureContentTypeHeader.JsonContentTypes } : {}),
  };
}

/** A shadow gets the share of traffic its weight bears to the production variant's (SageMaker's sampling rule). */
function toShadow(v: Record<string, any>, production: Record<string, any>) {
  const share = (v.InitialVariantWeight ?? 1) / (production.InitialVariantWeight ?? 1);
  return { name: v.VariantName, model: v.ModelName, instanceType: v.InstanceType, instanceCount: v.InitialInstanceCount, samplingPercentage: Math.min(100, share * 100) };
}

/** DescribeEndpoint's DataCaptureConfigSummary, from the serving config's capture settings. */
async function dataCaptureSummary(ctx: OpContext, r: EndpointRecord) {
  const config = await ctx.platform.store.endpointConfigs.find(r.configName);
  const capture = (config?.spec as unknown as EndpointConfigSpec | undefined)?.dataCapture;
  if (!capture) return {};
  return {
    DataCaptureConfig: {
      EnableCapture: capture.enabled,
      CaptureStatus: capture.enabled ? 'Started' : 'Stopped',
      CurrentSamplingPercentage: capture.samplingPercentage,
      DestinationS3Uri: s3UrlOf(capture.destination.replace(/\/$/, '')),
      KmsKeyId: '',
    },
  };
}

/** The SageMaker members an endpoint config echoes in DescribeEndpointConfig. */
type ConfigDocument = Record<string, unknown> & { ProductionVariants: Array<Record<string, unknown>> };

const configNotFound = (ctx: OpContext, n: string) => validationException(`Could not find endpoint configuration "${arnOf(ctx, 'endpoint-config', n)}".`);
const endpointNotFound = (ctx: OpContext, n: string) => validationException(`Could not find endpoint "${arnOf(ctx, 'endpoint', n)}".`);

async function findConfig(ctx: OpContext, n: string): Promise<EndpointConfigRecord> {
  const r = await ctx.platform.store.endpointConfigs.find(n);
  if (!r) throw configNotFound(ctx, n);
  return r;
}

async function findEndpoint(ctx: OpContext, n: string): Promise<EndpointRecord> {
  const r = await ctx.platform.store.endpoints.find(n);
  if (!r) throw endpointNotFound(ctx, n);
  return r;
}

function checkVariant(v: Record<string, any>, i: number) {
  const path = `productionVariants.${i + 1}.member`;
  if (!INSTANCE_TYPES.has(v.InstanceType)) {
    throw validationException(`1 validation error detected: Value '${v.InstanceType}' at '${path}.instanceType' failed to satisfy constraint: Member must be an instance type Stratus has: [${[...INSTANCE_TYPES.keys()].join(', ')}]`);
  }
  if (v.InitialInstanceCount > MAX_INSTANCES) {
    throw new AwsError('ResourceLimitExceeded', `The account-level service limit '${v.InstanceType} for endpoint usage' is ${MAX_INSTANCES} Instances, with current utilization of 0 Instances and a request delta of ${v.InitialInstanceCount} Instances.`);
  }
  if (v.RoutingConfig?.RoutingStrategy === 'RANDOM') {
    throw validationException(`'${path}.routingConfig.routingStrategy' RANDOM is not supported by Stratus: a variant's replicas are picked by least outstanding requests. Use LEAST_OUTSTANDING_REQUESTS or leave RoutingConfig out.`);
  }
}

function nativeConfigDocument(spec: EndpointConfigSpec): ConfigDocument {
  return {
    ProductionVariants: spec.variants.map((v) => ({ VariantName: v.name, ModelName: v.model, InitialInstanceCount: v.instanceCount, InstanceType: v.instanceType, InitialVariantWeight: v.weight })),
  };
}

function variantSummary(v: EndpointVariantState, image: string | undefined, at: Date) {
  return {
    VariantName: v.name,
    ...(image ? { DeployedImages: [{ SpecifiedImage: image, ResolvedImage: image, ResolutionTime: epoch(at) }] } : {}),
    CurrentWeight: v.currentWeight,
    DesiredWeight: v.desiredWeight,
    CurrentInstanceCount: v.currentInstanceCount,
    DesiredInstanceCount: v.desiredInstanceCount,
  };
}

/** The image a variant's model was created with (as given to CreateModel), else Stratus's name for its algorithm. */
async function imageOfModel(ctx: OpContext, model: string): Promise<string | undefined> {
  const record = await ctx.platform.store.models.find(model);
  if (!record) return undefined;
  const doc = await ctx.platform.store.resourceDocuments.find({ kind: 'model', name: model, createdAt: record.createdAt });
  const given = (doc?.PrimaryContainer as { Image?: string } | undefined)?.Image;
  return given ?? imageOf((record.spec as unknown as ModelSpec).algorithm);
}

const busy = (ctx: OpContext, r: EndpointRecord) => validationException(`Cannot update in-progress endpoint "${arnOf(ctx, 'endpoint', r.name)}" (status ${r.status}); wait until it is InService.`);

export const endpointOperations: Record<string, Operation> = {
  CreateEndpointConfig: {
    readOnly: false,
    input: struct({
      EndpointConfigName: req(name()),
      ProductionVariants: req(list(variant, { min: 1, max: 10 })),
      ShadowProductionVariants: list(variant, { min: 1, max: 10 }),
      DataCaptureConfig: dataCaptureShape,
      AsyncInferenceConfig: unsupported('asynchronous inference is not available'),
      ExplainerConfig: unsupported('Clarify explanations are not available'),
      KmsKeyId: unsupported('KMS encryption is not available; artifacts are stored unencrypted in the artifact store'),
      MetricsConfig: unsupported('enhanced metrics are not available'),
      ExecutionRoleArn: roleArn,
      VpcConfig: vpcConfig,
      EnableNetworkIsolation: bool(),
      Tags: tags,
    }),
    async run(input, ctx) {
      const n: string = input.EndpointConfigName;
      const variants = input.ProductionVariants as Array<Record<string, any>>;
      variants.forEach(checkVariant);
      const shadows = (input.ShadowProductionVariants ?? []) as Array<Record<string, any>>;
      shadows.forEach(checkVariant);
      if (shadows.length > 0 && (variants.length !== 1 || shadows.length !== 1)) {
        throw validationException('If you use ShadowProductionVariants, you can only specify one variant for ProductionVariants and one variant for ShadowProductionVariants.');
      }
      const { store, models } = ctx.platform;
      if (await store.endpointConfigs.find(n)) throw validationException(`Cannot create already existing endpoint configuration "${arnOf(ctx, 'endpoint-config', n)}".`);
      for (const v of [...variants, ...shadows]) if (!(await store.models.find(v.ModelName))) throw validationException(`Could not find model "${arnOf(ctx, 'model', v.ModelName)}".`);
      try {
        await models.createConfig({
          name: n,
          variants: variants.map((v) => ({ name: v.VariantName, model: v.ModelName, instanceType: v.InstanceType, instanceCount: v.InitialInstanceCount, weight: v.InitialVariantWeight ?? 1 })),
          ...(shadows.length ? { shadowVariants: shadows.map((v) => toShadow(v, variants[0])) } : {}),
          ...(input.DataCaptureConfig ? { dataCapture: toDataCapture(input.DataCaptureConfig) } : {}),
        });
      } catch (e) {
        if (isPlatformError(e) && e.code === 'ResourceInUse') throw validationException(`Cannot create already existing endpoint configuration "${arnOf(ctx, 'endpoint-config', n)}".`);
        throw e;
      }
      const record = await store.endpointConfigs.get(n);
      const ref = { kind: 'endpoint-config', name: n, createdAt: record.createdAt };
      const doc: ConfigDocument = { ProductionVariants: variants.map((v) => ({ InitialVariantWeight: 1, ...v })) };
      for (const k of ['ExecutionRoleArn', 'VpcConfig', 'EnableNetworkIsolation', 'ShadowProductionVariants', 'DataCaptureConfig']) if (input[k] !== undefined) doc[k] = input[k];
      await store.resourceDocuments.put(ref, doc);
      await recordCreationTags(ctx, ref, input.Tags);
      return { EndpointConfigArn: arnOf(ctx, 'endpoint-config', n) };
    },
  },

  DescribeEndpointConfig: {
    readOnly: true,
    input: struct({ EndpointConfigName: req(name()) }),
    async run(input, ctx) {
      const r = await findConfig(ctx, input.EndpointConfigName);
      const doc = (await ctx.platform.store.resourceDocuments.find({ kind: 'endpoint-config', name: r.name, createdAt: r.createdAt })) ??
        nativeConfigDocument(r.spec as unknown as EndpointConfigSpec);
      return { EndpointConfigName: r.name, EndpointConfigArn: arnOf(ctx, 'endpoint-config', r.name), CreationTime: epoch(r.createdAt), ...doc };
    },
  },

  ListEndpointConfigs: {
    readOnly: true,
    input: struct(listInput(['Name', 'CreationTime'])),
    async run(input, ctx) {
      const page = pageOf(await listAll((q) => ctx.platform.store.endpointConfigs.list(q)), input);
      return {
        EndpointConfigs: page.items.map((r) => ({ EndpointConfigName: r.name, EndpointConfigArn: arnOf(ctx, 'endpoint-config', r.name), CreationTime: epoch(r.createdAt) })),
        ...(page.nextToken ? { NextToken: page.nextToken } : {}),
      };
    },
  },

  DeleteEndpointConfig: {
    readOnly: false,
    input: struct({ EndpointConfigName: req(name()) }),
    async run(input, ctx) {
      await findConfig(ctx, input.EndpointConfigName);
      await ctx.platform.models.deleteConfig(input.EndpointConfigName);
      return {};
    },
  },

  CreateEndpoint: {
    readOnly: false,
    input: struct({
      EndpointName: req(name()),
      EndpointConfigName: req(name()),
      DeploymentConfig: unsupported('deployments are all-at-once blue/green; deployment policies are not configurable'),
      Tags: tags,
    }),
    async run(input, ctx) {
      const n: string = input.EndpointName;
      const { store, endpoints } = ctx.platform;
      if (await store.endpoints.find(n)) throw validationException(`Cannot create already existing endpoint "${arnOf(ctx, 'endpoint', n)}".`);
      await findConfig(ctx, input.EndpointConfigName);
      try {
        await endpoints.create({ name: n, config: input.EndpointConfigName });
      } catch (e) {
        if (isPlatformError(e) && e.code === 'ResourceInUse') throw validationException(`Cannot create already existing endpoint "${arnOf(ctx, 'endpoint', n)}".`);
        throw e;
      }
      const record = await store.endpoints.get(n);
      await recordCreationTags(ctx, { kind: 'endpoint', name: n, createdAt: record.createdAt }, input.Tags);
      return { EndpointArn: arnOf(ctx, 'endpoint', n) };
    },
  },

  DescribeEndpoint: {
    readOnly: true,
    input: struct({ EndpointName: req(name()) }),
    async run(input, ctx) {
      const r = await findEndpoint(ctx, input.EndpointName);
      const variants = r.variants as EndpointVariantState[];
      const summaries = [];
      for (const v of variants) summaries.push(variantSummary(v, await imageOfModel(ctx, v.model), r.updatedAt));
      return {
        EndpointName: r.name,
        EndpointArn: arnOf(ctx, 'endpoint', r.name),
        EndpointConfigName: r.configName,
        ProductionVariants: summaries,
        EndpointStatus: r.status,
        ...(r.failureReason ? { FailureReason: r.failureReason } : {}),
        ...(await dataCaptureSummary(ctx, r)),
        CreationTime: epoch(r.createdAt),
        LastModifiedTime: epoch(r.updatedAt),
      };
    },
  },

  ListEndpoints: {
    readOnly: true,
    input: struct(listInput(['Name', 'CreationTime', 'Status'], {
      LastModifiedTimeBefore: timestamp(),
      LastModifiedTimeAfter: timestamp(),
      StatusEquals: str({ enum: ENDPOINT_STATUSES }),
    })),
    async run(input, ctx) {
      const all = (await ctx.platform.store.endpoints.listAll()).map((r) => ({ ...r, modifiedAt: r.updatedAt }));
      const page = pageOf(all, input);
      return {
        Endpoints: page.items.map((r) => ({
          EndpointName: r.name, EndpointArn: arnOf(ctx, 'endpoint', r.name), CreationTime: epoch(r.createdAt), LastModifiedTime: epoch(r.updatedAt), EndpointStatus: r.status,
        })),
        ...(page.nextToken ? { NextToken: page.nextToken } : {}),
      };
    },
  },

  UpdateEndpoint: {
    readOnly: false,
    input: struct({
      EndpointName: req(name()),
      EndpointConfigName: req(name()),
      RetainAllVariantProperties: bool(),
      ExcludeRetainedVariantProperties: opaque(),
      DeploymentConfig: deploymentConfigShape,
      RetainDeploymentConfig: bool(),
    }),
    async run(input, ctx) {
      if (input.RetainAllVariantProperties === true) {
        throw validationException("'retainAllVariantProperties' true is not supported by Stratus: an update deploys the new config's weights and instance counts. Leave it out or false, then call UpdateEndpointWeightsAndCapacities.");
      }
      if (input.ExcludeRetainedVariantProperties !== undefined) {
        throw validationException("'excludeRetainedVariantProperties' is not supported by Stratus (it applies only with RetainAllVariantProperties). Remove it from the request.");
      }
      const r = await findEndpoint(ctx, input.EndpointName);
      if (r.status !== 'InService') throw busy(ctx, r);
      await findConfig(ctx, input.EndpointConfigName);
      try {
        await ctx.platform.endpoints.update(r.name, input.EndpointConfigName, toDeployment(input.DeploymentConfig));
      } catch (e) {
        if (isPlatformError(e) && e.code === 'ValidationError') throw validationException(e.message);
        throw e;
      }
      return { EndpointArn: arnOf(ctx, 'endpoint', r.name) };
    },
  },

  UpdateEndpointWeightsAndCapacities: {
    readOnly: false,
    input: struct({
      EndpointName: req(name()),
      DesiredWeightsAndCapacities: req(list(struct({
        VariantName: req(name()),
        DesiredWeight: float({ min: 0 }),
        DesiredInstanceCount: int({ min: 0 }),
        ServerlessUpdateConfig: unsupported('serverless inference is not available'),
      }), { min: 1 })),
    }),
    async run(input, ctx) {
      const r = await findEndpoint(ctx, input.EndpointName);
      if (r.status !== 'InService') throw busy(ctx, r);
      const changes = input.DesiredWeightsAndCapacities as Array<{ VariantName: string; DesiredWeight?: number; DesiredInstanceCount?: number }>;
      changes.forEach((c, i) => {
        if (c.DesiredInstanceCount === 0) {
          throw validationException(`'desiredWeightsAndCapacities.${i + 1}.member.desiredInstanceCount' 0 is not supported by Stratus: a variant keeps at least one instance. Set its DesiredWeight to 0 to take it out of traffic.`);
        }
        if (c.DesiredInstanceCount !== undefined && c.DesiredInstanceCount > MAX_INSTANCES) {
          throw new AwsError('ResourceLimitExceeded', `The account-level service limit 'instances per variant for endpoint usage' is ${MAX_INSTANCES} Instances, with a request delta of ${c.DesiredInstanceCount} Instances.`);
        }
      });
      await ctx.platform.endpoints.updateWeights(r.name, {
        variants: changes.map((c) => ({
          name: c.VariantName,
          ...(c.DesiredWeight !== undefined ? { weight: c.DesiredWeight } : {}),
          ...(c.DesiredInstanceCount !== undefined ? { instanceCount: c.DesiredInstanceCount } : {}),
        })),
      });
      return { EndpointArn: arnOf(ctx, 'endpoint', r.name) };
    },
  },

  DeleteEndpoint: {
    readOnly: false,
    input: struct({ EndpointName: req(name()) }),
    async run(input, ctx) {
      await findEndpoint(ctx, input.EndpointName);
      await ctx.platform.endpoints.delete(input.EndpointName);
      return {};
    },
  },
};
