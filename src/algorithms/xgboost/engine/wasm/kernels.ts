/**
 * WebAssembly (128-bit SIMD) versions of the engine's two hottest loops, emitted per training
 * run for its column count and cell widths, working on the engine's shared memory by byte
 * address (every view of the state is carved at a 64-byte aligned offset of one shared
 * WebAssembly.Memory, see shared.ts):
 *
 * - `hist(bins, gq, idx, cnt, hist)`: for each of the cnt row indices at idx (Uint32), loads
 *   the row's quantized (g, h) pair once as an f64x2 and adds it to the histogram cell of each
 *   of the row's cols slots (Uint16 or Uint32 global slot indices, row-major at bins): one
 *   v128.load, f64x2.add, v128.store per cell. The feature loop is fully unrolled (static
 *   offsets) up to FULL_UNROLL columns, else unrolled by CHUNK. The additions are the same
 *   float64 additions as the JS loop in the same order, so results are bit-identical.
 * - `part(col, rows, cnt, sL, sR, miss, sv, dl)`: stable branchless partition of cnt row
 *   indices by their local bin in the column at col (Uint8 or Uint16): writes each row to both
 *   sL and sR and advances the side it belongs to; returns the left count.
 *
 * WebAssembly is reached through globalThis (the project's TypeScript libs do not declare it).
 */
import { Code, F64, I32, I64, moduleBytes, V128, type FuncDef } from './emit.js';

export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

interface WasmApi {
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}

export const WA: WasmApi | undefined = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

const FULL_UNROLL = 64;
const CHUNK = 16;

export interface KernelShape {
  cols: number;
  /** Bytes per row-major cell (global slot index). */
  binBytes: 2 | 4;
  /** Bytes per column-major cell (local bin). */
  colBytes: 1 | 2;
}

export interface WasmKernels {
  hist(bins: number, gq: number, idx: number, cnt: number, hist: number): void;
  /** Present when the row width suits it (see kernelBytes). */
  histG?: (bins: number, gq: number, idx: number, cnt: number, hist: number, scratch: number) => void;
  part(col: number, rows: number, cnt: number, sL: number, sR: number, miss: number, sv: number, dl: number): number;
  exp(x: number): number;
  /** Null when the WASM exp does not reproduce Math.exp bit for bit (then the JS loop runs). */
  grad: ((margin: number, labels: number, weights: number, gq: number, cnt: number, spw: number, qg: number, qh: number) => void) | null;
}

let expOk: boolean | undefined;

/** Compares the WASM exp with Math.exp on special values and a spread of random arguments. */
function expMatchesMathExp(exp: (x: number) => number): boolean {
  if (expOk !== undefined) return expOk;
  const xs = [0, -0, 1, -1, 0.5, 0.34657359027997264, 0.3465735902799727, 1.0397207708399179, 1e-9, -1e-9, 1e-300, 5e-324, 709.78, 709.8, -745.1, -745.2, -708.5, -740, 700, -700, 88.7, Infinity, -Infinity, NaN];
  let s = 0x9e3779b9;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  for (let i = 0; i < 20000; i++) xs.push((rnd() - 0.5) * (i < 10000 ? 40 : i < 15000 ? 1500 : 2));
  expOk = xs.every((x) => Object.is(exp(x), Math.exp(x)));
  return expOk;
}

