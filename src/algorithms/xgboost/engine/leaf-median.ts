/**
 * reg:absoluteerror: XGBoost 1.7 grows the tree on sign gradients (hessian 1), then sets each
 * leaf to eta × the (weighted) median of the residuals y − margin of its training rows
 * (UpdateTreeLeaf). Same here, with XGBoost's interpolated quantile for unit weights and a
 * weighted lower median otherwise. Data-parallel, the hosts' medians are averaged weighted by
 * their rows (distributed.ts), as XGBoost does.
 */
import type { GrownTree } from './grow.js';

/** Each leaf's median residual over its rows here (NaN without rows) and its row count. */
export function leafMedians(grown: GrownTree, rows: Uint32Array, labels: Float32Array, weights: Float32Array, margin: Float64Array): { q: Float64Array; count: Float64Array } {
  const L = grown.leafNodes.length;
  const out = { q: new Float64Array(L).fill(NaN), count: new Float64Array(L) };
  for (let i = 0; i < L; i++) {
    const b = grown.leafBegin[i], e = grown.leafEnd[i];
    if (e <= b) continue;
    out.count[i] = e - b;
    const idx = Array.from(rows.subarray(b, e));
    const res = idx.map((r) => labels[r] - margin[r]);
    const order = res.map((_, j) => j).sort((x, y) => res[x] - res[y]);
    const unit = idx.every((r) => weights[r] === 1);
    let q: number;
    const cnt = order.length;
    if (unit) {
      const alpha = 0.5;
      if (alpha <= 1 / (cnt + 1)) q = res[order[0]];
      else if (alpha >= cnt / (cnt + 1)) q = res[order[cnt - 1]];
      else {
        const x = alpha * (cnt + 1);
        const k = Math.floor(x) - 1;
        const d = x - 1 - k;
        q = res[order[k]] + d * (res[order[k + 1]] - res[order[k]]);
      }
    } else {
      let total = 0;
      for (const r of idx) total += weights[r];
      let acc = 0;
      q = res[order[cnt - 1]];
      for (const j of order) {
        acc += weights[idx[j]];
        if (acc >= 0.5 * total) {
          q = res[j];
          break;
        }
      }
    }
    out.q[i] = q;
  }
  return out;
}

/** Leaf i's value = eta × q[i] (float32), where q[i] is a number; other leaves keep theirs. */
export function setLeafValues(grown: GrownTree, q: Float64Array, eta: number): void {
  for (let i = 0; i < grown.leafNodes.length; i++) {
    if (!Number.isNaN(q[i])) grown.tree.leafValue[grown.leafNodes[i]] = Math.fround(q[i] * eta);
  }
}
