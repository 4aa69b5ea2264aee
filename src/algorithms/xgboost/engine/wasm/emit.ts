/**
 * A minimal WebAssembly binary emitter: just what the engine's kernels need (i32 / v128 values,
 * structured control flow, loads and stores on one imported shared memory, a few SIMD ops).
 * No toolchain: the module bytes are written here, from the spec's binary format
 * (https://webassembly.github.io/spec/core/binary/).
 *
 * Function bodies are written with {@link Code}, a tiny assembler whose methods append one
 * instruction each; {@link moduleBytes} wraps the functions into a module that imports
 * `env.memory` (shared, 0..65536 pages) and exports every function by name.
 */

/** Value types. */
export const I32 = 0x7f;
export const I64 = 0x7e;
export const F64 = 0x7c;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof I64 | typeof F64 | typeof V128;

export function uleb(out: number[], v: number): void {
  if (v < 0 || !Number.isInteger(v)) throw new Error(`uleb: ${v}`);
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) b |= 0x80;
    out.push(b);
  } while (v > 0);
}

export function sleb(out: number[], v: number): void {
  if (!Number.isInteger(v)) throw new Error(`sleb: ${v}`);
  for (;;) {
    const b = v & 0x7f;
    v = Math.floor(v / 128);
    const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return;
  }
}

function name(out: number[], s: string): void {
  const b = new TextEncoder().encode(s);
  uleb(out, b.length);
  out.push(...b);
}

function vec(out: number[], items: number[][]): void {
  uleb(out, items.length);
  for (const it of items) out.push(...it);
}

function section(out: number[], id: number, body: number[]): void {
  out.push(id);
  uleb(out, body.length);
  out.push(...body);
}

/** log2 of a natural alignment in bytes. */
const ALIGN: Record<number, number> = { 1: 0, 2: 1, 4: 2, 8: 3, 16: 4 };

/** Appends instructions to a function body (locals are numbered after the parameters). */
export class Code {
  readonly b: number[] = [];

