import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformError } from '../../core/errors.js';
import type { Objective } from './model.js';
import { compileForest, predict } from './predict.js';
import { handBuiltModel, handBuiltRows } from './testdata/hand-built.js';
import { makePeerModels, maxAbsDiff, PEER_SKIP_REASON, peerPredict, peerXgboostVersion, type PeerCase } from './testdata/peer.js';
import { formatPythonFloat, formatXgbFloat, formatXgbParam, fromXGBoostJson, toXGBoostJson } from './xgboost-json.js';

const peerVersion = peerXgboostVersion();
const TOLERANCE = 1e-5;

describe('XGBoost JSON number formats', () => {
  it('prints float32 values the way XGBoost does: shortest digits, E exponent, ties to even', () => {
    expect(formatXgbFloat(0.5)).toBe('5E-1');
    expect(formatXgbFloat(12.5)).toBe('1.25E1');
    expect(formatXgbFloat(0)).toBe('0E0');
    expect(formatXgbFloat(-0.008841105)).toBe('-8.841105E-3');
    expect(formatXgbFloat(4 / 9)).toBe('4.4444445E-1');
    expect(formatXgbFloat(28201.8125)).toBe('2.8201812E4');
    expect(formatXgbFloat(1e30)).toBe('1E30');
  });

  it('reads every printed float32 back exactly', () => {
    const bits = new Uint32Array(1);
    const f = new Float32Array(bits.buffer);
    for (let i = 0; i < 20000; i++) {
      bits[0] = (Math.random() * 0xffffffff) >>> 0;
      if (!Number.isFinite(f[0])) continue;
      const s = formatXgbFloat(f[0]);
      expect(Math.fround(Number(s)), s).toBe(f[0]);
    }
  });

  it('prints parameters as XGBoost stores them and best_score as Python prints it', () => {
    expect(formatXgbParam(0.7)).toBe('0.699999988');
    expect(formatXgbParam(1)).toBe('1');
    expect(formatXgbParam(1e-6)).toBe('9.99999997e-07');
    expect(formatPythonFloat(0.12761962689349757)).toBe('0.12761962689349757');
    expect(formatPythonFloat(3)).toBe('3.0');
    expect(formatPythonFloat(1e-5)).toBe('1e-05');
    expect(formatPythonFloat(1.5e16)).toBe('1.5e+16');
  });
});

describe('fromXGBoostJson rejects what it cannot represent', () => {
  const base = () => JSON.parse(toXGBoostJson(handBuiltModel('binary:logistic')));
  const rejects = (doc: unknown, pattern: RegExp) => {
    const run = () => fromXGBoostJson(typeof doc === 'string' ? doc : JSON.stringify(doc));
    expect(run).toThrow(PlatformError);
    expect(run).toThrow(pattern);
  };

  it('names the unsupported booster, objective, split type or layout', () => {
    rejects('{"learner":', /not valid JSON/);
    rejects({ version: [1, 7, 4] }, /'learner' must be an object/);
    const dart = base();
    dart.learner.gradient_booster = { name: 'dart', gbtree: dart.learner.gradient_booster, weight_drop: [1, 1] };
    rejects(dart, /booster 'dart' is not supported \(only gbtree\)/);
    const linear = base();
    linear.learner.gradient_booster = { name: 'gblinear', model: { weights: [1, 2] } };
    rejects(linear, /booster 'gblinear' is not supported/);
    const gamma = base();
    gamma.learner.objective = { name: 'reg:gamma' };
    rejects(gamma, /objective 'reg:gamma' is not supported; supported: binary:logistic/);
    const categorical = base();
    categorical.learner.gradient_booster.model.trees[0].split_type[0] = 1;
    rejects(categorical, /trees\[0\] has categorical splits/);
    const truncated = base();
    truncated.learner.gradient_booster.model.trees[0].left_children.pop();
    rejects(truncated, /'trees\[0\].left_children' has 8 entries, expected 9/);
  });

  it('fails clearly for parallel trees with an early-stopped best_iteration, and keeps them otherwise', () => {
    const doc = base();
    doc.learner.gradient_booster.model.gbtree_model_param.num_parallel_tree = '2';
    doc.learner.attributes = { best_iteration: '0', best_ntree_limit: '2' };
    const ok = fromXGBoostJson(JSON.stringify(doc));
    expect(ok.params?.num_parallel_tree).toBe('2');
    expect(ok.bestIteration).toBeUndefined();
    doc.learner.gradient_booster.model.trees.push(...doc.learner.gradient_booster.model.trees);
    doc.learner.gradient_booster.model.tree_info.push(0, 0);
    rejects(doc, /num_parallel_tree 2 with best_iteration 0 before the last round is not supported/);
  });
});

