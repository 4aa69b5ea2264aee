import { Type, type Static } from '@sinclair/typebox';
import { ListQuery, Name, PageOf, Tags, Timestamp } from './common.js';

/** How a model answers: `builtin` (a built-in algorithm's artifact), `onnx`, `container` (your server), `python` (SageMaker-style handlers). */
export const ModelRuntime = Type.Union([Type.Literal('builtin'), Type.Literal('onnx'), Type.Literal('container'), Type.Literal('python')], {
  description:
    "builtin (default when algorithm is given): a built-in algorithm's artifact. onnx: a .onnx file (bare, or one in a model.tar.gz) run by ONNX Runtime. " +
    'container: your own HTTP server (GET /ping, POST /invocations on $SAGEMAKER_BIND_TO_PORT) started from source + entryPoint or command. ' +
    'python: an inference.py with model_fn/input_fn/predict_fn/output_fn (SageMaker inference toolkit handlers).',
});
export type ModelRuntime = Static<typeof ModelRuntime>;
export const MODEL_RUNTIMES = ['builtin', 'onnx', 'container', 'python'] as const satisfies readonly ModelRuntime[];

/** Variables added to a replica's environment (not STRATUS_*, SAGEMAKER_BIND_TO_PORT or SM_MODEL_DIR). */
export const ModelEnvironment = Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' }), Type.String({ maxLength: 4096 }), { maxProperties: 100 });

export const CreateModelRequest = Type.Object(
  {
    name: Name,
    /** A Completed training job whose model artifact to serve. */
    trainingJob: Type.Optional(Name),
    /** Or a model artifact URI in the artifact store (a model.tar.gz, or a bare .onnx for runtime onnx). */
    artifactUri: Type.Optional(Type.String({ maxLength: 2048 })),
    /** The built-in algorithm that reads the artifact (runtime builtin). */
    algorithm: Type.Optional(Type.String()),
    runtime: Type.Optional(ModelRuntime),
    source: Type.Optional(Type.String({
      minLength: 1,
      maxLength: 2048,
      description: "Runtimes container and python: artifact URI (or key) of a .tar.gz of your inference code, extracted as the replica's working folder. python without source uses the model artifact's code/ folder (SageMaker's layout).",
    })),
    entryPoint: Type.Optional(Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'container: file in the code bundle to run (.py with the configured Python, .js/.mjs/.cjs with node, .sh with /bin/sh, any other file executed). python: the handler module (default inference.py).',
    })),
    command: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), {
      minItems: 1,
      maxItems: 256,
      description: 'container: an explicit argv run in the code folder instead of an entry point.',
    })),
    environment: Type.Optional(ModelEnvironment),
    tags: Type.Optional(Tags),
  },
  { additionalProperties: false },
);
export type CreateModelRequest = Static<typeof CreateModelRequest>;

export const Model = Type.Object({
  name: Name,
  arn: Type.String(),
  runtime: ModelRuntime,
  /** The built-in algorithm (runtime builtin only). */
  algorithm: Type.Optional(Type.String()),
  artifactUri: Type.String(),
  source: Type.Optional(Type.String()),
  entryPoint: Type.Optional(Type.String()),
  command: Type.Optional(Type.Array(Type.String())),
  environment: Type.Optional(Type.Record(Type.String(), Type.String())),
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
