import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PlatformError, type ErrorCode } from '../core/errors.js';
import { bodyAt, packBodies, type InvokeBatch, type ReadyMessage, type ReplicaWorkerData, type ReplyBatch, type WorkerModel } from './replica-protocol.js';
import type { InvokeRequest, InvokeResult, OnReplicaDeath, Replica } from './runtimes/runtime.js';

export type { InvokeRequest, InvokeResult } from './runtimes/runtime.js';

const BOOTSTRAP = fileURLToPath(new URL('../core/tsx-bootstrap.mjs', import.meta.url));
const ENTRY = fileURLToPath(new URL('./replica-worker.ts', import.meta.url));
const START_TIMEOUT_MS = 60_000;

interface Pending {
  resolve: (r: InvokeResult) => void;
  reject: (e: unknown) => void;
}

/** Requests not yet sent to the worker, in arrival order. */
interface Outbox {
  ids: number[];
  bodies: Array<Buffer | string>;
  contentTypes: Array<string | undefined>;
  accepts: Array<string | undefined>;
  ends: number[];
}

const clear = (o: Outbox) => void (o.ids.length = o.bodies.length = o.contentTypes.length = o.accepts.length = 0);

/**
 * One replica of a variant: a worker thread holding the loaded model (built-in or ONNX).
 * Requests wait in an outbox until the end of the event-loop turn and leave as one batch
 * (replica-protocol.ts).
 */
export class WorkerReplica implements Replica {
  #worker: Worker;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #dead = false;
  readonly #outbox: Outbox = { ids: [], bodies: [], contentTypes: [], accepts: [], ends: [] };
  #flushScheduled = false;
  readonly ready: Promise<void>;

  constructor(model: WorkerModel, private readonly onDeath: OnReplicaDeath) {
    const workerData: ReplicaWorkerData = { ...model, entry: ENTRY };
    this.#worker = new Worker(BOOTSTRAP, { workerData });
    this.ready = this.#awaitReady();
    this.#worker.on('error', (e) => this.#die(`replica crashed: ${e.message}`));
    this.#worker.on('exit', (code) => this.#die(`replica exited with code ${code}`));
  }

  #awaitReady(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new PlatformError('Unavailable', 'replica did not start in time')), START_TIMEOUT_MS);
      this.#worker.once('message', (m: ReadyMessage) => {
        clearTimeout(timer);
        if (m.ready) {
          this.#worker.on('message', (r: ReplyBatch) => this.#settle(r));
          resolve();
        } else {
          reject(new PlatformError(m.error.code as ErrorCode, `the model could not be loaded: ${m.error.message}`, m.error.details));
        }
      });
      this.#worker.once('exit', (code) => {
        clearTimeout(timer);
        reject(new PlatformError('Unavailable', `replica exited with code ${code} while starting`));
      });
    });
  }

  get outstanding() {
    return this.#pending.size;
  }

  get alive() {
    return !this.#dead;
  }

  invoke(req: InvokeRequest): Promise<InvokeResult> {
    if (this.#dead) return Promise.reject(new PlatformError('Unavailable', 'replica is not running'));
    const id = this.#nextId++;
    const out = this.#outbox;
    out.ids.push(id);
    out.bodies.push(req.body);
    out.contentTypes.push(req.contentType);
    out.accepts.push(req.accept);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(this.#flush);
    }
    return new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject }));
  }

  /** Sends the outbox: one message and one transferred buffer for every request of this turn. */
  #flush = () => {
    this.#flushScheduled = false;
    const out = this.#outbox;
    if (this.#dead || out.ids.length === 0) return;
    out.ends.length = 0;
    const bytes = packBodies(out.bodies, out.ends);
    const batch: InvokeBatch = { ids: out.ids, ends: out.ends, contentTypes: out.contentTypes, accepts: out.accepts, bytes };
    this.#worker.postMessage(batch, [bytes]);
    // postMessage has cloned the arrays: they are reused for the next batch.
    clear(out);
  };

  #settle(r: ReplyBatch) {
    for (let i = 0; i < r.ids.length; i++) {
      const p = this.#pending.get(r.ids[i]);
      if (!p) continue;
      this.#pending.delete(r.ids[i]);
      const error = r.errors[i];
      if (error) p.reject(new PlatformError(error.code as ErrorCode, error.message, error.details));
      else p.resolve({ body: bodyAt(r.bytes, r.ends, i), contentType: r.contentTypes[i] });
    }
  }

  #die(reason: string) {
    if (this.#dead) return;
    this.#dead = true;
    for (const p of this.#pending.values()) p.reject(new PlatformError('Unavailable', reason));
    this.#pending.clear();
    clear(this.#outbox);
    this.onDeath(this, reason);
  }

  async drainAndStop(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#pending.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    this.#dead = true;
    await this.#worker.terminate();
    // Past the deadline: what is still waiting will never be answered (exit no longer reaches #die).
    for (const p of this.#pending.values()) p.reject(new PlatformError('Unavailable', 'replica stopped before it answered'));
    this.#pending.clear();
    clear(this.#outbox);
  }
}
