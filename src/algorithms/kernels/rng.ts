/** A seeded pseudo-random source, injected so that training can be reproduced. */
export interface Rng {
  /** Uniform 32-bit unsigned integer. */
  nextU32(): number;
  /** Uniform double in [0, 1) with 53 random bits. */
  next(): number;
}

/** splitmix32: spreads a small seed over the 128-bit xoshiro state. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** xoshiro128** (Blackman and Vigna): small, fast and statistically sound for shuffling and init. */
class Xoshiro128 implements Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    const sm = { s: seed | 0 };
    this.a = splitmix32(sm);
    this.b = splitmix32(sm);
    this.c = splitmix32(sm);
    this.d = splitmix32(sm);
  }

  nextU32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  next(): number {
    return ((this.nextU32() >>> 5) * 67108864 + (this.nextU32() >>> 6)) / 9007199254740992;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Creates a seeded {@link Rng}; equal seeds give equal sequences. */
export function createRng(seed: number): Rng {
  return new Xoshiro128(seed);
}

/** Uniform integer in [0, n) without modulo bias (n ≤ 2^32). */
export function randomIndex(rng: Rng, n: number): number {
  const limit = 4294967296 - (4294967296 % n);
  let r = rng.nextU32();
  while (r >= limit) r = rng.nextU32();
  return r % n;
}

/** Fisher–Yates shuffle of `values` in place. */
export function shuffleImpl(values: Uint32Array, rng: Rng): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = randomIndex(rng, i + 1);
    const t = values[i];
    values[i] = values[j];
    values[j] = t;
  }
}

/** Standard normal deviate (Box–Muller; one of the pair is discarded for simplicity). */
export function normalSample(rng: Rng): number {
  let u = rng.next();
  while (u === 0) u = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/**
 * Writes into `order` the row indices 0..n−1 as shuffled blocks of `blockRows` consecutive rows
 * (the last block may be shorter). Blocks keep each row's memory access sequential, which on
 * tables far larger than the CPU caches is several times faster than a row-level shuffle while
 * still mixing every mini-batch from many distant parts of the data.
 */
export function blockShuffleImpl(order: Uint32Array, n: number, blockRows: number, rng: Rng): void {
  const blocks = Math.ceil(n / blockRows);
  const ids = new Uint32Array(blocks);
  for (let i = 0; i < blocks; i++) ids[i] = i;
  shuffleImpl(ids, rng);
  let k = 0;
  for (let b = 0; b < blocks; b++) {
    const start = ids[b] * blockRows;
    const end = Math.min(n, start + blockRows);
    for (let r = start; r < end; r++) order[k++] = r;
  }
}

/** `k` distinct indices drawn uniformly from [0, n) (all of them, in order, when k ≥ n). */
export function sampleIndicesImpl(n: number, k: number, rng: Rng): Uint32Array {
  const all = new Uint32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  if (k >= n) return all;
  // Partial Fisher–Yates: only the first k positions need to be drawn.
  for (let i = 0; i < k; i++) {
    const j = i + randomIndex(rng, n - i);
    const t = all[i];
    all[i] = all[j];
    all[j] = t;
  }
  return all.slice(0, k);
}