describe.skipIf(!peerVersion)(`XGBoost JSON against python-xgboost ${peerVersion ?? `(${PEER_SKIP_REASON})`}`, () => {
  let dir: string;
  let peer: Map<string, PeerCase>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'xgb-json-'));
    peer = makePeerModels(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const ALL = [
    'binary_logistic',
    'binary_logitraw_named',
    'reg_logistic',
    'multi_softprob',
    'multi_softmax',
    'multi_parallel_tree',
    'reg_squarederror',
    'reg_absoluteerror',
    'reg_pruned_exact',
    'count_poisson',
  ];

  it.each(ALL)('imports %s and predicts what python-xgboost predicts (NaN cells included)', (name) => {
    const c = peer.get(name)!;
    expect(c.x.some(Number.isNaN)).toBe(true);
    const ours = predict(compileForest(fromXGBoostJson(c.json)), c.x);
    expect(maxAbsDiff(ours, c.pred)).toBeLessThan(TOLERANCE);
  });

  it('keeps early stopping, feature names and parameters, and drops nodes that pruning deleted', () => {
    const binary = fromXGBoostJson(peer.get('binary_logistic')!.json);
    const attributes = JSON.parse(peer.get('binary_logistic')!.json).learner.attributes;
    expect(binary.bestIteration).toBe(Number(attributes.best_iteration));
    expect(binary.bestScore).toBe(Number(attributes.best_score));
    expect(binary.trees.length).toBeGreaterThan(binary.bestIteration! + 1);
    expect(binary.params).toMatchObject({ scale_pos_weight: '1', boost_from_average: '1' });
    expect(fromXGBoostJson(peer.get('binary_logitraw_named')!.json).featureNames?.[3]).toBe('feat_3');
    expect(fromXGBoostJson(peer.get('count_poisson')!.json).params?.max_delta_step).toBe('0.699999988');
    const multi = fromXGBoostJson(peer.get('multi_softprob')!.json);
    expect([multi.numClass, Array.from(multi.treeGroup.slice(0, 4))]).toEqual([3, [0, 1, 2, 0]]);
    const raw = JSON.parse(peer.get('reg_pruned_exact')!.json).learner.gradient_booster.model.trees;
    const pruned = fromXGBoostJson(peer.get('reg_pruned_exact')!.json);
    raw.forEach((t: { tree_param: Record<string, string> }, i: number) => {
      expect(pruned.trees[i].left.length).toBe(Number(t.tree_param.num_nodes) - Number(t.tree_param.num_deleted));
    });
    expect(raw.some((t: { tree_param: Record<string, string> }) => t.tree_param.num_deleted !== '0')).toBe(true);
  });

  it.skipIf(!peerVersion?.startsWith('1.7.'))('writes back byte for byte what XGBoost 1.7 wrote', () => {
    for (const name of ALL.filter((n) => n !== 'reg_pruned_exact' && n !== 'multi_parallel_tree')) {
      const c = peer.get(name)!;
      expect(toXGBoostJson(fromXGBoostJson(c.json)), name).toBe(c.json);
    }
  });

  it.each(ALL)('exports %s so that python-xgboost loads it and predicts what we predict', (name) => {
    const c = peer.get(name)!;
    const model = fromXGBoostJson(c.json);
    const theirs = peerPredict(dir, name, toXGBoostJson(model), c.x, c.cols);
    expect(maxAbsDiff(predict(compileForest(model), c.x), theirs)).toBeLessThan(TOLERANCE);
  });

  const HAND_BUILT: [Objective, number][] = [
    ['binary:logistic', 1],
    ['reg:squarederror', 1],
    ['count:poisson', 1],
    ['multi:softprob', 3],
    ['multi:softmax', 3],
  ];
  it.each(HAND_BUILT)('exports a hand-built %s model that python-xgboost loads and predicts alike', (objective, k) => {
    const model = { ...handBuiltModel(objective, k), bestIteration: 1, bestScore: 0.25, featureNames: ['a', 'b', 'c'] };
    const x = handBuiltRows();
    const theirs = peerPredict(dir, `hand-${objective.replace(':', '-')}`, toXGBoostJson(model), x, 3);
    expect(maxAbsDiff(predict(compileForest(model), x), theirs)).toBeLessThan(TOLERANCE);
  });
});
