import type { BuiltinAlgorithm, MetricDefinition, PredictionRecord, Predictor } from '../algorithm.js';
import { validateXGBoostHyperparameters, XGBOOST_HYPERPARAMETERS } from './hyperparameters.js';
import { featureImportance, IMPORTANCE_TYPES, type ImportanceType } from './importance.js';
import { loadBoosterFromFolder } from './model-files.js';
import { EVAL_METRICS, type BoosterModel } from './model.js';
import { compileForest, predict, predictionWidth } from './predict.js';
import { toOnnx } from './onnx.js';
import { trainXGBoost } from './train.js';
import { toXGBoostJson } from './xgboost-json.js';

/** XGBoost's JSON (loads in python-xgboost with Booster.load_model) and ONNX (ai.onnx.ml tree ensembles). */
const EXPORT_FORMATS = ['xgboost-json', 'onnx'] as const;
import { validationError } from '../../core/errors.js';

/**
 * One definition per `<channel>:<metric>`, read from XGBoost's round lines
 * (`[12]\ttrain-auc:0.98\tvalidation-auc:0.97`); SageMaker's log pipeline shows the tab as `#011`.
 */
export const XGBOOST_METRICS: readonly MetricDefinition[] = ['train', 'validation'].flatMap((ch) =>
  EVAL_METRICS.map((m) => ({ name: `${ch}:${m}`, regex: `\\[\\d+\\].*(?:\\t|#011)${ch}-${m}:([-+0-9.eE]+|nan|inf)` })),
);

/**
 * A predictor in SageMaker XGBoost's response shapes: `{ score }` per row, a probability for the
 * logistic objectives, a probability vector for multi:softprob, a class index for multi:softmax;
 * CSV (the default) has one prediction per line.
 */
export function createXGBoostPredictor(model: BoosterModel): Predictor {
  const forest = compileForest(model);
  const width = predictionWidth(model);
  return {
    featureCount: model.numFeature,
    defaultAccept: 'text/csv',
    predict(features: Float64Array, rows: number): PredictionRecord[] {
      const values = predict(forest, features);
      const out: PredictionRecord[] = new Array(rows);
      if (width === 1) for (let r = 0; r < rows; r++) out[r] = { score: values[r] };
      else for (let r = 0; r < rows; r++) out[r] = { score: Array.from(values.subarray(r * width, (r + 1) * width)) };
      return out;
    },
    csvLine(record: PredictionRecord): string {
      const s = record.score;
      return Array.isArray(s) ? s.join(',') : String(s);
    },
  };
}

/** The built-in `xgboost`: histogram gradient-boosted trees with XGBoost 1.7's parameters and model format. */
export const xgboost: BuiltinAlgorithm = {
  name: 'xgboost',
  description: 'Gradient-boosted trees (histogram method), compatible with XGBoost 1.7 and SageMaker’s built-in XGBoost: same hyperparameters, metrics and model file.',
  hyperparameters: XGBOOST_HYPERPARAMETERS,
  metricDefinitions: XGBOOST_METRICS,
  channels: { required: ['train'], optional: ['validation'] },
  dataParallel: true,
  validateHyperparameters: validateXGBoostHyperparameters,
  train: trainXGBoost,
  async loadPredictor(modelDir: string) {
    return createXGBoostPredictor(await loadBoosterFromFolder(modelDir));
  },
  exportFormats: EXPORT_FORMATS,
  async exportModel(modelDir: string, format: string) {
    const model = await loadBoosterFromFolder(modelDir);
    if (format === 'onnx') return { format, contentType: 'application/octet-stream', fileName: 'model.onnx', body: toOnnx(model) };
    if (format === 'xgboost-json') return { format, contentType: 'application/json', fileName: 'xgboost-model.json', body: Buffer.from(toXGBoostJson(model)) };
    throw validationError(`export format must be one of ${EXPORT_FORMATS.join(', ')}, got '${format}'`, { field: 'format' });
  },
  async featureImportance(modelDir: string, type: string) {
    if (!(IMPORTANCE_TYPES as readonly string[]).includes(type)) {
      throw validationError(`importance type must be one of ${IMPORTANCE_TYPES.join(', ')}, got '${type}'`, { field: 'type' });
    }
    return { type, features: featureImportance(await loadBoosterFromFolder(modelDir), type as ImportanceType) };
  },
};
