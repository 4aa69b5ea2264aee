import type { Logger } from '../core/logger.js';
import { JOB_KINDS, type JobKind } from './leader-duties.js';

/** The channel stop requests travel on; the payload is `<kind>:<name>`. */
export const JOB_STOP_CHANNEL = 'stratus_job_stops';

/** What a job service uses to reach the node that runs one of its jobs. */
export interface StopRelay {
  /** Tells every node that `name` was set Stopping in the store; the node running it stops it. */
  announce(name: string): Promise<void>;
}

/** A job service's side of a stop requested through another node. */
export interface Stoppable {
  /** Stops the job if it runs here (its status is already Stopping in the store). */
  stopLocal(name: string): void;
  /** Stops the local jobs whose stored status is Stopping: the fallback for a lost notification. */
  applyStoredStops(): Promise<void>;
}

interface Feed {
  publish(channel: string, payload: string): Promise<void>;
  listen(channel: string, onMessage: (payload: string) => void): Promise<void>;
}

/**
 * Stopping a job through any node (docs/cluster.md): the node that takes the request writes
 * Stopping in the store (only while the job is InProgress) and announces it with PostgreSQL
 * NOTIFY; the node running the job stops it as a local stop would. Each node also looks for
 * Stopping jobs among its own on every cluster tick, so a notification lost while its LISTEN
 * connection reconnected delays a stop by a second at most.
 */
export class JobStops {
  #services: Partial<Record<JobKind, Stoppable>> = {};

  constructor(
    private readonly feed: Feed,
    private readonly log: Logger,
  ) {}

  relay(kind: JobKind): StopRelay {
    return {
      announce: (name) =>
        this.feed.publish(JOB_STOP_CHANNEL, `${kind}:${name}`).catch((err: unknown) => this.log.warn({ err, kind, job: name }, 'could not announce a stop request; the running node sees it within a second')),
    };
  }

  /** Delivers announced stops to `services` (built after their relays, hence not in the constructor). */
  async listen(services: Partial<Record<JobKind, Stoppable>>): Promise<void> {
    this.#services = services;
    await this.feed.listen(JOB_STOP_CHANNEL, (payload) => {
      const cut = payload.indexOf(':');
      const kind = payload.slice(0, cut) as JobKind;
      if (cut > 0 && JOB_KINDS.includes(kind)) this.#services[kind]?.stopLocal(payload.slice(cut + 1));
    });
  }

  /** The polling fallback, once per cluster tick. */
  async poll(): Promise<void> {
    for (const kind of JOB_KINDS) {
      await this.#services[kind]?.applyStoredStops().catch((err: unknown) => this.log.warn({ err, kind }, 'checking stored stop requests failed'));
    }
  }
}
