/**
 * The training state every thread sees: typed-array views over SharedArrayBuffers, built the
 * same way on the main thread and in each worker from one {@link Layout} and one buffer set.
 */
import { RS } from './split.js';
import { gatherScratchBytes, instantiateKernels, WA, wasmSimdAvailable, type WasmKernels, type WasmMemory } from './wasm/kernels.js';

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
/** 1: fused gradients over all rows (no sampling); GRAD also builds the root histogram, block by block, and the grower skips ROOT. */
export const F_ROOT_IN_GRAD = 18;
/** 1: the built histograms are already reduced into their pool slots (REDUCE phase, then summed over hosts); FIND only subtracts and searches. */
export const F_REDUCED = 19;
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

/**
 * All training state lives in one shared memory: a shared WebAssembly.Memory when WebAssembly
 * is available (so the WASM kernels can address every array by byte offset), else a plain
 * SharedArrayBuffer. Each array is carved at a 64-byte aligned offset (16 suffice for SIMD
 * loads; 64 keeps arrays written by different threads off each other's cache lines).
 */
export interface Shm {
  /** The shared WebAssembly.Memory whose buffer is `buffer`, or null (SharedArrayBuffer only). */
  memory: WasmMemory | null;
  buffer: SharedArrayBuffer;
  /** Byte offset of each array in `buffer`. */
  offsets: Record<string, number>;
  /** Use the WASM kernels (memory present and SIMD available, unless disabled). */
  wasm: boolean;
}

export interface Ctx {
  L: Layout;
  HS: number;
  /** The WASM kernels of this thread, or null (JS loops). */
  wasm: WasmKernels | null;
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
  /** Per-thread scratch of the gathering WASM histogram kernel. */
  scratch: Uint8Array;
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
    scratch: L.T * gatherScratchBytes({ cols: L.cols, binBytes: L.bytes, colBytes: L.colBytes }),
  };
}

const ALIGN = 64;
const PAGE = 65536;
const MAX_PAGES = 65536;

/** Kernel selection, once per process: WebAssembly SIMD unless STRATUS_XGB_KERNELS=js. */
export function wasmWanted(): boolean {
  return process.env.STRATUS_XGB_KERNELS !== 'js' && wasmSimdAvailable();
}

export function allocShared(L: Layout, wasm = wasmWanted()): Shm {
  const offsets: Record<string, number> = {};
  let total = 0;
  for (const [k, v] of Object.entries(sizes(L))) {
    offsets[k] = total;
    total += Math.ceil(Math.max(8, v) / ALIGN) * ALIGN;
  }
  const pages = Math.ceil(total / PAGE);
  if (wasm && WA && pages <= MAX_PAGES) {
    const memory = new WA.Memory({ initial: pages, maximum: pages, shared: true });
    return { memory, buffer: memory.buffer as SharedArrayBuffer, offsets, wasm: true };
  }
  return { memory: null, buffer: new SharedArrayBuffer(total), offsets, wasm: false };
}

export function makeCtx(L: Layout, s: Shm): Ctx {
  const b = s.buffer, o = s.offsets, sz = sizes(L);
  const u8 = (k: string) => new Uint8Array(b, o[k], sz[k]);
  const u16 = (k: string) => new Uint16Array(b, o[k], sz[k] / 2);
  const u32 = (k: string) => new Uint32Array(b, o[k], sz[k] / 4);
  const i32 = (k: string) => new Int32Array(b, o[k], sz[k] / 4);
  const f32 = (k: string) => new Float32Array(b, o[k], sz[k] / 4);
  const f64 = (k: string) => new Float64Array(b, o[k], sz[k] / 8);
  return {
    L,
    HS: 2 * L.totalSlots,
    wasm: s.wasm && s.memory ? instantiateKernels(s.memory, { cols: L.cols, binBytes: L.bytes, colBytes: L.colBytes }) : null,
    bins: L.bytes === 2 ? u16('bins') : u32('bins'),
    colBins: L.colBytes === 1 ? u8('colBins') : u16('colBins'),
    off: i32('off'),
    labels: f32('labels'),
    weights: f32('weights'),
    margin: f64('margin'),
    grad: f64('grad'),
    gq: f64('gq'),
    rows: u32('rows'),
    sL: u32('sL'),
    sR: u32('sR'),
    pool: f64('pool'),
    partial: f64('partial'),
    task: i32('task'),
    counts: i32('counts'),
    res: f64('res'),
    mask: u8('mask'),
    ctrl: i32('ctrl'),
    conf: f64('conf'),
    stats: f64('stats'),
    leaves: f64('leaves'),
    treeI: i32('treeI'),
    treeV: f64('treeV'),
    scratch: u8('scratch'),
  };
}
