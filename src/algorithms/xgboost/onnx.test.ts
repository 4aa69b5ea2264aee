import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformError } from '../../core/errors.js';
import type { BoosterModel, Objective } from './model.js';
import { toOnnx } from './onnx.js';
import { compileForest, predict, predictionWidth } from './predict.js';
import { handBuiltModel, handBuiltRows } from './testdata/hand-built.js';
import { makePeerModels, maxAbsDiff, PEER_SKIP_REASON, peerXgboostVersion, type PeerCase } from './testdata/peer.js';
import { fromXGBoostJson } from './xgboost-json.js';

const TOLERANCE = 1e-5;

async function runOnnx(model: BoosterModel, x: Float32Array): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(toOnnx(model));
  try {
    return await session.run({ input: new ort.Tensor('float32', x, [x.length / model.numFeature, model.numFeature]) });
  } finally {
    await session.release();
  }
}

/** Checks ONNX Runtime's outputs against our `predict`, labels included for classifiers. */
async function expectSamePredictions(model: BoosterModel, x: Float32Array): Promise<void> {
  const ours = predict(compileForest(model), x);
  const out = await runOnnx(model, x);
  const rows = x.length / model.numFeature;
  if (model.objective === 'binary:logistic') {
    const probs = out.probabilities.data as Float32Array;
    expect(out.probabilities.dims).toEqual([rows, 2]);
    expect(maxAbsDiff(probs.filter((_, i) => i % 2 === 1), ours)).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(probs.filter((_, i) => i % 2 === 0), ours.map((p) => 1 - p))).toBeLessThan(TOLERANCE);
    const labels = Array.from(out.label.data as BigInt64Array, Number);
    ours.forEach((p, r) => Math.abs(p - 0.5) > 1e-6 && expect(labels[r]).toBe(p > 0.5 ? 1 : 0));
  } else if (model.objective.startsWith('multi:')) {
    const labels = Float64Array.from(out.label.data as BigInt64Array, Number);
    const probs = out.probabilities.data as Float32Array;
    expect(out.probabilities.dims).toEqual([rows, model.numClass]);
    const softprob = predict(compileForest({ ...model, objective: 'multi:softprob' }), x);
    expect(maxAbsDiff(probs, softprob)).toBeLessThan(TOLERANCE);
    if (model.objective === 'multi:softmax') expect(maxAbsDiff(labels.filter((_, r) => !nearTie(softprob, r, model.numClass)), ours.filter((_, r) => !nearTie(softprob, r, model.numClass)))).toBe(0);
  } else {
    expect(out.variable.dims).toEqual([rows, predictionWidth(model)]);
    const values = out.variable.data as Float32Array;
    // Relative for large regression targets, where float32 outputs carry ~1e-7 relative error.
    ours.forEach((v, i) => expect(Math.abs(values[i] - v)).toBeLessThan(TOLERANCE * Math.max(1, Math.abs(v))));
  }
}

/** Whether row r's two largest probabilities are too close for float32 sums in another order to agree on the argmax. */
function nearTie(probs: Float64Array, r: number, k: number): boolean {
  const row = Array.from(probs.subarray(r * k, r * k + k)).sort((a, b) => b - a);
  return row[0] - row[1] < 1e-5;
}

describe('toOnnx on hand-built models', () => {
  const CASES: [Objective, number][] = [
    ['binary:logistic', 1],
    ['binary:logitraw', 1],
    ['reg:logistic', 1],
    ['reg:squarederror', 1],
    ['reg:absoluteerror', 1],
    ['count:poisson', 1],
    ['multi:softprob', 3],
    ['multi:softmax', 3],
  ];
  it.each(CASES)('runs %s in ONNX Runtime with our predictions (NaN included)', async (objective, k) => {
    await expectSamePredictions({ ...handBuiltModel(objective, k), baseScore: objective === 'count:poisson' ? 3 : 0.7 }, handBuiltRows());
  });

  it('uses only the rounds up to bestIteration', async () => {
    await expectSamePredictions({ ...handBuiltModel('multi:softprob', 3), bestIteration: 0 }, handBuiltRows());
  });

  it('writes a classifier with label and probabilities outputs and a float [N, numFeature] input', async () => {
    const session = await ort.InferenceSession.create(toOnnx(handBuiltModel('binary:logistic')));
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['label', 'probabilities']);
    await session.release();
  });

  it('refuses a model with no trees', () => {
    const empty = { ...handBuiltModel('reg:squarederror'), trees: [], treeGroup: new Int32Array(0) };
    expect(() => toOnnx(empty)).toThrow(PlatformError);
  });
});

const peerVersion = peerXgboostVersion();
describe.skipIf(!peerVersion)(`toOnnx on models python-xgboost trained ${peerVersion ? '' : `(${PEER_SKIP_REASON})`}`, () => {
  let dir: string;
  let peer: Map<string, PeerCase>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'xgb-onnx-'));
    peer = makePeerModels(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['binary_logistic', 'multi_softprob', 'multi_softmax', 'reg_squarederror', 'count_poisson', 'reg_logistic', 'multi_parallel_tree'])(
    'runs %s in ONNX Runtime with our predictions',
    async (name) => {
      const c = peer.get(name)!;
      await expectSamePredictions(fromXGBoostJson(c.json), c.x);
    },
  );
});
