/**
 * Messages between the server and a replica worker thread. Requests travel in batches: every
 * invocation routed to one replica during one turn of the event loop goes in one `postMessage`
 * (waking a thread costs more than a small prediction), and the answers come back the same way.
 * The bodies of a batch travel back to back in one transferred `ArrayBuffer`, so neither thread
 * copies or re-encodes them on the way.
 */

/** Invocations for one replica, in arrival order. Body i is `bytes[ends[i-1] ?? 0, ends[i])`. */
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

export type ReplicaWorkerData = WorkerModel & { entry: string };

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
