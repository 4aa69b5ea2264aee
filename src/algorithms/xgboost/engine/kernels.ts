/**
 * The per-thread work of each training phase, run identically by the main thread (tid 0) and
 * the workers on the shared state. Thread t takes the t-th contiguous share of a range, so
 * every phase's output is independent of the thread count:
 *
 * - gradients are quantized to integers (scaled by a power of two chosen so that no sum of a
 *   node's gradients can exceed 2^53), making histogram sums, the subtraction trick and the
 *   per-thread partial histograms exact in float64 whatever the summation order;
 * - row partitions are stable, so each node's rows stay in ascending order (sequential access
 *   to the row-major binned matrix while building histograms).
 */
import { computeGradients } from './objectives.js';
import {
  C_DONE, F_ALPHA, F_FUSED, F_REDUCED, F_ROOT_IN_GRAD, F_GROUP, F_IDENTITY, F_ITEMS, F_LAMBDA, F_LEAVES, F_M, F_MCW, F_MDS, F_OBJ, F_OBJ_MDS, F_QG, F_QH, F_SG, F_SH, F_SPW, F_TRAVERSE,
  T_BEGIN, T_BIN, T_BUILD, T_DLEFT, T_END, T_FEAT, T_FIND, T_PARENT_SLOT, T_SLOT_L, T_SLOT_R, TS,
  type Ctx,
} from './shared.js';
import { findBestSplit, RS } from './split.js';

export const P_GRAD = 1;
export const P_ROOT = 2;
export const P_PARTITION = 3;
export const P_BUILD = 4;
export const P_FIND = 5;
export const P_UPDATE = 6;
/** Data-parallel training only: the reduction half of FIND, so the hosts can sum the histograms in between. */
export const P_REDUCE = 7;
export const P_EXIT = 9;

export function runPhase(c: Ctx, phase: number, t: number): void {
  switch (phase) {
    case P_GRAD: return phaseGrad(c, t);
    case P_ROOT: return phaseRoot(c, t);
    case P_PARTITION: return phasePartition(c, t);
    case P_BUILD: return phaseBuild(c, t);
    case P_FIND: return phaseFind(c, t);
    case P_UPDATE: return phaseUpdate(c, t);
    case P_REDUCE: return phaseReduce(c, t);
  }
  void C_DONE;
}

function share(len: number, t: number, T: number): number {
  return Math.floor((len * t) / T);
}

function phaseGrad(c: Ctx, t: number): void {
  const { n, K, T } = c.L;
  const conf = c.conf;
  if (conf[F_FUSED] === 1) {
    const r0 = share(n, t, T), r1 = share(n, t + 1, T);
    if (conf[F_ROOT_IN_GRAD] === 1) {
      // Same rows and order as phaseRoot with identity rows (m = n); each block's gradients are
      // still in cache when its histogram is built.
      const rows = c.rows;
      for (let p = r0; p < r1; p++) rows[p] = p;
      const ho = partialOffset(c, t, 0, 0);
      c.partial.fill(0, ho, ho + c.HS);
      for (let b0 = r0; b0 < r1; b0 += GRAD_BLOCK) {
        const b1 = Math.min(r1, b0 + GRAD_BLOCK);
        gradRange(c, b0, b1);
        hist(c, rows, b0, b1, ho, t, false);
      }
      return;
    }
    gradRange(c, r0, r1);
    return;
  }
  computeGradients(conf[F_OBJ], K, n, c.margin, c.labels, c.weights, c.grad, share(n, t, T), share(n, t + 1, T), conf[F_SPW], conf[F_OBJ_MDS], c.stats, 2 * K * t);
}

/** Rows per block of the fused gradient + root histogram pass. */
const GRAD_BLOCK = 4096;

/** Quantized logistic gradients of rows [r0, r1) into gq (WASM when its exp matches Math.exp). */
function gradRange(c: Ctx, r0: number, r1: number): void {
  const conf = c.conf;
  const wg = c.wasm?.grad;
  if (wg) wg(c.margin.byteOffset + 8 * r0, c.labels.byteOffset + 4 * r0, c.weights.byteOffset + 4 * r0, c.gq.byteOffset + 16 * r0, r1 - r0, conf[F_SPW], conf[F_QG], conf[F_QH]);
  else logisticQuantized(c.margin, c.labels, c.weights, c.gq, r0, r1, conf[F_SPW], conf[F_QG], conf[F_QH]);
}

