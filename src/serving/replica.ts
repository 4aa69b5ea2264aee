import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PlatformError, type ErrorCode } from '../core/errors.js';
import type { InvokeMessage, ReadyMessage, ReplicaWorkerData, ReplyMessage, WorkerModel } from './replica-protocol.js';
import type { InvokeRequest, InvokeResult, OnReplicaDeath, Replica } from './runtimes/runtime.js';

export type { InvokeRequest, InvokeResult } from './runtimes/runtime.js';

const BOOTSTRAP = fileURLToPath(new URL('../core/tsx-bootstrap.mjs', import.meta.url));
const ENTRY = fileURLToPath(new URL('./replica-worker.ts', import.meta.url));
const START_TIMEOUT_MS = 60_000;

interface Pending {
  resolve: (r: InvokeResult) => void;
  reject: (e: unknown) => void;
}

/** One replica of a variant: a worker thread holding the loaded model (built-in or ONNX). */
export class WorkerReplica implements Replica {
  #worker: Worker;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #dead = false;
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
          this.#worker.on('message', (r: ReplyMessage) => this.#settle(r));
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
    const body = typeof req.body === 'string' ? req.body : req.body.toString('utf8');
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, body, contentType: req.contentType, accept: req.accept } satisfies InvokeMessage);
    });
  }

  #settle(r: ReplyMessage) {
    const p = this.#pending.get(r.id);
    if (!p) return;
    this.#pending.delete(r.id);
    if (r.ok) p.resolve({ body: r.body, contentType: r.contentType });
    else p.reject(new PlatformError(r.error.code as ErrorCode, r.error.message, r.error.details));
  }

  #die(reason: string) {
    if (this.#dead) return;
    this.#dead = true;
    for (const p of this.#pending.values()) p.reject(new PlatformError('Unavailable', reason));
    this.#pending.clear();
    this.onDeath(this, reason);
  }

  async drainAndStop(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#pending.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    this.#dead = true;
    await this.#worker.terminate();
  }
}
