/** Adds one tree's output to margins of raw float32 rows (eval sets during training; the bench). */
import type { Tree } from '../model.js';

/** margin[r·K + k] += tree(x_r) for rows [0, rows) of row-major `features`. */
export function addTreeMargins(tree: Tree, features: Float32Array, rows: number, cols: number, margin: Float64Array, K: number, k: number): void {
  const { left, right, splitFeature, threshold, defaultLeft, leafValue } = tree;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let nd = 0;
    while (left[nd] !== -1) {
      const x = features[base + splitFeature[nd]];
      nd = x !== x ? (defaultLeft[nd] === 1 ? left[nd] : right[nd]) : x < threshold[nd] ? left[nd] : right[nd];
    }
    margin[r * K + k] += leafValue[nd];
  }
}