/** Quantizes group k's gradients of the sampled rows in this thread's share and builds its partial root histogram. */
function phaseRoot(c: Ctx, t: number): void {
  const { n, T } = c.L;
  const conf = c.conf;
  const m = conf[F_M];
  const p0 = share(m, t, T), p1 = share(m, t + 1, T);
  const rows = c.rows, gq = c.gq, grad = c.grad;
  if (conf[F_IDENTITY] === 1) for (let p = p0; p < p1; p++) rows[p] = p;
  const go = 2 * conf[F_GROUP] * n;
  const qg = conf[F_QG], qh = conf[F_QH];
  if (conf[F_FUSED] !== 1) for (let p = p0; p < p1; p++) {
    const r = rows[p];
    gq[2 * r] = Math.floor(grad[go + 2 * r] * qg + 0.5);
    gq[2 * r + 1] = Math.floor(grad[go + 2 * r + 1] * qh + 0.5);
  }
  const ho = partialOffset(c, t, 0, 0);
  c.partial.fill(0, ho, ho + c.HS);
  hist(c, rows, p0, p1, ho, t, false);
}

/**
 * buildHist on the context's arrays: the WASM kernel when present, else the JS loop. `gather`
 * picks the WASM kernel that copies blocks of rows to a scratch first: the children's rows are
 * scattered over the matrix, and measured on 800k × 28 (1 thread) the gathering kernel builds
 * them in ~40 ms per tree against ~95 ms for the direct one (cache misses overlap in the short
 * copy loop); for the dense root the direct kernel is faster (~20 vs ~25 ms).
 */
function hist(c: Ctx, idx: Uint32Array, p0: number, p1: number, ho: number, t: number, gather: boolean): void {
  if (p1 <= p0) return;
  const w = c.wasm;
  if (w) {
    if (gather && w.histG) w.histG(c.bins.byteOffset, c.gq.byteOffset, idx.byteOffset + 4 * p0, p1 - p0, c.partial.byteOffset + 8 * ho, c.scratch.byteOffset + t * (c.scratch.length / c.L.T));
    else w.hist(c.bins.byteOffset, c.gq.byteOffset, idx.byteOffset + 4 * p0, p1 - p0, c.partial.byteOffset + 8 * ho);
  } else buildHist(c.bins, c.L.cols, c.gq, idx, p0, p1, c.partial, ho);
}

function partialOffset(c: Ctx, t: number, item: number, side: number): number {
  return ((t * c.L.maxItems + item) * 2 + side) * c.HS;
}

/**
 * Adds the quantized gradients of rows idx[p0..p1) to the histogram at hist[ho..]. Cells hold
 * global slot indices; the feature loop is unrolled by four (measured ~1.5× faster in V8).
 */
export function buildHist(bins: Uint16Array | Uint32Array, cols: number, gq: Float64Array, idx: Uint32Array, p0: number, p1: number, hist: Float64Array, ho: number): void {
  const c4 = cols & ~3;
  for (let p = p0; p < p1; p++) {
    const r = idx[p];
    const g = gq[2 * r], h = gq[2 * r + 1];
    const base = r * cols;
    let f = 0;
    for (; f < c4; f += 4) {
      const s0 = ho + 2 * bins[base + f], s1 = ho + 2 * bins[base + f + 1];
      const s2 = ho + 2 * bins[base + f + 2], s3 = ho + 2 * bins[base + f + 3];
      hist[s0] += g;
      hist[s0 + 1] += h;
      hist[s1] += g;
      hist[s1 + 1] += h;
      hist[s2] += g;
      hist[s2 + 1] += h;
      hist[s3] += g;
      hist[s3 + 1] += h;
    }
    for (; f < cols; f++) {
      const s = ho + 2 * bins[base + f];
      hist[s] += g;
      hist[s + 1] += h;
    }
  }
}

