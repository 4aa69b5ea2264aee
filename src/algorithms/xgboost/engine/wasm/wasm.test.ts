import { describe, expect, it } from 'vitest';
import { createRng } from '../../../kernels/rng.js';
import { buildHist } from '../kernels.js';
import { sleb, uleb } from './emit.js';
import { gatherScratchBytes, instantiateKernels, kernelBytes, WA, wasmSimdAvailable } from './kernels.js';

describe('wasm emitter', () => {
  it('encodes LEB128', () => {
    const u: number[] = [];
    uleb(u, 624485);
    expect(u).toEqual([0xe5, 0x8e, 0x26]);
    const s: number[] = [];
    sleb(s, -123456);
    expect(s).toEqual([0xc0, 0xbb, 0x78]);
    const z: number[] = [];
    sleb(z, 64);
    expect(z).toEqual([0xc0, 0x00]);
  });

  it('emits valid kernel modules for every shape', () => {
    if (!WA) return;
    for (const cols of [1, 3, 8, 28, 64, 65, 100]) {
      for (const binBytes of [2, 4] as const) {
        for (const colBytes of [1, 2] as const) expect(WA.validate(kernelBytes({ cols, binBytes, colBytes }))).toBe(true);
      }
    }
  });
});

describe.runIf(wasmSimdAvailable())('wasm kernels', () => {
  const pages = 64;
  const setup = (n: number, cols: number, binBytes: 2 | 4, colBytes: 1 | 2) => {
    const memory = new WA!.Memory({ initial: pages, maximum: pages, shared: true });
    const buf = memory.buffer as SharedArrayBuffer;
    let at = 0;
    const carve = (bytes: number) => { const o = at; at += Math.ceil(bytes / 64) * 64; return o; };
    const slots = cols * 17;
    const rng = createRng(cols * 7 + binBytes);
    const bins = binBytes === 2 ? new Uint16Array(buf, carve(2 * n * cols), n * cols) : new Uint32Array(buf, carve(4 * n * cols), n * cols);
    for (let r = 0; r < n; r++) for (let f = 0; f < cols; f++) bins[r * cols + f] = f * 17 + Math.floor(rng.next() * 17);
    const gq = new Float64Array(buf, carve(16 * n), 2 * n);
    for (let i = 0; i < 2 * n; i++) gq[i] = Math.floor(rng.next() * 2001) - 1000;
    const idx = new Uint32Array(buf, carve(4 * n), n);
    let m = 0;
    for (let r = 0; r < n; r++) if (rng.next() < 0.6) idx[m++] = r;
    const hist = new Float64Array(buf, carve(16 * slots), 2 * slots);
    const scratch = new Uint8Array(buf, carve(gatherScratchBytes({ cols, binBytes, colBytes })), 64);
    const col = colBytes === 1 ? new Uint8Array(buf, carve(n), n) : new Uint16Array(buf, carve(2 * n), n);
    for (let r = 0; r < n; r++) col[r] = Math.floor(rng.next() * 17);
    const sL = new Uint32Array(buf, carve(4 * n), n), sR = new Uint32Array(buf, carve(4 * n), n);
    expect(at).toBeLessThan(pages * 65536);
    return { memory, bins, gq, idx, m, hist, slots, scratch, col, sL, sR };
  };

  it('hist and histG match the JS histogram exactly', () => {
    for (const cols of [1, 5, 28, 70]) {
      for (const binBytes of [2, 4] as const) {
        const n = 3000;
        const s = setup(n, cols, binBytes, 1);
        const k = instantiateKernels(s.memory, { cols, binBytes, colBytes: 1 });
        const ref = new Float64Array(2 * s.slots);
        buildHist(s.bins, cols, s.gq, s.idx, 5, s.m, ref, 0);
        s.hist.fill(0);
        k.hist(s.bins.byteOffset, s.gq.byteOffset, s.idx.byteOffset + 20, s.m - 5, s.hist.byteOffset);
        expect(Array.from(s.hist)).toEqual(Array.from(ref));
        if (k.histG) {
          s.hist.fill(0);
          k.histG(s.bins.byteOffset, s.gq.byteOffset, s.idx.byteOffset + 20, s.m - 5, s.hist.byteOffset, s.scratch.byteOffset);
          expect(Array.from(s.hist)).toEqual(Array.from(ref));
        } else expect(cols * binBytes < 16 || cols > 64 || ((Math.ceil((cols * binBytes) / 16) * 16) & (Math.ceil((cols * binBytes) / 16) * 16 - 1)) !== 0).toBe(true);
      }
    }
  });

  it('part is a stable partition with missing values sent by default direction', () => {
    for (const colBytes of [1, 2] as const) {
      const s = setup(2000, 4, 2, colBytes);
      const k = instantiateKernels(s.memory, { cols: 4, binBytes: 2, colBytes });
      for (const dl of [0, 1]) {
        const nl = k.part(s.col.byteOffset, s.idx.byteOffset, s.m, s.sL.byteOffset, s.sR.byteOffset, 16, 7, dl);
        const rows = Array.from(s.idx.subarray(0, s.m));
        const left = rows.filter((r) => (s.col[r] === 16 ? dl === 1 : s.col[r] <= 7));
        const right = rows.filter((r) => !(s.col[r] === 16 ? dl === 1 : s.col[r] <= 7));
        expect(nl).toBe(left.length);
        expect(Array.from(s.sL.subarray(0, nl))).toEqual(left);
        expect(Array.from(s.sR.subarray(0, s.m - nl))).toEqual(right);
      }
    }
  });

  it('exp reproduces Math.exp bit for bit, so the gradient kernel is enabled', () => {
    const s = setup(10, 2, 2, 1);
    const k = instantiateKernels(s.memory, { cols: 2, binBytes: 2, colBytes: 1 });
    expect(k.grad).not.toBeNull();
    const rng = createRng(5);
    for (let i = 0; i < 5000; i++) {
      const x = (rng.next() - 0.5) * 60;
      expect(Object.is(k.exp(x), Math.exp(x))).toBe(true);
    }
    for (const x of [1, -1, 0, Infinity, -Infinity, NaN, 710, -746, 1e-30]) expect(Object.is(k.exp(x), Math.exp(x))).toBe(true);
  });
});