  #op(...bytes: number[]): this {
    this.b.push(...bytes);
    return this;
  }

  #mem(op: number[], bytes: number, offset: number): this {
    this.b.push(...op);
    uleb(this.b, ALIGN[bytes]);
    uleb(this.b, offset);
    return this;
  }

  // Control.
  /** block with no result; `br 0` inside jumps to its end. */
  block(): this { return this.#op(0x02, 0x40); }
  /** loop with no result; `br 0` inside jumps to its start. */
  loop(): this { return this.#op(0x03, 0x40); }
  if(): this { return this.#op(0x04, 0x40); }
  else(): this { return this.#op(0x05); }
  end(): this { return this.#op(0x0b); }
  br(depth: number): this { this.b.push(0x0c); uleb(this.b, depth); return this; }
  brIf(depth: number): this { this.b.push(0x0d); uleb(this.b, depth); return this; }
  ret(): this { return this.#op(0x0f); }
  select(): this { return this.#op(0x1b); }
  drop(): this { return this.#op(0x1a); }

  // Locals.
  get(i: number): this { this.b.push(0x20); uleb(this.b, i); return this; }
  set(i: number): this { this.b.push(0x21); uleb(this.b, i); return this; }
  tee(i: number): this { this.b.push(0x22); uleb(this.b, i); return this; }

  // i32.
  i32(v: number): this { this.b.push(0x41); sleb(this.b, v | 0); return this; }
  eqz(): this { return this.#op(0x45); }
  eq(): this { return this.#op(0x46); }
  ne(): this { return this.#op(0x47); }
  ltU(): this { return this.#op(0x49); }
  gtU(): this { return this.#op(0x4b); }
  leU(): this { return this.#op(0x4d); }
  geU(): this { return this.#op(0x4f); }
  add(): this { return this.#op(0x6a); }
  sub(): this { return this.#op(0x6b); }
  mul(): this { return this.#op(0x6c); }
  and(): this { return this.#op(0x71); }
  or(): this { return this.#op(0x72); }
  xor(): this { return this.#op(0x73); }
  shl(): this { return this.#op(0x74); }
  shrU(): this { return this.#op(0x76); }

  // Memory (address on the stack; `offset` is the static byte offset).
  load32(offset = 0): this { return this.#mem([0x28], 4, offset); }
  load8u(offset = 0): this { return this.#mem([0x2d], 1, offset); }
  load16u(offset = 0): this { return this.#mem([0x2f], 2, offset); }
  store32(offset = 0): this { return this.#mem([0x36], 4, offset); }
  f64load(offset = 0): this { return this.#mem([0x2b], 8, offset); }
  f64store(offset = 0): this { return this.#mem([0x39], 8, offset); }

  shrS(): this { return this.#op(0x75); }
  ltS(): this { return this.#op(0x48); }
  geS(): this { return this.#op(0x4e); }
  f32load(offset = 0): this { return this.#mem([0x2a], 4, offset); }
  call(func: number): this { this.b.push(0x10); uleb(this.b, func); return this; }

  // f64.
  f64(v: number): this {
    this.b.push(0x44);
    const d = new DataView(new ArrayBuffer(8));
    d.setFloat64(0, v, true);
    for (let i = 0; i < 8; i++) this.b.push(d.getUint8(i));
    return this;
  }
  /** f64.const from its IEEE bits (high and low 32-bit words). */
  f64bits(hi: number, lo: number): this {
    const d = new DataView(new ArrayBuffer(8));
    d.setUint32(0, lo >>> 0, true);
    d.setUint32(4, hi >>> 0, true);
    return this.f64(d.getFloat64(0, true));
  }
  fadd(): this { return this.#op(0xa0); }
  fsub(): this { return this.#op(0xa1); }
  fmul(): this { return this.#op(0xa2); }
  fdiv(): this { return this.#op(0xa3); }
  fmax(): this { return this.#op(0xa5); }
  fneg(): this { return this.#op(0x9a); }
  ffloor(): this { return this.#op(0x9c); }
  feq(): this { return this.#op(0x61); }
  flt(): this { return this.#op(0x63); }
  fgt(): this { return this.#op(0x64); }
  promoteF32(): this { return this.#op(0xbb); }
  truncF64S(): this { return this.#op(0xaa); }
  convertI32S(): this { return this.#op(0xb7); }

  // i64 (bit manipulation of doubles).
  i64ReinterpretF64(): this { return this.#op(0xbd); }
  f64ReinterpretI64(): this { return this.#op(0xbf); }
  i64ExtendI32S(): this { return this.#op(0xac); }
  i32WrapI64(): this { return this.#op(0xa7); }
  i64const(v: number): this { this.b.push(0x42); sleb(this.b, v); return this; }
  i64add(): this { return this.#op(0x7c); }
  i64shl(): this { return this.#op(0x86); }
  i64shrU(): this { return this.#op(0x88); }

  // SIMD (prefix 0xfd, LEB128 sub-opcode).
  v128load(offset = 0): this { return this.#mem([0xfd, 0x00], 16, offset); }
  v128store(offset = 0): this { return this.#mem([0xfd, 0x0b], 16, offset); }
  f64x2add(): this { return this.#op(0xfd, 0xf0, 0x01); }
}

export interface FuncDef {
  name: string;
  params: ValType[];
  results: ValType[];
  /** Extra locals, numbered after the parameters. */
  locals: ValType[];
  body: Code;
}

/** A module importing `env.memory` (shared, min 0 / max 65536 pages) and exporting `funcs`. */
export function moduleBytes(funcs: FuncDef[]): Uint8Array {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  // Type section: one signature per function (duplicates are allowed).
  section(out, 1, (() => {
    const s: number[] = [];
    vec(s, funcs.map((f) => {
      const t: number[] = [0x60];
      vec(t, f.params.map((p) => [p]));
      vec(t, f.results.map((r) => [r]));
      return t;
    }));
    return s;
  })());
  // Import section: env.memory, shared (limits flag 0x03: max present + shared).
  section(out, 2, (() => {
    const s: number[] = [];
    const imp: number[] = [];
    name(imp, 'env');
    name(imp, 'memory');
    imp.push(0x02, 0x03);
    uleb(imp, 0);
    uleb(imp, 65536);
    vec(s, [imp]);
    return s;
  })());
  // Function section: function i has type i.
  section(out, 3, (() => {
    const s: number[] = [];
    vec(s, funcs.map((_, i) => { const t: number[] = []; uleb(t, i); return t; }));
    return s;
  })());
  // Export section.
  section(out, 7, (() => {
    const s: number[] = [];
    vec(s, funcs.map((f, i) => { const e: number[] = []; name(e, f.name); e.push(0x00); uleb(e, i); return e; }));
    return s;
  })());
  // Code section.
  section(out, 10, (() => {
    const s: number[] = [];
    vec(s, funcs.map((f) => {
      const body: number[] = [];
      // Locals, run-length encoded by type.
      const runs: [number, ValType][] = [];
      for (const l of f.locals) {
        if (runs.length > 0 && runs[runs.length - 1][1] === l) runs[runs.length - 1][0]++;
        else runs.push([1, l]);
      }
      vec(body, runs.map(([n, t]) => { const r: number[] = []; uleb(r, n); r.push(t); return r; }));
      body.push(...f.body.b, 0x0b);
      const fn: number[] = [];
      uleb(fn, body.length);
      fn.push(...body);
      return fn;
    }));
    return s;
  })());
  return Uint8Array.from(out);
}
