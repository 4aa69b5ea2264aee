import { EventEmitter } from 'node:events';

/**
 * In-process events the platform emits for other parts (a pipeline or retraining policy) to
 * react to: `platform.events.on('monitoring.alarm', (e) => …)`. Listeners run synchronously in
 * the emitter's turn; a throwing listener is caught and logged by the emitter's owner, never
 * breaking the operation that emitted. Not persisted: the alarms table is the durable record.
 */
export interface PlatformEventMap {
  /** A dataset version was added (any upload, a pipeline's processing step included). */
  'dataset.version': { dataset: string; version: number; rows: number; uri: string };
  /** A monitoring run found violations (issue 7, item 4). */
  'monitoring.alarm': {
    schedule: string;
    endpoint: string;
    seq: number;
    at: Date;
    reportKey: string;
    violations: number;
    features: string[];
    kinds: string[];
  };
}

export class PlatformEvents {
  readonly #emitter = new EventEmitter();

  on<K extends keyof PlatformEventMap>(event: K, listener: (e: PlatformEventMap[K]) => void): () => void {
    this.#emitter.on(event, listener);
    return () => this.#emitter.off(event, listener);
  }

  off<K extends keyof PlatformEventMap>(event: K, listener: (e: PlatformEventMap[K]) => void): void {
    this.#emitter.off(event, listener);
  }

  /** Calls every listener; returns the errors listeners threw (they do not propagate). */
  emit<K extends keyof PlatformEventMap>(event: K, payload: PlatformEventMap[K]): unknown[] {
    const errors: unknown[] = [];
    for (const l of this.#emitter.listeners(event)) {
      try {
        (l as (e: PlatformEventMap[K]) => void)(payload);
      } catch (e) {
        errors.push(e);
      }
    }
    return errors;
  }
}
