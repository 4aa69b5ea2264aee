/**
 * Messages between the server and a replica worker thread. Requests travel in batches: every
 * invocation routed to one replica during one turn of the event loop goes in one `postMessage`
 * (waking a thread costs more than a small prediction), and the answers come back the same way.
 * The bodies of a batch travel back to back in one transferred `ArrayBuffer`, so neither thread
 * copies or re-encodes them on the way.
 */

/**
 * Invocations for one replica, in arrival order. Body i is `bytes[ends[i-1] ?? 0, ends[i])`.
 * `null` instead of a batch wakes an idle worker that was retired ({@link ReplicaState}).
 */
export interface InvokeBatch {
  ids: number[];
  ends: number[];
  contentTypes: Array<string | undefined>;
  accepts: Array<string | undefined>;
  bytes: ArrayBuffer;
}

export interface ReplicaError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** Answers to invocations, in any order. An answer with an error has an empty body and content type. */
export interface ReplyBatch {
  ids: number[];
  ends: number[];
  contentTypes: string[];
  errors: Array<ReplicaError | null>;
  bytes: ArrayBuffer;
}

/** The first message a worker sends: loaded, or why it could not load. */
export type ReadyMessage = { ready: true } | { ready: false; error: ReplicaError };

/** What a worker thread loads: a built-in algorithm's artifact, or an ONNX model. */
export type WorkerModel =
  | { runtime: 'builtin'; algorithm: string; modelDir: string }
  | { runtime: 'onnx'; modelDir: string };

/** `shared` is the buffer of the worker's {@link ReplicaState}. */
export type ReplicaWorkerData = WorkerModel & { entry: string; shared: SharedArrayBuffer };

/** The clock both threads stamp requests with: epoch milliseconds, below a millisecond. */
export const epochMs = () => performance.timeOrigin + performance.now();

/** Finished request ids kept apart: more requests than this in flight on one replica could read as unfinished. */
const FINISHED_RING = 4096;
const F64 = Float64Array.BYTES_PER_ELEMENT;
const I32 = Int32Array.BYTES_PER_ELEMENT;

/**
 * What the two threads of a replica share without messages, readable while the other thread is
 * blocked: the worker's progress (when it last finished a request, and which requests it finished,
 * answered or failed, though the answer may still wait to be sent), read by the server's watchdog;
 * and the server's request that the worker exit, which the worker reads when it gets control back.
 */
export class ReplicaState {
  readonly #lastAt: Float64Array;
  readonly #retire: Int32Array;
  readonly #ids: Int32Array;

  constructor(readonly buffer = new SharedArrayBuffer(F64 + I32 + FINISHED_RING * I32)) {
    this.#lastAt = new Float64Array(buffer, 0, 1);
    this.#retire = new Int32Array(buffer, F64, 1);
    this.#ids = new Int32Array(buffer, F64 + I32, FINISHED_RING);
  }

  /** Worker side: request `id` is finished. */
  finished(id: number): void {
    Atomics.store(this.#ids, id % FINISHED_RING, id | 0);
    // Not an atomic store by the spec, but one aligned 8-byte store on the 64-bit platforms Node runs on.
    this.#lastAt[0] = epochMs();
  }

  isFinished(id: number): boolean {
    return Atomics.load(this.#ids, id % FINISHED_RING) === (id | 0);
  }

  /** {@link epochMs} when the worker last finished a request; 0 before the first. */
  get lastFinishedAt(): number {
    return this.#lastAt[0];
  }

  /** Server side: the worker is to exit as soon as it runs JavaScript again, answering nothing more. */
  retire(): void {
    Atomics.store(this.#retire, 0, 1);
  }

  get retired(): boolean {
    return Atomics.load(this.#retire, 0) === 1;
  }
}

/**
 * Copies `bodies` back to back into one new `ArrayBuffer` (to be transferred); `ends` receives
 * each body's end offset. Strings are written as UTF-8.
 */
export function packBodies(bodies: ReadonlyArray<Buffer | string>, ends: number[]): ArrayBuffer {
  let total = 0;
  for (let i = 0; i < bodies.length; i++) {
    const b = bodies[i];
    total += typeof b === 'string' ? Buffer.byteLength(b) : b.byteLength;
    ends[i] = total;
  }
  const bytes = new ArrayBuffer(total);
  const out = Buffer.from(bytes);
  let at = 0;
  for (let i = 0; i < bodies.length; i++) {
    const b = bodies[i];
    if (typeof b === 'string') out.write(b, at);
    else out.set(b, at);
    at = ends[i];
  }
  return bytes;
}

/** Body `i` of a packed batch, as a view on `bytes` (no copy). */
export function bodyAt(bytes: ArrayBuffer, ends: readonly number[], i: number): Buffer {
  const start = i === 0 ? 0 : ends[i - 1];
  return Buffer.from(bytes, start, ends[i] - start);
}