function histFunc(s: KernelShape): FuncDef {
  // Params: 0 bins, 1 gq, 2 idx, 3 cnt, 4 hist. Locals: 5 end, 6 bp, 7 s, 8 ce, 9 gh.
  const BINS = 0, GQ = 1, IDX = 2, CNT = 3, HIST = 4, END = 5, BP = 6, S = 7, CE = 8, GH = 9;
  const c = new Code();
  const cell = (byteOff: number) => {
    c.get(HIST).get(BP);
    if (s.binBytes === 2) c.load16u(byteOff);
    else c.load32(byteOff);
    c.i32(4).shl().add().tee(S);
    c.get(S).v128load().get(GH).f64x2add().v128store();
  };
  c.get(CNT).eqz().if().ret().end();
  c.get(IDX).get(CNT).i32(2).shl().add().set(END);
  c.loop();
  {
    // r = idx[p]; gh = gq[r]; bp = bins + r·cols·binBytes
    c.get(IDX).load32().tee(S);
    c.i32(4).shl().get(GQ).add().v128load().set(GH);
    c.get(S).i32(s.cols * s.binBytes).mul().get(BINS).add().set(BP);
    let rest = s.cols;
    if (s.cols > FULL_UNROLL) {
      const chunks = Math.floor(s.cols / CHUNK);
      rest = s.cols - chunks * CHUNK;
      c.get(BP).i32(chunks * CHUNK * s.binBytes).add().set(CE);
      c.loop();
      for (let f = 0; f < CHUNK; f++) cell(f * s.binBytes);
      c.get(BP).i32(CHUNK * s.binBytes).add().tee(BP).get(CE).ltU().brIf(0);
      c.end();
    }
    for (let f = 0; f < rest; f++) cell(f * s.binBytes);
    c.get(IDX).i32(4).add().tee(IDX).get(END).ltU().brIf(0);
  }
  c.end();
  return { name: 'hist', params: [I32, I32, I32, I32, I32], results: [], locals: [I32, I32, I32, I32, V128], body: c };
}

function partFunc(s: KernelShape): FuncDef {
  // Params: 0 col, 1 rows, 2 cnt, 3 sL, 4 sR, 5 miss, 6 sv, 7 dl. Locals: 8 end, 9 r, 10 v, 11 left, 12 lp, 13 rp.
  const COL = 0, ROWS = 1, CNT = 2, SL = 3, SR = 4, MISS = 5, SV = 6, DL = 7, END = 8, R = 9, V = 10, LEFT = 11, LP = 12, RP = 13;
  const c = new Code();
  c.get(CNT).eqz().if().i32(0).ret().end();
  c.get(ROWS).get(CNT).i32(2).shl().add().set(END);
  c.get(SL).set(LP);
  c.get(SR).set(RP);
  c.loop();
  {
    c.get(ROWS).load32().set(R);
    if (s.colBytes === 1) c.get(COL).get(R).add().load8u();
    else c.get(COL).get(R).i32(1).shl().add().load16u();
    c.set(V);
    // left = v == miss ? dl : v ≤ sv
    c.get(DL).get(V).get(SV).leU().get(V).get(MISS).eq().select().set(LEFT);
    c.get(LP).get(R).store32();
    c.get(RP).get(R).store32();
    c.get(LP).get(LEFT).i32(2).shl().add().set(LP);
    c.get(RP).get(LEFT).i32(1).xor().i32(2).shl().add().set(RP);
    c.get(ROWS).i32(4).add().tee(ROWS).get(END).ltU().brIf(0);
  }
  c.end();
  c.get(LP).get(SL).sub().i32(2).shrU();
  return { name: 'part', params: [I32, I32, I32, I32, I32, I32, I32, I32], results: [I32], locals: [I32, I32, I32, I32, I32, I32], body: c };
}

/** Rows gathered per block by histG. */
export const GATHER_ROWS = 64;

/** Bytes of per-thread scratch histG needs. */
export function gatherScratchBytes(s: KernelShape): number {
  return GATHER_ROWS * (16 + Math.ceil((s.cols * s.binBytes) / 16) * 16);
}

/**
 * hist with a blocked gather: copies GATHER_ROWS rows' cells and gradient pairs into a small
 * contiguous scratch first (few instructions per row, so the out-of-order window holds many
 * rows' cache misses at once), then histograms the block from the scratch (L1-resident).
 */
