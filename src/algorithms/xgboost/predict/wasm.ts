/**
 * WebAssembly kernel of the heap-layout walk (see ../predict.ts): per block of rows, every tree,
 * eight rows interleaved (the best of 2–16 measured on a Xeon, about 5 ns per tree-row for
 * depth-6 trees), `depth` steps of `n = 2n + 1 + (x[f] >= t)` with i32 / f32 loads and an f32
 * compare, then `margin = f32(margin + leaf)` — the same float32 additions in the same order
 * as the JS loop (a float32 sum rounded once equals the float64 sum rounded to float32), so the
 * results are bit-identical. Two entry points: `fast` (a block without missing values) and
 * `miss` (honours each node's default direction: right when `x >= t`, or when x is NaN and the
 * node's missing-goes-right byte is set).
 *
 * The module is emitted with engine/wasm/emit.ts and works on its own shared memory by byte address:
 * [tree records][heap pairs][missing-right bytes][leaves][per-thread scratch: float32 block, float32 margins].
 */
import { Code, I32, moduleBytes, type FuncDef, type ValType } from '../engine/wasm/emit.js';
import { WA, type WasmMemory } from '../engine/wasm/kernels.js';

const F32 = 0x7d as ValType;

class PCode extends Code {
  f32ge(): this { this.b.push(0x60); return this; }
  f32lt(): this { this.b.push(0x5d); return this; }
  f32add(): this { this.b.push(0x92); return this; }
  remU(): this { this.b.push(0x70); return this; }
  f32store(offset = 0): this { this.b.push(0x38, 2); if (offset >= 128) throw new Error('offset'); this.b.push(offset); return this; }
}

/** Params: x, nb, rowBytes, trees, treeEnd, marg, G4, mrDelta. */
const X = 0, NB = 1, ROWB = 2, TREES = 3, TEND = 4, MARG = 5, G4 = 6, MRD = 7;
/** Rows walked together (independent dependency chains for the CPU to overlap). */
const K = 8;
const T = 8, H = 9, D = 10, LB = 11, R = 12, XO = 13, MO = 14, DD = 15, N0 = 16, XI0 = N0 + K, A = XI0 + K, NB4 = A + 1, V = NB4 + 1, S = V + 1;

function kernel(name: string, missing: boolean): FuncDef {
  const c = new PCode();
  const step = (i: number) => {
    c.get(N0 + i).i32(3).shl().get(H).add().tee(A);
    c.load32().get(XI0 + i).add().f32load();
    if (!missing) {
      c.get(A).f32load(4).f32ge();
    } else {
      c.set(V).get(A).f32load(4).set(S);
      c.get(V).get(S).f32ge();
      c.get(V).get(S).f32lt().i32(1).xor();
      c.get(A).i32(3).shrU().get(MRD).add().load8u();
      c.and().or();
    }
    c.get(N0 + i).i32(1).shl().add().i32(1).add().set(N0 + i);
  };
  const leaf = (i: number) => {
    // margins[mo + i·G4] += leaves[lb + 4n]
    c.get(MO);
    if (i > 0) c.get(G4).i32(i).mul().add();
    c.tee(A).get(A).f32load().get(LB).get(N0 + i).i32(2).shl().add().f32load().f32add().f32store();
  };
  const walk = (k: number) => {
    for (let i = 0; i < k; i++) {
      c.i32(0).set(N0 + i);
      c.get(XO);
      if (i > 0) c.get(ROWB).i32(i).mul().add();
      c.set(XI0 + i);
    }
    c.get(D).set(DD);
    c.block().loop();
    c.get(DD).eqz().brIf(1);
    for (let i = 0; i < k; i++) step(i);
    c.get(DD).i32(1).sub().set(DD).br(0);
    c.end().end();
    for (let i = 0; i < k; i++) leaf(i);
  };
  c.get(NB).get(NB).i32(K).remU().sub().set(NB4);
  c.get(TREES).set(T);
  c.block().loop();
  c.get(T).get(TEND).geU().brIf(1);
  c.get(T).load32(0).set(H);
  c.get(T).load32(4).set(D);
  c.get(T).load32(8).set(LB);
  c.get(MARG).get(T).load32(12).add().set(MO);
  c.get(X).set(XO);
  c.i32(0).set(R);
  // K rows at a time.
  c.block().loop();
  c.get(R).get(NB4).geU().brIf(1);
  walk(K);
  c.get(R).i32(K).add().set(R);
  c.get(XO).get(ROWB).i32(K).mul().add().set(XO);
  c.get(MO).get(G4).i32(K).mul().add().set(MO);
  c.br(0);
  c.end().end();
  // The rest one at a time.
  c.block().loop();
  c.get(R).get(NB).geU().brIf(1);
  walk(1);
  c.get(R).i32(1).add().set(R);
  c.get(XO).get(ROWB).add().set(XO);
  c.get(MO).get(G4).add().set(MO);
  c.br(0);
  c.end().end();
  c.get(T).i32(16).add().set(T);
  c.br(0);
  c.end().end();
  const locals: ValType[] = [];
  for (let i = 8; i < V; i++) locals.push(I32);
  locals.push(F32, F32);
  return { name, params: [I32, I32, I32, I32, I32, I32, I32, I32], results: [], locals, body: c };
}