/** Partitions this thread's share of each item's rows into sL (left) / sR (right), counting each side. */
function phasePartition(c: Ctx, t: number): void {
  const T = c.L.T;
  const items = c.conf[F_ITEMS];
  const task = c.task, rows = c.rows, sL = c.sL, sR = c.sR, col = c.colBins, n = c.L.n;
  for (let b = 0; b < items; b++) {
    const o = b * TS;
    const begin = task[o + T_BEGIN], len = task[o + T_END] - begin;
    const c0 = begin + share(len, t, T), c1 = begin + share(len, t + 1, T);
    const f = task[o + T_FEAT], sv = task[o + T_BIN], dl = task[o + T_DLEFT];
    const miss = c.off[f + 1] - c.off[f] - 1;
    const co = f * n;
    const w = c.wasm;
    if (w) {
      const nl = w.part(col.byteOffset + co * col.BYTES_PER_ELEMENT, rows.byteOffset + 4 * c0, c1 - c0, sL.byteOffset + 4 * c0, sR.byteOffset + 4 * c0, miss, sv, dl);
      c.counts[2 * (b * T + t)] = nl;
      c.counts[2 * (b * T + t) + 1] = c1 - c0 - nl;
      continue;
    }
    let nl = 0, nr = 0;
    // Branchless (the side is unpredictable): write to both, advance one.
    for (let p = c0; p < c1; p++) {
      const r = rows[p];
      const v = col[co + r];
      const isMiss = +(v === miss);
      const left = (isMiss & dl) | ((isMiss ^ 1) & +(v <= sv));
      sL[c0 + nl] = r;
      sR[c0 + nr] = r;
      nl += left;
      nr += left ^ 1;
    }
    c.counts[2 * (b * T + t)] = nl;
    c.counts[2 * (b * T + t) + 1] = nr;
  }
}

/**
 * Copies this thread's partitioned rows back into place (left child then right child, each in
 * thread order, so rows stay ascending) and builds this thread's share of the requested child
 * histograms. A child's rows are the concatenation of every thread's piece in sL/sR; thread t
 * takes the t-th contiguous share of that concatenation.
 */
function phaseBuild(c: Ctx, t: number): void {
  const T = c.L.T, cols = c.L.cols;
  const items = c.conf[F_ITEMS];
  const task = c.task, counts = c.counts;
  for (let b = 0; b < items; b++) {
    const o = b * TS;
    const begin = task[o + T_BEGIN], len = task[o + T_END] - begin;
    let NL = 0, NR = 0, pl = 0, pr = 0;
    for (let u = 0; u < T; u++) {
      const l = counts[2 * (b * T + u)], r = counts[2 * (b * T + u) + 1];
      if (u < t) {
        pl += l;
        pr += r;
      }
      NL += l;
      NR += r;
    }
    const c0 = begin + share(len, t, T);
    const nl = counts[2 * (b * T + t)], nr = counts[2 * (b * T + t) + 1];
    c.rows.set(c.sL.subarray(c0, c0 + nl), begin + pl);
    c.rows.set(c.sR.subarray(c0, c0 + nr), begin + NL + pr);
    const build = task[o + T_BUILD];
    for (let side = 0; side < 2; side++) {
      if ((build & (1 << side)) === 0) continue;
      const src = side === 0 ? c.sL : c.sR;
      const total = side === 0 ? NL : NR;
      const ho = partialOffset(c, t, b, side);
      c.partial.fill(0, ho, ho + c.HS);
      // My share [a, e) of the concatenated pieces.
      const a = share(total, t, T), e = share(total, t + 1, T);
      let acc = 0;
      for (let u = 0; u < T && acc < e; u++) {
        const cnt = counts[2 * (b * T + u) + side];
        const lo = Math.max(a, acc), hi = Math.min(e, acc + cnt);
        if (hi > lo) {
          const pu = begin + share(len, u, T);
          hist(c, src, pu + (lo - acc), pu + (hi - acc), ho, t, true);
        }
        acc += cnt;
      }
    }
  }
}

/**
 * For the items this thread owns (b mod T): reduces the partial histograms into the children's
 * pool slots (unless REDUCE did, F_REDUCED), derives the sibling by subtraction from the parent
 * and finds both children's best splits.
 */