function histGFunc(s: KernelShape): FuncDef {
  // Params: 0 bins, 1 gq, 2 idx, 3 cnt, 4 hist, 5 scratch. Locals: 6 end(block idx end), 7 bp, 8 s, 9 b, 10 sp, 11 gh.
  const BINS = 0, GQ = 1, IDX = 2, CNT = 3, HIST = 4, SCR = 5, END = 6, BP = 7, S = 8, B = 9, SP = 10, GH = 11;
  const rowBytes = s.cols * s.binBytes;
  const RB = Math.ceil(rowBytes / 16) * 16;
  const nv = RB / 16;
  const c = new Code();
  c.block();
  c.loop();
  {
    // b = min(cnt, GATHER_ROWS); if b == 0 exit
    c.get(CNT).eqz().brIf(1);
    c.i32(GATHER_ROWS).get(CNT).get(CNT).i32(GATHER_ROWS).gtU().select().set(B);
    c.get(IDX).get(B).i32(2).shl().add().set(END);
    // Gather: sp walks the scratch rows; gradient pairs after the rows.
    c.get(SCR).set(SP);
    c.get(IDX).set(S);
    c.loop();
    {
      c.get(S).load32().set(BP); // r
      // gq pair → scratch + GATHER_ROWS·RB + 16·j, j = (sp − scr)/RB: keep it simple with a second pointer derived from sp
      c.get(SP).get(SCR).sub().i32(Math.log2(RB) === Math.floor(Math.log2(RB)) ? Math.log2(RB) - 4 : 0);
      if (Math.log2(RB) !== Math.floor(Math.log2(RB))) throw new Error('unreachable');
      c.shrU().get(SCR).add();
      c.get(BP).i32(4).shl().get(GQ).add().v128load().v128store(GATHER_ROWS * RB);
      c.get(BP).i32(rowBytes).mul().get(BINS).add().set(BP);
      for (let v = 0; v < nv; v++) {
        const o = Math.min(16 * v, rowBytes - 16);
        c.get(SP).get(BP).v128load(o).v128store(o);
      }
      c.get(SP).i32(RB).add().set(SP);
      c.get(S).i32(4).add().tee(S).get(END).ltU().brIf(0);
    }
    c.end();
    // Histogram the block.
    c.get(SCR).set(BP);
    c.get(SCR).get(B).i32(Math.log2(RB)).shl().add().set(END);
    c.loop();
    {
      c.get(BP).get(SCR).sub().i32(Math.log2(RB) - 4).shrU().get(SCR).add().v128load(GATHER_ROWS * RB).set(GH);
      for (let f = 0; f < s.cols; f++) {
        c.get(HIST).get(BP);
        if (s.binBytes === 2) c.load16u(f * 2);
        else c.load32(f * 4);
        c.i32(4).shl().add().tee(S);
        c.get(S).v128load().get(GH).f64x2add().v128store();
      }
      c.get(BP).i32(RB).add().tee(BP).get(END).ltU().brIf(0);
    }
    c.end();
    c.get(IDX).get(B).i32(2).shl().add().set(IDX);
    c.get(CNT).get(B).sub().set(CNT);
    c.br(0);
  }
  c.end();
  c.end();
  return { name: 'histG', params: [I32, I32, I32, I32, I32, I32], results: [], locals: [I32, I32, I32, I32, I32, V128], body: c };
}

/**
 * exp(x) as fdlibm's __ieee754_exp, the implementation behind V8's Math.exp: the same float64
 * operations in the same order (plus V8's exp(1) = Math.E special case), so the result is
 * bit-identical (checked once per process against Math.exp, see expMatchesMathExp).
 */