let bytes: Uint8Array | undefined;
let compiled: object | undefined | null;

/** The compiled module, or null when the runtime lacks WebAssembly (or rejects the module). */
function wasmModule(): object | null {
  if (compiled !== undefined) return compiled;
  try {
    bytes = moduleBytes([kernel('fast', false), kernel('miss', true)]);
    compiled = WA && WA.validate(bytes) ? new WA.Module(bytes) : null;
  } catch {
    compiled = null;
  }
  return compiled;
}

type Kernel = (x: number, nb: number, rowBytes: number, trees: number, treeEnd: number, marg: number, G4: number, mrDelta: number) => void;

/** Tables of a forest whose trees all use the heap layout, as laid out in the kernel's memory. */
export interface WasmForestTables {
  treeCount: number;
  numFeature: number;
  numGroup: number;
  depth: Int32Array;
  root: Int32Array;
  leafBase: Int32Array;
  group: Int32Array;
  heap: Int32Array;
  heapMissRight: Uint8Array;
  heapLeaf: Float64Array;
}

/** One thread's instance over its own memory holding the forest and a scratch block. */
export interface WasmPredictor {
  /** Float32 view of the block's features (blockRows × numFeature). */
  x: Float32Array;
  /** Float32 view of the block's margins (blockRows × numGroup). */
  margins: Float32Array;
  /** Scores the first nb rows of the block into `margins` (which the caller initialises). */
  run(nb: number, missing: boolean): void;
}

const align = (n: number) => (n + 63) & ~63;

/** Builds an instance for `forest` with a block of `blockRows` rows, or null without WebAssembly. */
export function createWasmPredictor(forest: WasmForestTables, blockRows: number): WasmPredictor | null {
  const mod = wasmModule();
  if (!mod || !WA) return null;
  const T = forest.treeCount;
  const treesAt = 64;
  const heapAt = align(treesAt + 16 * T);
  const mrAt = align(heapAt + forest.heap.byteLength);
  const leafAt = align(mrAt + forest.heapMissRight.length);
  const xAt = align(leafAt + 4 * forest.heapLeaf.length);
  const margAt = align(xAt + 4 * blockRows * forest.numFeature);
  const end = align(margAt + 4 * blockRows * forest.numGroup);
  const memory: WasmMemory = new WA.Memory({ initial: Math.ceil(end / 65536) + 1, maximum: 65536, shared: true });
  const buf = memory.buffer;
  const trees = new Int32Array(buf, treesAt, 4 * T);
  for (let t = 0; t < T; t++) {
    const d = forest.depth[t];
    trees[4 * t] = heapAt + 4 * forest.root[t];
    trees[4 * t + 1] = d;
    trees[4 * t + 2] = leafAt + 4 * (forest.leafBase[t] - (2 ** d - 1));
    trees[4 * t + 3] = 4 * forest.group[t];
  }
  const heap = new Int32Array(buf, heapAt, forest.heap.length);
  heap.set(forest.heap);
  // Feature indices become byte offsets within a row.
  for (let i = 0; i < heap.length; i += 2) heap[i] *= 4;
  new Uint8Array(buf, mrAt, forest.heapMissRight.length).set(forest.heapMissRight);
  new Float32Array(buf, leafAt, forest.heapLeaf.length).set(forest.heapLeaf);
  const instance = new WA.Instance(mod, { env: { memory } });
  const fast = instance.exports.fast as Kernel;
  const miss = instance.exports.miss as Kernel;
  const rowBytes = 4 * forest.numFeature;
  const G4 = 4 * forest.numGroup;
  const treeEnd = treesAt + 16 * T;
  const mrDelta = mrAt - (heapAt >>> 3);
  return {
    x: new Float32Array(buf, xAt, blockRows * forest.numFeature),
    margins: new Float32Array(buf, margAt, blockRows * forest.numGroup),
    run(nb: number, missing: boolean): void {
      (missing ? miss : fast)(xAt, nb, rowBytes, treesAt, treeEnd, margAt, G4, mrDelta);
    },
  };
}
