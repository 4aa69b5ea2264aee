import { PlatformError } from '../core/errors.js';
import type { InvokeRequest, InvokeResult } from './runtimes/runtime.js';
import { pickVariant } from './router.js';
import type { VariantPool } from './variant-pool.js';

/** The variants serving one endpoint config, with their live traffic weights. */
export class Fleet {
  #weights: number[];

  constructor(readonly pools: VariantPool[], weights: number[]) {
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
  async invoke(req: InvokeRequest, target?: string): Promise<InvokeResult & { variant: string }> {
    const pool = target ? this.pool(target) : this.pools[pickVariant(this.#weights, Math.random())];
    if (!pool) throw new PlatformError('Unavailable', 'every variant of this endpoint has weight 0; give one a weight above 0');
    const result = await pool.invoke(req);
    return { body: result.body, contentType: result.contentType, variant: pool.name };
  }

  async stop() {
    await Promise.all(this.pools.map((p) => p.stop()));
  }
}