function expFunc(): FuncDef {
  // Param 0 x. Locals: 1 hx, 2 xsb, 3 k (i32); 4 hi, 5 lo, 6 c, 7 t, 8 y (f64); 9 bits (i64).
  const X = 0, HX = 1, XSB = 2, K = 3, HI = 4, LO = 5, C = 6, T = 7, Y = 8, BITS = 9;
  const c = new Code();
  const ln2HI = () => c.f64bits(0x3fe62e42, 0xfee00000);
  const ln2LO = () => c.f64bits(0x3dea39ef, 0x35793c76);
  c.get(X).i64ReinterpretF64().tee(BITS).i64const(32).i64shrU().i32WrapI64().tee(HX);
  c.i32(31).shrU().set(XSB);
  c.get(HX).i32(0x7fffffff).and().set(HX);
  // |x| ≥ 709.78…: non-finite, overflow, underflow.
  c.get(HX).i32(0x40862e42).geU().if();
  {
    c.get(HX).i32(0x7ff00000).geU().if();
    {
      c.get(HX).i32(0xfffff).and().get(BITS).i32WrapI64().or().if().get(X).get(X).fadd().ret().end();
      c.get(X).f64(0).get(XSB).eqz().select().ret();
    }
    c.end();
    c.get(X).f64bits(0x40862e42, 0xfefa39ef).fgt().if().f64(Infinity).ret().end();
    c.get(X).f64bits(0xc0874910, 0xd52d3051).flt().if().f64(0).ret().end();
  }
  c.end();
  // Argument reduction.
  c.get(HX).i32(0x3fd62e42).gtU().if();
  {
    c.get(HX).i32(0x3ff0a2b2).ltU().if();
    {
      // V8's one change to fdlibm: exp(1) returns Math.E exactly.
      c.get(X).f64(1).feq().if().f64(Math.E).ret().end();
      // hi = x − ln2HI[xsb]; lo = ln2LO[xsb]; k = 1 − 2·xsb
      c.get(X);
      ln2HI(); c.fneg(); ln2HI(); c.get(XSB).select();
      c.fsub().set(HI);
      ln2LO(); c.fneg(); ln2LO(); c.get(XSB).select().set(LO);
      c.i32(1).get(XSB).i32(1).shl().sub().set(K);
    }
    c.else();
    {
      // k = (int)(invln2·x + halF[xsb]); t = k; hi = x − t·ln2HI; lo = t·ln2LO
      c.f64bits(0x3ff71547, 0x652b82fe).get(X).fmul();
      c.f64(-0.5).f64(0.5).get(XSB).select().fadd().truncF64S().tee(K);
      c.convertI32S().set(T);
      c.get(X).get(T); ln2HI(); c.fmul().fsub().set(HI);
      c.get(T); ln2LO(); c.fmul().set(LO);
    }
    c.end();
    c.get(HI).get(LO).fsub().set(X);
  }
  c.else();
  {
    // |x| < 2^-28: 1 + x.
    c.get(HX).i32(0x3e300000).ltU().if().f64(1).get(X).fadd().ret().end();
  }
  c.end();
  // Primary range: t = x², c = x − t(P1 + t(P2 + t(P3 + t(P4 + t·P5)))).
  c.get(X).get(X).fmul().set(T);
  c.get(X);
  c.get(T);
  c.f64bits(0x3fc55555, 0x5555553e);
  c.get(T);
  c.f64bits(0xbf66c16c, 0x16bebd93);
  c.get(T);
  c.f64bits(0x3f11566a, 0xaf25de2c);
  c.get(T);
  c.f64bits(0xbebbbd41, 0xc5d26bf1);
  c.get(T).f64bits(0x3e663769, 0x72bea4d0).fmul();
  c.fadd().fmul().fadd().fmul().fadd().fmul().fadd().fmul().fsub().set(C);
  // k == 0: 1 − ((x·c)/(c − 2) − x)
  c.get(K).eqz().if();
  c.f64(1).get(X).get(C).fmul().get(C).f64(2).fsub().fdiv().get(X).fsub().fsub().ret();
  c.end();
  // y = 1 − ((lo − (x·c)/(2 − c)) − hi)
  c.f64(1).get(LO).get(X).get(C).fmul().f64(2).get(C).fsub().fdiv().fsub().get(HI).fsub().fsub().set(Y);
  // Add k to y's exponent (k ≥ −1021), else k + 1000 and scale by 2^−1000.
  c.get(K).i32(-1021).geS().if();
  c.get(Y).i64ReinterpretF64().get(K).i64ExtendI32S().i64const(52).i64shl().i64add().f64ReinterpretI64().ret();
  c.end();
  c.get(Y).i64ReinterpretF64().get(K).i32(1000).add().i64ExtendI32S().i64const(52).i64shl().i64add().f64ReinterpretI64();
  c.f64bits(0x01700000, 0).fmul();
  return { name: 'exp', params: [F64], results: [F64], locals: [I32, I32, I32, F64, F64, F64, F64, F64, I64], body: c };
}

