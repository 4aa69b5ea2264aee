/** Test helper: boosted-tree models built node by node with allocateTree. */
import { allocateTree, type BoosterModel, type Objective, type Tree } from '../model.js';

/** A split or a leaf; gain and cover are made up but deterministic. */
export type NodeSpec = { leaf: number } | { f: number; t: number; missingLeft?: boolean; gain?: number; yes: NodeSpec; no: NodeSpec };

function count(spec: NodeSpec): number {
  return 'leaf' in spec ? 1 : 1 + count(spec.yes) + count(spec.no);
}

/** Lays the nodes out breadth-first from node 0, as XGBoost numbers them. */
export function buildTree(spec: NodeSpec): Tree {
  const tree = allocateTree(count(spec));
  const queue: { spec: NodeSpec; id: number; parent: number }[] = [{ spec, id: 0, parent: -1 }];
  let next = 1;
  while (queue.length > 0) {
    const { spec: s, id, parent } = queue.shift()!;
    tree.parent[id] = parent;
    tree.cover[id] = 10 + id;
    if ('leaf' in s) {
      tree.leafValue[id] = s.leaf;
      tree.baseWeight[id] = s.leaf;
      continue;
    }
    tree.splitFeature[id] = s.f;
    tree.threshold[id] = s.t;
    tree.defaultLeft[id] = s.missingLeft ? 1 : 0;
    tree.gain[id] = s.gain ?? 1 + id;
    tree.left[id] = next++;
    tree.right[id] = next++;
    queue.push({ spec: s.yes, id: tree.left[id], parent: id }, { spec: s.no, id: tree.right[id], parent: id });
  }
  return tree;
}

const stump = (f: number, t: number, a: number, b: number, missingLeft = false): NodeSpec => ({ f, t, missingLeft, yes: { leaf: a }, no: { leaf: b } });

/** Two rounds over 3 features; multi:* objectives get one tree per class per round. */
export function handBuiltModel(objective: Objective, numClass = 1): BoosterModel {
  const perRound = numClass > 1 ? numClass : 1;
  const trees: Tree[] = [];
  const treeGroup: number[] = [];
  for (let round = 0; round < 2; round++) {
    for (let g = 0; g < perRound; g++) {
      const s = 0.1 * (g + 1) * (round + 1);
      const deep: NodeSpec = {
        f: (g + round) % 3,
        t: 0.25 * g - 0.1,
        missingLeft: round === 0,
        yes: stump(1, 0.5, -s, s, true),
        no: { f: 2, t: -0.3 + 0.1 * g, yes: { leaf: 2 * s }, no: stump(0, 1.5, -0.5 * s, 0.75 * s) },
      };
      trees.push(buildTree(round === 1 && g === 0 ? { leaf: 0.05 } : deep));
      treeGroup.push(g);
    }
  }
  return {
    objective,
    numClass,
    numFeature: 3,
    baseScore: objective === 'count:poisson' ? 2.5 : objective.startsWith('reg:squared') ? 1.5 : 0.5,
    trees,
    treeGroup: Int32Array.from(treeGroup),
  };
}

/** Rows × 3 features, with NaN in every feature somewhere and values on the thresholds. */
export function handBuiltRows(): Float32Array {
  const rows: number[][] = [
    [0, 0, 0],
    [-0.1, 0.5, -0.3],
    [NaN, 0.2, 1],
    [1, NaN, -1],
    [2, 3, NaN],
    [NaN, NaN, NaN],
    [1.5, -2, -0.2],
    [0.15, 0.49, -0.21],
  ];
  for (let i = 0; i < 40; i++) rows.push([Math.sin(i) * 2, Math.cos(i * 1.3) * 2, Math.sin(i * 0.7 + 1) * 2]);
  return Float32Array.from(rows.flat());
}
