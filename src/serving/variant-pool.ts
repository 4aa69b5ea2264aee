import type { Logger } from '../core/logger.js';
import { PlatformError } from '../core/errors.js';
import type { InvokeRequest, InvokeResult, ModelRuntime, Replica } from './runtimes/runtime.js';

/**
 * The replicas of one production variant, whatever their runtime; a replica that dies is
 * replaced. Only replicas that became ready (model loaded, `/ping` 200) take traffic.
 */
export class VariantPool {
  #replicas: Replica[] = [];
  #routable: Replica[] = [];
  #next = 0;
  #stopping = false;
  /** Dead replicas still ending (a worker thread inside a model run); stop() waits for them. */
  #ending = new Set<Promise<void>>();
  invocations = 0;
  errors = 0;
  /** Request time summed over requests, in ms: the autoscaler's busy share (a CPU proxy for single-threaded replicas). */
  busyMs = 0;

  constructor(
    readonly name: string,
    readonly model: string,
    private readonly runtime: ModelRuntime,
    private readonly log: Logger,
  ) {}

  get instanceCount() {
    return this.#replicas.length;
  }

  /** Starts `count` replicas and resolves once all can take traffic. */
  async start(count: number): Promise<void> {
    await Promise.all(Array.from({ length: count }, () => this.#spawn()));
  }

  #spawn(): Promise<void> {
    const replica = this.runtime.startReplica((r, reason) => this.#onDeath(r, reason));
    this.#replicas.push(replica);
    return replica.ready.then(
      () => {
        if (replica.alive && !this.#stopping) this.#routable.push(replica);
      },
      (e: unknown) => {
        this.#remove(replica);
        throw e;
      },
    );
  }

  #onDeath(replica: Replica, reason: string) {
    const wasRoutable = this.#routable.includes(replica);
    this.#remove(replica);
    const ended: Promise<void> = replica.drainAndStop().catch(() => undefined).finally(() => this.#ending.delete(ended));
    this.#ending.add(ended);
    if (this.#stopping || !wasRoutable) return;
    this.log.warn({ variant: this.name, reason }, 'replica died; starting a replacement');
    this.#spawn().catch((e: unknown) => this.log.error({ err: e, variant: this.name }, 'replacement replica failed to start'));
  }

  #remove(replica: Replica) {
    this.#replicas = this.#replicas.filter((r) => r !== replica);
    this.#routable = this.#routable.filter((r) => r !== replica);
  }

  /** Least outstanding requests first; round robin among equals. */
  #pick(): Replica | undefined {
    const n = this.#routable.length;
    let best: Replica | undefined;
    for (let i = 0; i < n; i++) {
      const r = this.#routable[(this.#next + i) % n];
      if (!best || r.outstanding < best.outstanding) best = r;
    }
    this.#next = (this.#next + 1) % Math.max(1, n);
    return best;
  }

  /** Sends the request to a replica; retries once on another if the first died under it. */
  async invoke(req: InvokeRequest): Promise<InvokeResult> {
    const trace = req.trace;
    if (trace) trace.variant = this.name;
    this.invocations++;
    const t0 = performance.now();
    try {
      return await this.#attempt(req);
    } finally {
      const ms = performance.now() - t0;
      this.busyMs += ms;
      if (trace) trace.modelMs = ms;
    }
  }

  async #attempt(req: InvokeRequest): Promise<InvokeResult> {
    for (let attempt = 0; ; attempt++) {
      const replica = this.#pick();
      if (!replica) throw new PlatformError('Unavailable', `variant '${this.name}' has no running replica; try again shortly`);
      try {
        return await replica.invoke(req);
      } catch (e) {
        const replicaGone = e instanceof PlatformError && e.code === 'Unavailable' && !replica.alive;
        if (replicaGone && attempt === 0) continue;
        this.errors++;
        throw this.#named(e);
      }
    }
  }

  /** A model's failure names the variant and model that failed, as SageMaker's ModelError does. */
  #named(e: unknown): unknown {
    if (!(e instanceof PlatformError) || (e.code !== 'ModelError' && e.code !== 'ModelTimeout')) return e;
    return new PlatformError(e.code, `variant '${this.name}' (model '${this.model}'): ${e.message}`, { ...e.details, variant: this.name, model: this.model });
  }

  /** Grows or shrinks to `count` replicas; removed ones finish their requests first. */
  async scale(count: number): Promise<void> {
    while (this.#replicas.length < count) await this.#spawn();
    const extra = this.#replicas.slice(count);
    for (const r of extra) this.#remove(r);
    await Promise.all(extra.map((r) => r.drainAndStop()));
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    const all = this.#replicas;
    this.#replicas = [];
    this.#routable = [];
    await Promise.all([...all.map((r) => r.drainAndStop()), ...this.#ending]);
  }
}
