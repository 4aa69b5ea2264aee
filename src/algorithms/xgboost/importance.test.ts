import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformError } from '../../core/errors.js';
import { featureImportance, IMPORTANCE_TYPES, type ImportanceType } from './importance.js';
import type { BoosterModel } from './model.js';
import { buildTree } from './testdata/hand-built.js';
import { makePeerModels, PEER_SKIP_REASON, peerXgboostVersion, type PeerCase } from './testdata/peer.js';
import { fromXGBoostJson } from './xgboost-json.js';

const model: BoosterModel = {
  objective: 'reg:squarederror',
  numClass: 1,
  numFeature: 4,
  baseScore: 0.5,
  trees: [
    buildTree({ f: 2, t: 0, gain: 10, yes: { f: 0, t: 1, gain: 4, yes: { leaf: 1 }, no: { leaf: 2 } }, no: { leaf: 3 } }),
    buildTree({ f: 2, t: 5, gain: 6, yes: { leaf: 1 }, no: { leaf: 2 } }),
    buildTree({ leaf: 0.5 }),
  ],
  treeGroup: new Int32Array(3),
};

describe('featureImportance', () => {
  it('counts splits, sums gain and cover, and averages them per split, for used features only', () => {
    // buildTree sets cover = 10 + node id: roots have 10, node 1 has 11.
    expect(featureImportance(model, 'weight')).toEqual([
      { feature: 'f0', value: 1 },
      { feature: 'f2', value: 2 },
    ]);
    expect(featureImportance(model, 'total_gain')).toEqual([
      { feature: 'f0', value: 4 },
      { feature: 'f2', value: 16 },
    ]);
    expect(featureImportance(model, 'gain').map((e) => e.value)).toEqual([4, 8]);
    expect(featureImportance(model, 'total_cover').map((e) => e.value)).toEqual([11, 20]);
    expect(featureImportance(model, 'cover').map((e) => e.value)).toEqual([11, 10]);
  });

  it('names features by featureNames and rejects unknown types', () => {
    expect(featureImportance({ ...model, featureNames: ['a', 'b', 'c', 'd'] }, 'weight').map((e) => e.feature)).toEqual(['a', 'c']);
    expect(() => featureImportance(model, 'split' as ImportanceType)).toThrow(PlatformError);
  });
});

const peerVersion = peerXgboostVersion();
describe.skipIf(!peerVersion)(`featureImportance against python-xgboost get_score ${peerVersion ? '' : `(${PEER_SKIP_REASON})`}`, () => {
  let dir: string;
  let peer: Map<string, PeerCase>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'xgb-importance-'));
    peer = makePeerModels(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['binary_logistic', 'binary_logitraw_named', 'multi_softprob', 'reg_pruned_exact'])('matches get_score on %s for every type', (name) => {
    const c = peer.get(name)!;
    const imported = fromXGBoostJson(c.json);
    for (const type of IMPORTANCE_TYPES) {
      const theirs = c.importance[type];
      const ours = featureImportance(imported, type);
      expect(ours.map((e) => e.feature)).toEqual(Object.keys(theirs));
      for (const { feature, value } of ours) {
        expect(Math.abs(value - theirs[feature]) / Math.abs(theirs[feature]), `${type} ${feature}`).toBeLessThan(1e-4);
      }
    }
  });
});
