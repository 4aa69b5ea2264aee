/**
 * The training state every thread sees: typed-array views over SharedArrayBuffers, built the
 * same way on the main thread and in each worker from one {@link Layout} and one buffer set.
 */
import { RS } from './split.js';

export interface Layout {
  n: number;
  cols: number;
  /** Output groups (classes for multi:*, else 1). */
  K: number;
  /** Threads (main thread included). */
  T: number;
  /** Histogram slots per node (Σ nbins + 1). */
  totalSlots: number;
  /** Node histograms kept in the pool. */
  poolSlots: number;
  /** Nodes split per SPLIT/FIND phase. */
  maxItems: number;
  /** Capacity of the shared tree copy (margin update by traversal). */
  maxNodes: number;
  bytes: 2 | 4;
  /** Bytes per cell of the column-major copy (local bins): 1 when every feature has ≤ 255 bins. */
  colBytes: 1 | 2;
}

/** Control words (Int32). */
export const C_GEN = 0;
export const C_PHASE = 1;
export const C_DONE = 2;
export const C_ERROR = 3;
export const CTRL_LEN = 16;

/** Configuration doubles. */
export const F_LAMBDA = 0;
export const F_ALPHA = 1;
export const F_MCW = 2;
export const F_MDS = 3;
export const F_SPW = 4;
export const F_OBJ = 5;
export const F_OBJ_MDS = 6;
export const F_SG = 7;
export const F_SH = 8;
export const F_QG = 9;
export const F_QH = 10;
export const F_M = 11;
export const F_GROUP = 12;
export const F_ITEMS = 13;
export const F_LEAVES = 14;
export const F_IDENTITY = 15;
export const F_TRAVERSE = 16;
/** 1: logistic objective with fixed quantization scales; GRAD writes quantized gradients straight to gq. */
export const F_FUSED = 17;
export const CONF_LEN = 24;

/** Task record (Int32) per item of a SPLIT/FIND phase. */
export const TS = 12;
export const T_BEGIN = 0;
export const T_END = 1;
export const T_FEAT = 2;
export const T_BIN = 3;
export const T_DLEFT = 4;
export const T_BUILD = 5;
export const T_FIND = 6;
export const T_SLOT_L = 7;
export const T_SLOT_R = 8;
export const T_PARENT_SLOT = 9;
export const T_PARTITION = 10;

export type SabSet = Record<string, SharedArrayBuffer>;

export interface Ctx {
  L: Layout;
  HS: number;
  /** Row-major global histogram slot of each cell (see binning.ts). */
  bins: Uint16Array | Uint32Array;
  /** Column-major local bin of each cell (f·n + r; missing = nbins[f]), read by partitioning. */
  colBins: Uint8Array | Uint16Array;
  off: Int32Array;
  labels: Float32Array;
  weights: Float32Array;
  margin: Float64Array;
  grad: Float64Array;
  gq: Float64Array;
  rows: Uint32Array;
  sL: Uint32Array;
  sR: Uint32Array;
  pool: Float64Array;
  partial: Float64Array;
  task: Int32Array;
  counts: Int32Array;
  res: Float64Array;
  mask: Uint8Array;
  ctrl: Int32Array;
  conf: Float64Array;
  stats: Float64Array;
  leaves: Float64Array;
  treeI: Int32Array;
  treeV: Float64Array;
}

function sizes(L: Layout): Record<string, number> {
  const HS = 2 * L.totalSlots;
  return {
    bins: L.n * L.cols * L.bytes,
    colBins: L.n * L.cols * L.colBytes,
    off: 4 * (L.cols + 1),
    labels: 4 * L.n,
    weights: 4 * L.n,
    margin: 8 * L.n * L.K,
    grad: 8 * 2 * L.n * L.K,
    gq: 8 * 2 * L.n,
    rows: 4 * L.n,
    sL: 4 * L.n,
    sR: 4 * L.n,
    pool: 8 * HS * L.poolSlots,
    partial: 8 * HS * L.T * L.maxItems * 2,
    task: 4 * TS * L.maxItems,
    counts: 4 * 2 * L.T * L.maxItems,
    res: 8 * RS * 2 * L.maxItems,
    mask: 2 * L.maxItems * L.cols,
    ctrl: 4 * CTRL_LEN,
    conf: 8 * CONF_LEN,
    stats: 8 * 2 * L.K * L.T,
    leaves: 8 * 3 * (L.maxNodes + 1),
    treeI: 4 * 4 * L.maxNodes,
    treeV: 8 * L.maxNodes,
  };
}

export function allocShared(L: Layout): SabSet {
  const out: SabSet = {};
  for (const [k, v] of Object.entries(sizes(L))) out[k] = new SharedArrayBuffer(Math.max(8, v));
  return out;
}

export function makeCtx(L: Layout, s: SabSet): Ctx {
  return {
    L,
    HS: 2 * L.totalSlots,
    bins: L.bytes === 2 ? new Uint16Array(s.bins, 0, L.n * L.cols) : new Uint32Array(s.bins, 0, L.n * L.cols),
    colBins: L.colBytes === 1 ? new Uint8Array(s.colBins, 0, L.n * L.cols) : new Uint16Array(s.colBins, 0, L.n * L.cols),
    off: new Int32Array(s.off, 0, L.cols + 1),
    labels: new Float32Array(s.labels, 0, L.n),
    weights: new Float32Array(s.weights, 0, L.n),
    margin: new Float64Array(s.margin),
    grad: new Float64Array(s.grad),
    gq: new Float64Array(s.gq),
    rows: new Uint32Array(s.rows, 0, L.n),
    sL: new Uint32Array(s.sL, 0, L.n),
    sR: new Uint32Array(s.sR, 0, L.n),
    pool: new Float64Array(s.pool),
    partial: new Float64Array(s.partial),
    task: new Int32Array(s.task),
    counts: new Int32Array(s.counts),
    res: new Float64Array(s.res),
    mask: new Uint8Array(s.mask),
    ctrl: new Int32Array(s.ctrl),
    conf: new Float64Array(s.conf),
    stats: new Float64Array(s.stats),
    leaves: new Float64Array(s.leaves),
    treeI: new Int32Array(s.treeI),
    treeV: new Float64Array(s.treeV),
  };
}
