import { describe, expect, it } from 'vitest';
import type { LinearModel } from './model.js';
import { createLinearPredictor } from './predict.js';

const base = { featureCount: 2, featureNames: ['a', 'b'], featureMeans: Float64Array.from([1, 10]) };
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe('linear-learner predictor', () => {
  it('answers binary records with P(y=1) and the thresholded label', () => {
    const model: LinearModel = { ...base, predictorType: 'binary_classifier', numClasses: 2, threshold: 0.6, weights: Float64Array.from([1, -1]), bias: Float64Array.from([0.5]) };
    const p = createLinearPredictor(model);
    const recs = p.predict(Float64Array.from([1, 1, 2, 1]), 2);
    expect(recs[0].score).toBeCloseTo(sigmoid(0.5), 15);
    expect(recs[0].predicted_label).toBe(1);
    expect(recs[1]).toEqual({ score: sigmoid(1.5), predicted_label: 1 });
    expect(p.predict(Float64Array.from([0, 0.9]), 1)[0].predicted_label).toBe(0);
    expect(p.csvLine({ score: 0.25, predicted_label: 0 })).toBe('0,0.25');
  });

  it('answers multiclass records with probabilities and the arg-max', () => {
    const model: LinearModel = {
      ...base,
      predictorType: 'multiclass_classifier',
      numClasses: 3,
      threshold: null,
      weights: Float64Array.from([1, 0, 0, 1, -1, -1]),
      bias: Float64Array.from([0, 0, 0]),
    };
    const p = createLinearPredictor(model);
    const [rec] = p.predict(Float64Array.from([0, 3]), 1);
    const probs = rec.score as number[];
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(rec.predicted_label).toBe(1);
    expect(p.csvLine({ score: [0.5, 0.25, 0.25], predicted_label: 0 })).toBe('0,0.5,0.25,0.25');
  });

  it('answers regressor records with the value, imputing missing features with training means', () => {
    const model: LinearModel = { ...base, predictorType: 'regressor', numClasses: null, threshold: null, weights: Float64Array.from([2, 3]), bias: Float64Array.from([1]) };
    const p = createLinearPredictor(model);
    expect(p.predict(Float64Array.from([1, NaN]), 1)).toEqual([{ score: 2 + 30 + 1 }]);
    expect(p.csvLine({ score: 4.5 })).toBe('4.5');
    expect(p.featureCount).toBe(2);
  });

  it('rejects a batch whose length is not rows × featureCount', () => {
    const model: LinearModel = { ...base, predictorType: 'regressor', numClasses: null, threshold: null, weights: Float64Array.from([2, 3]), bias: Float64Array.from([1]) };
    expect(() => createLinearPredictor(model).predict(new Float64Array(3), 2)).toThrow(/expected 2 rows of 2 features/);
  });
});
