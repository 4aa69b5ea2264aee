import { systemClock, type Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { ArtifactStore } from './artifact-store.js';

const HOUR_MS = 60 * 60 * 1000;

export interface OrphanSweeperOptions {
  artifacts: ArtifactStore;
  /**
   * Wall-clock time, as file mtimes and S3 initiation times are; not the platform's injected
   * clock, which tests may move far from them. @defaultValue the system clock
   */
  clock?: Clock;
  log: Logger;
  /** How often a sweep runs. @defaultValue 1 hour */
  intervalMs?: number;
  /** Orphans older than this are removed; younger ones may still be a live, slow write. @defaultValue 24 hours */
  maxAgeMs?: number;
}

/**
 * Sweeps the artifact store's orphaned writes (temp files, incomplete multipart uploads) at most
 * once per interval. A single node starts its own timer ({@link start}); in cluster mode the
 * leader's tick calls {@link runIfDue}, so one node sweeps the shared store.
 */
export class OrphanSweeper {
  readonly #opts: Required<OrphanSweeperOptions>;
  #lastRun = Number.NEGATIVE_INFINITY;
  #running: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #warnedSkip = false;

  constructor(opts: OrphanSweeperOptions) {
    this.#opts = { clock: systemClock, intervalMs: HOUR_MS, maxAgeMs: 24 * HOUR_MS, ...opts };
  }

  /** Sweeps now, then every interval, until {@link close}. */
  start(): void {
    this.runIfDue();
    this.#timer = setInterval(() => this.runIfDue(), this.#opts.intervalMs);
    this.#timer.unref();
  }

  /** Starts a sweep in the background unless one ran within the interval or is still running. */
  runIfDue(): void {
    const { artifacts, clock, intervalMs } = this.#opts;
    const now = clock.now().getTime();
    if (!artifacts.sweepOrphans || this.#running || now - this.#lastRun < intervalMs) return;
    this.#lastRun = now;
    this.#running = this.sweep().finally(() => {
      this.#running = undefined;
    });
  }

  /** One sweep; failures are logged, not thrown (the next interval retries). */
  async sweep(): Promise<void> {
    const { artifacts, clock, log, maxAgeMs } = this.#opts;
    const olderThan = new Date(clock.now().getTime() - maxAgeMs);
    try {
      const { removed, skipped } = (await artifacts.sweepOrphans?.(olderThan)) ?? { removed: [] };
      if (skipped && !this.#warnedSkip) log.warn({ store: artifacts.rootUri, reason: skipped }, 'cannot sweep orphaned artifact writes; skipping');
      this.#warnedSkip ||= skipped !== undefined;
      if (removed.length > 0) {
        log.info({ store: artifacts.rootUri, olderThan, removed: removed.map((o) => o.name) }, `removed ${removed.length} orphaned artifact write(s)`);
      }
    } catch (err) {
      log.warn({ err, store: artifacts.rootUri }, 'sweeping orphaned artifact writes failed');
    }
  }

  /** Stops the timer and waits for a sweep in progress. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
