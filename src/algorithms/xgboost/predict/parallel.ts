/**
 * Batch prediction split across threads: `predictParallel` scores a large batch with the calling
 * thread plus a lazily created, persistent pool of worker threads (started through
 * src/core/tsx-bootstrap.mjs, like the training team in engine/team.ts). The rows of each worker's
 * share are copied into a SharedArrayBuffer (reused between calls), the worker writes its margins
 * into a shared output, and the calling thread scores its own share in place meanwhile. Results are
 * identical to `predict` (each row is scored by the same code, whatever the thread).
 * Batches under {@link PARALLEL_MIN_WORK} row × tree visits run synchronously in the caller.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { validationError } from '../../../core/errors.js';
import { finishPredictionImpl, marginRowsImpl, predict, type CompiledForest } from '../predict.js';

const BOOTSTRAP = fileURLToPath(new URL('../../../core/tsx-bootstrap.mjs', import.meta.url));
const ENTRY = fileURLToPath(new URL('./worker.ts', import.meta.url));
/** Below this many row × tree visits (20k rows of 100 trees) a batch is scored in the calling thread. */
export const PARALLEL_MIN_WORK = 2_000_000;
/** Forests a worker keeps compiled (first in, first out; the pool mirrors the order). */
export const FORESTS_KEPT = 8;

export interface PredictJob {
  job: number;
  id: number;
  /** Sent the first time this worker scores the forest. */
  forest?: CompiledForest;
  features: Float32Array | Float64Array;
  rows: number;
  out: Float64Array;
}

interface PoolWorker {
  worker: Worker;
  ready: Promise<void>;
  /** Forest ids this worker holds, in arrival order. */
  forests: number[];
}

const forestIds = new WeakMap<CompiledForest, number>();
let nextForestId = 1;
let nextJob = 1;
let pool: PoolWorker[] = [];
const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
let featureBuffer: SharedArrayBuffer | undefined;
let outBuffer: SharedArrayBuffer | undefined;

function failAll(message: string): void {
  for (const p of pending.values()) p.reject(new Error(message));
  pending.clear();
}

function spawn(): PoolWorker {
  const worker = new Worker(BOOTSTRAP, { workerData: { entry: ENTRY } });
  const ready = new Promise<void>((resolve, reject) => {
    worker.once('message', (m: { ready?: boolean }) => (m.ready ? resolve() : reject(new Error('xgboost predict worker failed to start'))));
    worker.once('error', reject);
  });
  ready.catch(() => undefined);
  worker.on('message', (m: { job?: number; error?: string }) => {
    if (m.job === undefined) return;
    const p = pending.get(m.job);
    pending.delete(m.job);
    if (m.error) p?.reject(new Error(`xgboost predict worker failed: ${m.error}`));
    else p?.resolve();
  });
  const drop = (why: string) => {
    pool = pool.filter((w) => w.worker !== worker);
    failAll(why);
  };
  worker.on('error', (e) => drop(`xgboost predict worker failed: ${e.message}`));
  worker.on('exit', (code) => drop(`xgboost predict worker exited with code ${code}`));
  // An idle pool must not keep the process alive (unref after the listeners, which ref the port);
  // predictParallel refs the workers while it waits on them.
  worker.unref();
  return { worker, ready, forests: [] };
}

/** Stops the pool's workers (a later parallel call starts new ones). */
export async function closePredictPool(): Promise<void> {
  const ws = pool;
  pool = [];
  await Promise.all(ws.map((w) => w.worker.terminate()));
}

/**
 * Like {@link predict}, but a batch of at least {@link PARALLEL_MIN_WORK} row × tree visits is
 * split across `threads` threads (default: the machine's available parallelism, at most 8): the
 * calling thread and `threads − 1` pooled workers.
 * @throws ValidationError when `features.length` is not a multiple of numFeature.
 */
export async function predictParallel(
  forest: CompiledForest,
  features: Float32Array | Float64Array,
  out?: Float64Array,
  threads = Math.min(8, availableParallelism()),
): Promise<Float64Array> {
  const m = forest.numFeature;
  if (m <= 0 || features.length % m !== 0) return predict(forest, features, out);
  const rows = features.length / m;
  const G = forest.numGroup;
  const n = Math.max(1, Math.min(threads, Math.floor((rows * forest.treeCount) / (PARALLEL_MIN_WORK / 2))));
  if (n <= 1) return predict(forest, features, out);
  const margins = forest.objective === 'multi:softmax' || !out ? new Float64Array(rows * G) : out;
  if (margins.length < rows * G) throw validationError(`out has ${margins.length} values, needs ${rows * G}`);
  while (pool.length < n - 1) pool.push(spawn());
  const used = pool.slice(0, n - 1);
  for (const w of used) w.worker.ref();
  try {
    return await scoreSplit(forest, features, margins, out, rows, n, used);
  } finally {
    for (const w of used) w.worker.unref();
  }
}

async function scoreSplit(
  forest: CompiledForest,
  features: Float32Array | Float64Array,
  margins: Float64Array,
  out: Float64Array | undefined,
  rows: number,
  n: number,
  workers: PoolWorker[],
): Promise<Float64Array> {
  const m = forest.numFeature;
  const G = forest.numGroup;
  let id = forestIds.get(forest);
  if (id === undefined) forestIds.set(forest, (id = nextForestId++));
  // The caller's share is the first; each worker's rows are copied into the shared buffers.
  const share = Math.ceil(rows / n);
  const workerRows = rows - share;
  const bytes = workerRows * m * features.BYTES_PER_ELEMENT;
  if (!featureBuffer || featureBuffer.byteLength < bytes) featureBuffer = new SharedArrayBuffer(bytes);
  if (!outBuffer || outBuffer.byteLength < workerRows * G * 8) outBuffer = new SharedArrayBuffer(workerRows * G * 8);
  const sab = featureBuffer as unknown as ArrayBuffer;
  const shared = features instanceof Float32Array ? new Float32Array(sab, 0, workerRows * m) : new Float64Array(sab, 0, workerRows * m);
  shared.set(features.subarray(share * m));
  const sharedOut = new Float64Array(outBuffer, 0, workerRows * G);
  const jobs: Promise<void>[] = [];
  for (let k = 1; k < n; k++) {
    const r0 = Math.min(rows, k * share);
    const r1 = Math.min(rows, (k + 1) * share);
    if (r1 <= r0) continue;
    const w = workers[k - 1];
    await w.ready;
    const job = nextJob++;
    const msg: PredictJob = {
      job,
      id,
      features: shared.subarray((r0 - share) * m, (r1 - share) * m),
      rows: r1 - r0,
      out: sharedOut.subarray((r0 - share) * G, (r1 - share) * G),
    };
    if (!w.forests.includes(id)) {
      msg.forest = forest;
      w.forests.push(id);
      if (w.forests.length > FORESTS_KEPT) w.forests.shift();
    }
    const done = new Promise<void>((resolve, reject) => pending.set(job, { resolve, reject }));
    done.catch(() => undefined);
    jobs.push(done);
    w.worker.postMessage(msg);
  }
  marginRowsImpl(forest, features, 0, share, margins);
  await Promise.all(jobs);
  margins.set(sharedOut, share * G);
  return finishPredictionImpl(forest, margins, rows, out);
}
