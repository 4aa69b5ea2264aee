/** The worker side of replica-protocol.ts: answers a replica's request batches, batch by batch. */
import { isPlatformError } from '../core/errors.js';
import { bodyAt, packBodies, type InvokeBatch, type ReplicaError, type ReplicaState, type ReplyBatch } from './replica-protocol.js';

export interface ModelAnswer {
  body: string;
  contentType: string;
}

export interface WorkerRequest {
  body: string;
  contentType: string | undefined;
  accept: string | undefined;
}

/** A loaded model: turns one request into a response body (synchronously when it can). */
export interface WorkerModelHandler {
  answer(body: string, contentType: string | undefined, accept: string | undefined): ModelAnswer | Promise<ModelAnswer>;
  /**
   * Answers a batch's requests together (one model run for several): one entry per request, in
   * order, each settling when that request is answered or fails (a failure is that request's alone).
   */
  answerBatch?(requests: WorkerRequest[]): Array<Promise<ModelAnswer>>;
}

export function toReplicaError(e: unknown): ReplicaError {
  if (isPlatformError(e)) return { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) };
  return { code: 'ModelError', message: `the model failed: ${e instanceof Error ? e.message : String(e)}` };
}

/** Where reply batches go: the worker's parent port. */
export interface ReplyPort {
  postMessage(message: ReplyBatch, transfer: ArrayBuffer[]): void;
}

/**
 * Answers the worker's batches: each request gets its own answer or error (the handler may run a
 * batch's requests together, `answerBatch`), and the answers ready in one turn of the event loop
 * leave in one reply batch.
 */
export class BatchAnswerer {
  #ids: number[] = [];
  #bodies: string[] = [];
  #contentTypes: string[] = [];
  #errors: Array<ReplicaError | null> = [];
  #scheduled = false;

  constructor(
    private readonly port: ReplyPort,
    private readonly handler: WorkerModelHandler,
    /** Shared with the server: each finished request is marked there, and a retired worker calls `exit`. */
    private readonly shared?: { state: ReplicaState; exit: () => void },
  ) {}

  answerAll(b: InvokeBatch | null) {
    if (this.shared?.state.retired) return this.shared.exit();
    if (!b) return;
    if (b.ids.length > 1 && this.handler.answerBatch) return this.#answerTogether(b);
    for (let i = 0; i < b.ids.length; i++) this.#answer(b.ids[i], bodyAt(b.bytes, b.ends, i).toString('utf8'), b.contentTypes[i], b.accepts[i]);
  }

  #answer(id: number, body: string, contentType: string | undefined, accept: string | undefined) {
    let out: ReturnType<WorkerModelHandler['answer']>;
    try {
      out = this.handler.answer(body, contentType, accept);
    } catch (e) {
      this.#push(id, '', '', toReplicaError(e));
      return;
    }
    this.#settle(id, out);
  }

  #answerTogether(b: InvokeBatch) {
    const requests: WorkerRequest[] = b.ids.map((_, i) => ({ body: bodyAt(b.bytes, b.ends, i).toString('utf8'), contentType: b.contentTypes[i], accept: b.accepts[i] }));
    const outs = this.handler.answerBatch!(requests);
    for (let i = 0; i < b.ids.length; i++) this.#settle(b.ids[i], outs[i]);
  }

  #settle(id: number, out: ModelAnswer | Promise<ModelAnswer>) {
    if (out instanceof Promise) {
      out.then(
        (r) => this.#push(id, r.body, r.contentType, null),
        (e: unknown) => this.#push(id, '', '', toReplicaError(e)),
      );
    } else {
      this.#push(id, out.body, out.contentType, null);
    }
  }

  #push(id: number, body: string, contentType: string, error: ReplicaError | null) {
    if (this.shared) {
      this.shared.state.finished(id);
      // Back from a run the server gave up on (replica.ts): nothing more is answered.
      if (this.shared.state.retired) return this.shared.exit();
    }
    this.#ids.push(id);
    this.#bodies.push(body);
    this.#contentTypes.push(contentType);
    this.#errors.push(error);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
  }

  #flush = () => {
    this.#scheduled = false;
    const ends: number[] = [];
    const bytes = packBodies(this.#bodies, ends);
    const batch: ReplyBatch = { ids: this.#ids, ends, contentTypes: this.#contentTypes, errors: this.#errors, bytes };
    this.port.postMessage(batch, [bytes]);
    // postMessage has cloned the arrays: they are reused for the next batch.
    this.#ids.length = this.#bodies.length = this.#contentTypes.length = this.#errors.length = 0;
  };
}

