import { Type, type Static } from '@sinclair/typebox';
import { ListQuery, Name, PageOf, StatusTransition, Tags, Timestamp } from './common.js';

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

export const CreateEndpointConfigRequest = Type.Object(
  { name: Name, variants: Type.Array(ProductionVariant, { minItems: 1, maxItems: 10 }), tags: Type.Optional(Tags) },
  { additionalProperties: false },
);
export type CreateEndpointConfigRequest = Static<typeof CreateEndpointConfigRequest>;

export const EndpointConfig = Type.Object({
  name: Name,
  arn: Type.String(),
  variants: Type.Array(Type.Object({ name: Type.String(), model: Type.String(), instanceType: Type.String(), instanceCount: Type.Integer(), weight: Type.Number() })),
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

export const UpdateEndpointRequest = Type.Object({ config: Name }, { additionalProperties: false });
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
