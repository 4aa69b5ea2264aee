import { PlatformError } from '../core/errors.js';
import { FleetObservers } from './observers.js';
import type { InvocationTrace, InvokeRequest, InvokeResult } from './runtimes/runtime.js';
import { pickVariant } from './router.js';
import type { VariantPool } from './variant-pool.js';

/** A trace that also names the fleet that took the request: during an update, blue or green. */
export interface FleetTrace extends InvocationTrace {
  fleet?: Fleet;
}

export type FleetRequest = InvokeRequest & { trace?: FleetTrace };

/**
 * The variants serving one endpoint config, with their live traffic weights, and the config's
 * shadow variants and data capture (which watch what this fleet answers).
 */
export class Fleet {
  #weights: number[];

  constructor(
    readonly pools: VariantPool[],
    weights: number[],
    readonly observers: FleetObservers = FleetObservers.NONE,
  ) {
    this.#weights = [...weights];
  }

  weightOf(variant: string): number {
    return this.#weights[this.#index(variant)];
  }

  setWeight(variant: string, weight: number) {
    this.#weights[this.#index(variant)] = weight;
  }

  pool(variant: string): VariantPool {
    return this.pools[this.#index(variant)];
  }

  #index(variant: string) {
    const i = this.pools.findIndex((p) => p.name === variant);
    if (i < 0) throw new PlatformError('ValidationError', `no variant named '${variant}'; variants: ${this.pools.map((p) => p.name).join(', ')}`, { variant });
    return i;
  }

  /** Routes by weight, or to `target` when the caller names a variant. */
  async invoke(req: FleetRequest, target?: string): Promise<InvokeResult & { variant: string }> {
    const pool = target ? this.pool(target) : this.pools[pickVariant(this.#weights, Math.random())];
    if (!pool) throw new PlatformError('Unavailable', 'every variant of this endpoint has weight 0; give one a weight above 0');
    if (req.trace) req.trace.fleet = this;
    const result = await pool.invoke(req);
    return { body: result.body, contentType: result.contentType, variant: pool.name };
  }

  /** Stops the replicas once their requests are answered, then the shadows and capture. */
  async stop() {
    await Promise.all(this.pools.map((p) => p.stop()));
    await this.observers.stop();
  }
}