/**
 * Logistic gradients of rows [r0, r1), quantized into gq (kernels.ts logisticQuantized, same
 * operations in the same order): pr = 1/(1 + exp(−margin)), g = floor((pr − y)·w·qg + 0.5),
 * h = floor(max(pr(1 − pr), 1e-16)·w·qh + 0.5), w = weight·spw for y = 1.
 */
function gradFunc(expIndex: number): FuncDef {
  // Params: 0 margin, 1 labels, 2 weights, 3 gq (byte pointers at r0), 4 cnt, 5 spw, 6 qg, 7 qh. Locals: 8 end, 9 y, 10 w, 11 pr.
  const M = 0, LAB = 1, WT = 2, GQ = 3, CNT = 4, SPW = 5, QG = 6, QH = 7, END = 8, Y = 9, W = 10, PR = 11;
  const c = new Code();
  c.get(CNT).eqz().if().ret().end();
  c.get(M).get(CNT).i32(3).shl().add().set(END);
  c.loop();
  {
    c.get(LAB).f32load().promoteF32().set(Y);
    c.get(WT).f32load().promoteF32().tee(W).get(SPW).fmul().get(W).get(Y).f64(1).feq().select().set(W);
    c.f64(1).f64(1).get(M).f64load().fneg().call(expIndex).fadd().fdiv().set(PR);
    c.get(GQ).get(PR).get(Y).fsub().get(W).fmul().get(QG).fmul().f64(0.5).fadd().ffloor().f64store();
    c.get(GQ).get(PR).f64(1).get(PR).fsub().fmul().f64(1e-16).fmax().get(W).fmul().get(QH).fmul().f64(0.5).fadd().ffloor().f64store(8);
    c.get(LAB).i32(4).add().set(LAB);
    c.get(WT).i32(4).add().set(WT);
    c.get(GQ).i32(16).add().set(GQ);
    c.get(M).i32(8).add().tee(M).get(END).ltU().brIf(0);
  }
  c.end();
  return { name: 'grad', params: [I32, I32, I32, I32, I32, F64, F64, F64], results: [], locals: [I32, F64, F64, F64], body: c };
}

export function kernelBytes(s: KernelShape): Uint8Array {
  const rb = Math.ceil((s.cols * s.binBytes) / 16) * 16;
  const gather = s.cols * s.binBytes >= 16 && s.cols <= FULL_UNROLL && (rb & (rb - 1)) === 0;
  const funcs = [histFunc(s), partFunc(s), expFunc(), gradFunc(2)];
  if (gather) funcs.push(histGFunc(s));
  return moduleBytes(funcs);
}

let simdOk: boolean | undefined;

/** Whether this runtime validates (and so can run) a module with 128-bit SIMD and a shared memory import. Checked once. */
export function wasmSimdAvailable(): boolean {
  if (simdOk === undefined) {
    try {
      simdOk = !!WA && WA.validate(kernelBytes({ cols: 3, binBytes: 2, colBytes: 1 }));
    } catch {
      simdOk = false;
    }
  }
  return simdOk;
}

export function instantiateKernels(memory: WasmMemory, s: KernelShape): WasmKernels {
  if (!WA) throw new Error('xgboost: WebAssembly unavailable');
  const inst = new WA.Instance(new WA.Module(kernelBytes(s)), { env: { memory } });
  const k = { ...inst.exports } as unknown as WasmKernels;
  if (!expMatchesMathExp(k.exp)) k.grad = null;
  return k;
}
