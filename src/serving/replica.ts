import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PlatformError, type ErrorCode } from '../core/errors.js';
import { bodyAt, epochMs, packBodies, ReplicaState, type InvokeBatch, type ReadyMessage, type ReplicaWorkerData, type ReplyBatch, type WorkerModel } from './replica-protocol.js';
import { inspectReplica, type Watched } from './replica-watchdog.js';
import type { InvokeRequest, InvokeResult, OnReplicaDeath, Replica } from './runtimes/runtime.js';

export type { InvokeRequest, InvokeResult } from './runtimes/runtime.js';

const BOOTSTRAP = fileURLToPath(new URL('../core/tsx-bootstrap.mjs', import.meta.url));
const ENTRY = fileURLToPath(new URL('./replica-worker.ts', import.meta.url));
const START_TIMEOUT_MS = 60_000;

interface Pending extends Watched {
  resolve: (r: InvokeResult) => void;
  reject: (e: unknown) => void;
}

export interface WorkerReplicaOptions {
  /** Per-request limit (config `invocationTimeoutMs`); see replica-watchdog.ts. */
  invocationTimeoutMs: number;
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
 *
 * The invocation timeout (replica-watchdog.ts): a prediction cannot be interrupted inside the
 * thread (built-in predictors are synchronous loops; an ONNX run blocks the thread until ONNX
 * Runtime returns), so a worker that finished nothing for the whole timeout is stuck. The request
 * it is stuck on gets ModelTimeout, the worker is terminated, and the replica dies as a crashed
 * one does: its other requests fail Unavailable, which the pool sends once to another replica (a
 * built-in or ONNX prediction has no side effects, so running one again is safe, even one whose
 * answer was ready), and the pool starts a replacement. One timer per replica, nothing per request.
 *
 * Ending a worker: `terminate()` stops JavaScript at once, but a worker terminated inside an ONNX
 * Runtime call aborts the whole process when the call returns. So an ONNX worker is retired
 * instead (`ReplicaState`): it exits by itself as soon as the run returns, answering nothing more,
 * and keeps its core until then.
 */
export class WorkerReplica implements Replica {
  #worker: Worker;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #dead = false;
  readonly #outbox: Outbox = { ids: [], bodies: [], contentTypes: [], accepts: [], ends: [] };
  #flushScheduled = false;
  /** Fires at the next deadline or stuck check; unset while nothing is pending. */
  #watchdog: NodeJS.Timeout | undefined;
  readonly #state = new ReplicaState();
  /** Whether `terminate()` is safe at any time (a JavaScript model), else the worker is retired. */
  readonly #terminable: boolean;
  readonly #exited: Promise<void>;
  readonly ready: Promise<void>;

  constructor(
    model: WorkerModel,
    private readonly onDeath: OnReplicaDeath,
    private readonly options: WorkerReplicaOptions,
  ) {
    const workerData: ReplicaWorkerData = { ...model, entry: ENTRY, shared: this.#state.buffer };
    this.#terminable = model.runtime === 'builtin';
    this.#worker = new Worker(BOOTSTRAP, { workerData });
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
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
    const sentAt = epochMs();
    // A timer already set fires before this request's deadline.
    if (this.#watchdog === undefined) this.#watch(this.options.invocationTimeoutMs);
    return new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject, sentAt, abandoned: false }));
  }

  #watch(ms: number) {
    this.#watchdog = setTimeout(this.#check, Math.max(1, Math.ceil(ms)));
    this.#watchdog.unref();
  }

  #check = () => {
    this.#watchdog = undefined;
    if (this.#dead) return;
    const verdict = inspectReplica(this.#pending, this.#state, epochMs(), this.options.invocationTimeoutMs);
    if (verdict.stuck !== undefined) {
      this.#stopStuck(verdict.stuck);
      return;
    }
    for (const id of verdict.abandon) this.#abandon(id);
    if (verdict.nextCheckAt !== undefined) this.#watch(verdict.nextCheckAt - epochMs());
  };

  /** Answers ModelTimeout; the request stays counted as the worker's until it finishes. */
  #abandon(id: number) {
    const p = this.#pending.get(id);
    if (!p || p.abandoned) return;
    p.abandoned = true;
    const ms = this.options.invocationTimeoutMs;
    p.reject(new PlatformError('ModelTimeout', `the model did not answer within ${ms / 1000} s`, { timeoutMs: ms }));
  }

  #stopStuck(id: number) {
    this.#abandon(id);
    this.#die(`a request ran past the ${this.options.invocationTimeoutMs / 1000} s invocation timeout; the replica was stopped as stuck`);
    this.#endWorker();
  }

  /** Terminates a JavaScript model's worker; asks an ONNX one to exit (it does once its run, if any, returns). */
  #endWorker() {
    this.#state.retire();
    if (this.#terminable) void this.#worker.terminate();
    else this.#worker.postMessage(null);
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
      if (p.abandoned) continue;
      const error = r.errors[i];
      if (error) p.reject(new PlatformError(error.code as ErrorCode, error.message, error.details));
      else p.resolve({ body: bodyAt(r.bytes, r.ends, i), contentType: r.contentTypes[i] });
    }
  }

  #die(reason: string) {
    if (this.#dead) return;
    this.#dead = true;
    clearTimeout(this.#watchdog);
    for (const p of this.#pending.values()) if (!p.abandoned) p.reject(new PlatformError('Unavailable', `${reason}; this request was not answered, send it again`));
    this.#pending.clear();
    clear(this.#outbox);
    this.onDeath(this, reason);
  }

  /**
   * Waits for the requests in flight (up to `timeoutMs`), then ends the worker; a stuck ONNX worker
   * gets up to `timeoutMs` more to come back from its run, and is left to exit on its own after that.
   */
  async drainAndStop(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#pending.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    this.#dead = true;
    clearTimeout(this.#watchdog);
    this.#endWorker();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#exited, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    // What is still waiting will never be answered (exit no longer reaches #die).
    for (const p of this.#pending.values()) if (!p.abandoned) p.reject(new PlatformError('Unavailable', 'replica stopped before it answered'));
    this.#pending.clear();
    clear(this.#outbox);
  }
}
