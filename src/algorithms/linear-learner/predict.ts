import { validationError } from '../../core/errors.js';
import type { PredictionRecord, Predictor } from '../algorithm.js';
import { affineImpl, sigmoidImpl, softmaxRowsImpl } from '../kernels/linear-predict.js';
import { outputsOf, type LinearModel } from './model.js';

/**
 * A predictor over a loaded model, answering in SageMaker Linear Learner's response shapes:
 * binary `{ score: P(y=1), predicted_label }`, multiclass `{ score: class probabilities,
 * predicted_label }`, regressor `{ score }`. Missing (NaN) features take the training mean.
 */
export function createLinearPredictor(model: LinearModel): Predictor {
  const K = outputsOf(model);
  const d = model.featureCount;
  return {
    featureCount: d,
    predict(features: Float64Array, rows: number): PredictionRecord[] {
      if (!Number.isInteger(rows) || rows < 0 || features.length !== rows * d) {
        throw validationError(`expected ${rows} rows of ${d} features (${rows * d} values), got ${features.length} values`, {
          featureCount: d,
        });
      }
      const z = new Float64Array(rows * K);
      affineImpl(features, rows, d, model.weights, model.bias, K, model.featureMeans, z);
      if (model.predictorType === 'binary_classifier') return binaryRecords(z, rows, model.threshold ?? 0.5);
      if (model.predictorType === 'multiclass_classifier') return multiclassRecords(z, rows, K);
      return Array.from(z, (score) => ({ score }));
    },
    csvLine(record: PredictionRecord): string {
      if (model.predictorType === 'regressor') return String(record.score);
      const score = record.score;
      return `${String(record.predicted_label)},${Array.isArray(score) ? score.join(',') : String(score)}`;
    },
  };
}

function binaryRecords(z: Float64Array, rows: number, threshold: number): PredictionRecord[] {
  sigmoidImpl(z, rows);
  const out: PredictionRecord[] = new Array(rows);
  for (let i = 0; i < rows; i++) out[i] = { score: z[i], predicted_label: z[i] >= threshold ? 1 : 0 };
  return out;
}

function multiclassRecords(z: Float64Array, rows: number, K: number): PredictionRecord[] {
  softmaxRowsImpl(z, rows, K);
  const out: PredictionRecord[] = new Array(rows);
  for (let r = 0; r < rows; r++) {
    const probs = Array.from(z.subarray(r * K, (r + 1) * K));
    let best = 0;
    for (let k = 1; k < K; k++) if (probs[k] > probs[best]) best = k;
    out[r] = { score: probs, predicted_label: best };
  }
  return out;
}