function phaseFind(c: Ctx, t: number): void {
  const T = c.L.T, cols = c.L.cols, HS = c.HS;
  const conf = c.conf;
  const items = conf[F_ITEMS];
  const task = c.task;
  const sg = conf[F_SG], sh = conf[F_SH];
  const lambda = conf[F_LAMBDA], alpha = conf[F_ALPHA], mcw = conf[F_MCW], mds = conf[F_MDS];
  const pool = c.pool;
  const reduced = conf[F_REDUCED] === 1;
  for (let b = t; b < items; b += T) {
    const o = b * TS;
    const find = task[o + T_FIND];
    if (find === 0) continue;
    const build = task[o + T_BUILD];
    if (!reduced) reduceBuilt(c, b);
    if (build !== 3 && find === 3) {
      const built = build === 1 ? 0 : 1;
      const so = task[o + T_SLOT_L + built] * HS;
      const to = task[o + T_SLOT_L + (1 - built)] * HS;
      const po = task[o + T_PARENT_SLOT] * HS;
      for (let i = 0; i < HS; i++) pool[to + i] = pool[po + i] - pool[so + i];
    }
    for (let side = 0; side < 2; side++) {
      if ((find & (1 << side)) === 0) continue;
      findBestSplit(pool, task[o + T_SLOT_L + side] * HS, cols, c.off, c.mask, (2 * b + side) * cols, sg, sh, lambda, alpha, mcw, mds, c.res, (2 * b + side) * RS);
    }
  }
}

/** The reduction half of FIND alone (data-parallel training sums the reduced slots over the hosts before FIND). */
function phaseReduce(c: Ctx, t: number): void {
  const T = c.L.T;
  const items = c.conf[F_ITEMS];
  for (let b = t; b < items; b += T) if (c.task[b * TS + T_FIND] !== 0) reduceBuilt(c, b);
}

/** Sums the threads' partial histograms of item b's built children into their pool slots. */
function reduceBuilt(c: Ctx, b: number): void {
  const T = c.L.T, HS = c.HS;
  const pool = c.pool, partial = c.partial;
  const o = b * TS;
  const build = c.task[o + T_BUILD];
  for (let side = 0; side < 2; side++) {
    if ((build & (1 << side)) === 0) continue;
    const so = c.task[o + T_SLOT_L + side] * HS;
    const p0 = partialOffset(c, 0, b, side);
    for (let i = 0; i < HS; i++) pool[so + i] = partial[p0 + i];
    for (let u = 1; u < T; u++) {
      const pu = partialOffset(c, u, b, side);
      for (let i = 0; i < HS; i++) pool[so + i] += partial[pu + i];
    }
  }
}

/**
 * Adds the new tree's leaf values to the training margins of group k: by the leaves' row
 * segments (all rows sampled), or by walking the tree over the binned rows (row subsampling).
 */
function phaseUpdate(c: Ctx, t: number): void {
  const { n, K, T } = c.L;
  const conf = c.conf;
  const k = conf[F_GROUP];
  const margin = c.margin;
  if (conf[F_TRAVERSE] === 1) {
    const r0 = share(n, t, T), r1 = share(n, t + 1, T);
    const ti = c.treeI, tv = c.treeV, col = c.colBins, off = c.off;
    for (let r = r0; r < r1; r++) {
      let nd = 0;
      while (ti[4 * nd] !== -1) {
        const f = ti[4 * nd + 2];
        const sbd = ti[4 * nd + 3];
        const v = col[f * n + r];
        const goLeft = v === off[f + 1] - off[f] - 1 ? (sbd & 1) === 1 : v <= sbd >> 1;
        nd = goLeft ? ti[4 * nd] : ti[4 * nd + 1];
      }
      margin[r * K + k] += tv[nd];
    }
    return;
  }
  const m = conf[F_M];
  const p0 = share(m, t, T), p1 = share(m, t + 1, T);
  const nLeaves = conf[F_LEAVES];
  const lv = c.leaves, rows = c.rows;
  for (let i = 0; i < nLeaves; i++) {
    const b = Math.max(lv[3 * i], p0), e = Math.min(lv[3 * i + 1], p1);
    const v = lv[3 * i + 2];
    for (let p = b; p < e; p++) margin[rows[p] * K + k] += v;
  }
}

/**
 * Logistic gradients of rows [r0, r1), quantized straight into gq with fixed scales (the
 * gradient is bounded by the weights: |g| ≤ w·spw·(1 + |y|), h ≤ w·spw/4). Same formulas as
 * computeGradients.
 */
function logisticQuantized(margin: Float64Array, labels: Float32Array, weights: Float32Array, gq: Float64Array, r0: number, r1: number, spw: number, qg: number, qh: number): void {
  for (let r = r0; r < r1; r++) {
    const y = labels[r];
    const w = y === 1 ? weights[r] * spw : weights[r];
    const pr = 1 / (1 + Math.exp(-margin[r]));
    gq[2 * r] = Math.floor((pr - y) * w * qg + 0.5);
    gq[2 * r + 1] = Math.floor(Math.max(pr * (1 - pr), 1e-16) * w * qh + 0.5);
  }
}
