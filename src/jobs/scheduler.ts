import { failedPrecondition } from '../core/errors.js';

export interface Demand {
  cpus: number;
  memoryMiB: number;
}

interface Waiter {
  demand: Demand;
  grant: () => void;
  reject: (e: unknown) => void;
}

/**
 * Admits jobs by the CPUs and memory of their instance type, first come first served; the rest
 * wait in a queue. A demand bigger than the whole machine is scaled down to the machine, so an
 * `ml.m5.4xlarge` job still runs here (alone).
 */
export class Scheduler {
  #free: Demand;
  #queue: Waiter[] = [];

  constructor(private readonly capacity: Demand) {
    this.#free = { ...capacity };
  }

  /** Resolves with a release function once the demand fits; rejects if `signal` aborts first. */
  admit(requested: Demand, signal?: AbortSignal): Promise<() => void> {
    const demand = this.fit(requested);
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const waiter: Waiter = {
        demand,
        grant: () => resolve(this.#releaser(demand)),
        reject,
      };
      signal?.addEventListener('abort', () => this.#cancel(waiter, signal.reason), { once: true });
      this.#queue.push(waiter);
      this.#drain();
    });
  }

  /** What is free now, and how many jobs wait. */
  state() {
    return { free: { ...this.#free }, capacity: { ...this.capacity }, waiting: this.#queue.length };
  }

  fit(d: Demand): Demand {
    if (this.capacity.cpus <= 0) throw failedPrecondition('the executor has no CPUs to run jobs');
    return { cpus: Math.min(d.cpus, this.capacity.cpus), memoryMiB: Math.min(d.memoryMiB, this.capacity.memoryMiB) };
  }

  #drain() {
    while (this.#queue.length > 0) {
      const head = this.#queue[0];
      if (head.demand.cpus > this.#free.cpus || head.demand.memoryMiB > this.#free.memoryMiB) return;
      this.#queue.shift();
      this.#free.cpus -= head.demand.cpus;
      this.#free.memoryMiB -= head.demand.memoryMiB;
      head.grant();
    }
  }

  #releaser(d: Demand) {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#free.cpus += d.cpus;
      this.#free.memoryMiB += d.memoryMiB;
      this.#drain();
    };
  }

  #cancel(w: Waiter, reason: unknown) {
    const i = this.#queue.indexOf(w);
    if (i < 0) return;
    this.#queue.splice(i, 1);
    w.reject(reason);
    this.#drain();
  }
}
