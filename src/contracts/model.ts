import { Type, type Static } from '@sinclair/typebox';
import { ListQuery, Name, PageOf, Tags, Timestamp } from './common.js';

export const CreateModelRequest = Type.Object(
  {
    name: Name,
    /** A Completed training job whose model artifact to serve. */
    trainingJob: Type.Optional(Name),
    /** Or a model artifact URI in the artifact store (a model.tar.gz) plus the algorithm that reads it. */
    artifactUri: Type.Optional(Type.String({ maxLength: 2048 })),
    algorithm: Type.Optional(Type.String()),
    tags: Type.Optional(Tags),
  },
  { additionalProperties: false },
);
export type CreateModelRequest = Static<typeof CreateModelRequest>;

export const Model = Type.Object({
  name: Name,
  arn: Type.String(),
  algorithm: Type.String(),
  artifactUri: Type.String(),
  trainingJob: Type.Optional(Type.String()),
  tags: Type.Optional(Tags),
  createdAt: Timestamp,
});
export type Model = Static<typeof Model>;
export const ModelList = PageOf(Model);
export type ModelList = Static<typeof ModelList>;
export const ModelListQuery = ListQuery;

/** Importance of each feature of a model, most important first. */
export const FeatureImportance = Type.Object({
  /** The model or training job it was computed for. */
  model: Type.Optional(Type.String()),
  trainingJob: Type.Optional(Type.String()),
  algorithm: Type.String(),
  /** `gain`, `weight`, `cover`, `total_gain`, `total_cover` (XGBoost's `get_score` types). */
  type: Type.String(),
  features: Type.Array(Type.Object({ feature: Type.String(), value: Type.Number() })),
});
export type FeatureImportance = Static<typeof FeatureImportance>;

export const FeatureImportanceQuery = Type.Object(
  { type: Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z_]+$', default: 'gain' }) },
  { additionalProperties: false },
);
export type FeatureImportanceQuery = Static<typeof FeatureImportanceQuery>;

export const ModelExportQuery = Type.Object(
  { format: Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z0-9-]+$', description: "e.g. 'onnx' or 'xgboost-json' (xgboost models)" }) },
  { additionalProperties: false },
);
export type ModelExportQuery = Static<typeof ModelExportQuery>;
