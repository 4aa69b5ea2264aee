import { Type, type Static } from '@sinclair/typebox';
import { ListQuery, Name, PageOf, StatusTransition, Tags, Timestamp } from './common.js';
import { DeploymentConfig, PendingDeployment } from './deployment.js';

export const ProductionVariant = Type.Object(
  {
    name: Name,
    model: Name,
    instanceType: Type.Optional(Type.String({ default: 'ml.m5.large' })),
    instanceCount: Type.Optional(Type.Integer({ minimum: 1, maximum: 16, default: 1 })),
    /** Traffic share = weight / sum of weights. */
    weight: Type.Optional(Type.Number({ minimum: 0, default: 1 })),
  },
  { additionalProperties: false },
);
export type ProductionVariant = Static<typeof ProductionVariant>;

const ContentTypes = Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { minItems: 1, maxItems: 10 });

/** Data capture of an endpoint config (SageMaker's DataCaptureConfig, in our naming). */
export const DataCaptureConfig = Type.Object(
  {
    /** @defaultValue true (SageMaker's EnableCapture) */
    enabled: Type.Optional(Type.Boolean({ default: true })),
    /** Share of requests captured, 0–100 (InitialSamplingPercentage). */
    samplingPercentage: Type.Number({ minimum: 0, maximum: 100 }),
    /** Artifact-store key prefix the JSON lines go under (DestinationS3Uri). */
    destination: Type.Optional(Type.String({ minLength: 1, maxLength: 512, pattern: '^(?!/)(?!.*(^|/)\\.\\.(/|$))[A-Za-z0-9._/-]+$', default: 'data-capture/' })),
    /** What is captured (CaptureOptions). @defaultValue ['Input', 'Output'] */
    captureOptions: Type.Optional(Type.Array(Type.Union([Type.Literal('Input'), Type.Literal('Output')]), { minItems: 1, maxItems: 2, uniqueItems: true })),
    /** Content types captured as text with encoding CSV (CaptureContentTypeHeader.CsvContentTypes). @defaultValue ['text/csv'] */
    csvContentTypes: Type.Optional(ContentTypes),
    /** Content types captured as text with encoding JSON. @defaultValue ['application/json', 'application/jsonlines'] */
    jsonContentTypes: Type.Optional(ContentTypes),
  },
  { additionalProperties: false },
);
export type DataCaptureConfig = Static<typeof DataCaptureConfig>;

/** A shadow variant (SageMaker's ShadowProductionVariants): gets a copy of a share of live traffic; its answers never reach callers. */
export const ShadowVariant = Type.Object(
  {
    name: Name,
    model: Name,
    instanceType: Type.Optional(Type.String({ default: 'ml.m5.large' })),
    instanceCount: Type.Optional(Type.Integer({ minimum: 1, maximum: 16, default: 1 })),
    /** Share of live requests copied to the shadow, 0–100. */
    samplingPercentage: Type.Number({ minimum: 0, maximum: 100 }),
  },
  { additionalProperties: false },
);
export type ShadowVariant = Static<typeof ShadowVariant>;

export const CreateEndpointConfigRequest = Type.Object(
  {
    name: Name,
    variants: Type.Array(ProductionVariant, { minItems: 1, maxItems: 10 }),
    shadowVariants: Type.Optional(Type.Array(ShadowVariant, { maxItems: 10 })),
    dataCapture: Type.Optional(DataCaptureConfig),
    tags: Type.Optional(Tags),
  },
  { additionalProperties: false },
);
export type CreateEndpointConfigRequest = Static<typeof CreateEndpointConfigRequest>;

export const EndpointConfig = Type.Object({
  name: Name,
  arn: Type.String(),
  variants: Type.Array(Type.Object({ name: Type.String(), model: Type.String(), instanceType: Type.String(), instanceCount: Type.Integer(), weight: Type.Number() })),
  shadowVariants: Type.Optional(Type.Array(Type.Object({ name: Type.String(), model: Type.String(), instanceType: Type.String(), instanceCount: Type.Integer(), samplingPercentage: Type.Number() }))),
  dataCapture: Type.Optional(Type.Object({
    enabled: Type.Boolean(), samplingPercentage: Type.Number(), destination: Type.String(), captureOptions: Type.Array(Type.String()),
    csvContentTypes: Type.Array(Type.String()), jsonContentTypes: Type.Array(Type.String()),
  })),
  tags: Type.Optional(Tags),
  createdAt: Timestamp,
});
export type EndpointConfig = Static<typeof EndpointConfig>;
export const EndpointConfigList = PageOf(EndpointConfig);

export const EndpointStatus = Type.Union([Type.Literal('Creating'), Type.Literal('InService'), Type.Literal('Updating'), Type.Literal('RollingBack'), Type.Literal('Deleting'), Type.Literal('Failed'), Type.Literal('OutOfService')]);
export type EndpointStatus = 'Creating' | 'InService' | 'Updating' | 'RollingBack' | 'Deleting' | 'Failed' | 'OutOfService';

export const EndpointVariantState = Type.Object({
  name: Type.String(),
  model: Type.String(),
  instanceType: Type.String(),
  currentWeight: Type.Number(),
  desiredWeight: Type.Number(),
  currentInstanceCount: Type.Integer(),
  desiredInstanceCount: Type.Integer(),
});
export type EndpointVariantState = Static<typeof EndpointVariantState>;

export const CreateEndpointRequest = Type.Object(
  { name: Name, config: Name, tags: Type.Optional(Tags) },
  { additionalProperties: false },
);
export type CreateEndpointRequest = Static<typeof CreateEndpointRequest>;

export const UpdateEndpointRequest = Type.Object(
  { config: Name, /** Traffic shifting and automatic rollback; absent: all at once, no bake, no alarms. */ deployment: Type.Optional(DeploymentConfig) },
  { additionalProperties: false },
);
export type UpdateEndpointRequest = Static<typeof UpdateEndpointRequest>;

export const UpdateWeightsRequest = Type.Object(
  {
    variants: Type.Array(
      Type.Object(
        { name: Name, weight: Type.Optional(Type.Number({ minimum: 0 })), instanceCount: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 })) },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 10 },
    ),
  },
  { additionalProperties: false },
);
export type UpdateWeightsRequest = Static<typeof UpdateWeightsRequest>;

export const Endpoint = Type.Object({
  name: Name,
  arn: Type.String(),
  config: Type.String(),
  status: EndpointStatus,
  failureReason: Type.Optional(Type.String()),
  variants: Type.Array(EndpointVariantState),
  statusHistory: Type.Array(StatusTransition),
  /** While an update shifts traffic: the new config and green's share. */
  pendingDeployment: Type.Optional(PendingDeployment),
  url: Type.String({ description: 'Invocation path' }),
  tags: Type.Optional(Tags),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Endpoint = Static<typeof Endpoint>;
export const EndpointList = PageOf(Type.Omit(Endpoint, ['statusHistory']));
export type EndpointList = Static<typeof EndpointList>;
export const EndpointListQuery = Type.Composite([ListQuery, Type.Object({ status: Type.Optional(EndpointStatus) })], { additionalProperties: false });

/** Response header naming the variant that answered (SageMaker's). */
export const INVOKED_VARIANT_HEADER = 'x-amzn-invoked-production-variant';
/** Request header picking a variant (SageMaker's). */
export const TARGET_VARIANT_HEADER = 'x-amzn-sagemaker-target-variant';
