import { hostname } from 'node:os';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { ClusterStore, NodeRecord } from './cluster-store.js';

/** The lease whose holder dispatches jobs and recovers orphans. */
export const DISPATCHER_LEASE = 'dispatcher';

export interface ClusterNodeOptions {
  /** Absent: a single node (SQLite, or no cluster store), always the leader. */
  store?: ClusterStore;
  clock: Clock;
  log: Logger;
  /** Names of the jobs this node runs now, published in its heartbeat. */
  jobs: () => string[];
  /** How often the node heartbeats and renews its lease. @defaultValue 1000 */
  tickMs?: number;
  /** How long a lease or heartbeat stays valid without renewal. @defaultValue 4000 */
  ttlMs?: number;
}

/** A node in the heartbeat table, as GET /cluster/nodes shows it. */
export interface LiveNode extends NodeRecord {
  leader: boolean;
  self: boolean;
}

/**
 * This API node's place among the nodes sharing one database: its id (host:port:pid), its
 * heartbeat, and whether it holds the dispatcher lease. Each tick renews both, then calls the
 * tick handler with the current role. Leadership is counted as lost one tick before the lease
 * expires, so an old leader stops dispatching before a new one can take the lease over.
 */
export class ClusterNode {
  #id = `${hostname()}:0:${process.pid}`;
  #url = '';
  readonly #startedAt: Date;
  #leaderUntil = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #onTick: ((leader: boolean) => Promise<void>) | undefined;
  /** The tick in progress; stop() waits for it so no heartbeat lands after the row is removed. */
  #current: Promise<void> = Promise.resolve();

  constructor(private readonly opts: ClusterNodeOptions) {
    this.#startedAt = opts.clock.now();
  }

  get id(): string {
    return this.#id;
  }

  /** True when several nodes may share the database (a cluster store is configured). */
  get clustered(): boolean {
    return this.opts.store !== undefined;
  }

  /** Whether this node dispatches jobs now. A single node always does. */
  get leader(): boolean {
    return !this.opts.store || this.opts.clock.now().getTime() < this.#leaderUntil;
  }

  get #ttl() {
    return this.opts.ttlMs ?? 4_000;
  }

  get #tick() {
    return this.opts.tickMs ?? 1_000;
  }

  /** Names the node by where it listens; call once the server listens, before join(). */
  identify(url: string): void {
    this.#url = url;
    const port = /:(\d+)\/?$/.exec(url)?.[1] ?? '0';
    this.#id = `${hostname()}:${port}:${process.pid}`;
  }

  /** Writes the first heartbeat and tries the lease once. */
  async join(): Promise<void> {
    await this.#beat();
  }

  /** Whether no other node has a fresh heartbeat (a cluster's first node recovers what a full stop left). */
  async alone(): Promise<boolean> {
    return (await this.nodes()).every((n) => n.self);
  }

  /** Nodes with a fresh heartbeat, the leader marked. */
  async nodes(): Promise<LiveNode[]> {
    return (await this.census()).live;
  }

  /**
   * One reading of the heartbeat table at one instant: live nodes (the leader marked) and the
   * rows of nodes whose heartbeat stopped (dead, or cut off). One reading, so no node is seen
   * both live and dead.
   */
  async census(): Promise<{ live: LiveNode[]; dead: NodeRecord[] }> {
    const store = this.opts.store;
    const now = this.opts.clock.now();
    if (!store) return { live: [{ id: this.#id, url: this.#url, startedAt: this.#startedAt, heartbeatAt: now, jobs: this.opts.jobs(), leader: true, self: true }], dead: [] };
    const [leader, rows] = await Promise.all([store.holder(DISPATCHER_LEASE, now.getTime()), store.nodes()]);
    const fresh = (n: NodeRecord) => now.getTime() - n.heartbeatAt.getTime() <= this.#ttl;
    return {
      live: rows.filter(fresh).map((n) => ({ ...n, leader: n.id === leader, self: n.id === this.#id })),
      dead: rows.filter((n) => !fresh(n)),
    };
  }

  /** Rows of nodes whose heartbeat stopped, for the leader to clean up. */
  async deadNodes(): Promise<NodeRecord[]> {
    return (await this.census()).dead;
  }

  removeNode(id: string): Promise<void> {
    return this.opts.store?.removeNode(id) ?? Promise.resolve();
  }

  /** Starts the heartbeat loop; `onTick` runs after each beat (never twice at once). */
  start(onTick: (leader: boolean) => Promise<void>): void {
    this.#onTick = onTick;
    const loop = async () => {
      if (this.#stopped) return;
      await this.#beat();
      if (this.#stopped) return;
      await this.#onTick?.(this.leader).catch((err: unknown) => this.opts.log.warn({ err }, 'cluster tick failed'));
      if (!this.#stopped) this.#timer = setTimeout(() => (this.#current = loop()), this.#tick);
    };
    this.#current = loop();
  }

  async #beat(): Promise<void> {
    const store = this.opts.store;
    if (!store) return;
    const started = this.opts.clock.now().getTime();
    const was = this.leader;
    try {
      await store.heartbeat({ id: this.#id, url: this.#url, startedAt: this.#startedAt, jobs: this.opts.jobs() }, started);
      if (await store.acquire(DISPATCHER_LEASE, this.#id, started, this.#ttl)) this.#leaderUntil = started + this.#ttl - this.#tick;
      else this.#leaderUntil = 0;
    } catch (err) {
      this.opts.log.warn({ err }, 'cluster heartbeat failed');
    }
    if (this.leader !== was) this.opts.log.info({ node: this.#id, leader: this.leader }, 'dispatcher role changed');
  }

  /** Stops the loop, gives the lease up and removes the heartbeat row (graceful shutdown). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#current;
    const store = this.opts.store;
    if (!store) return;
    this.#leaderUntil = 0;
    await store.release(DISPATCHER_LEASE, this.#id).catch(() => undefined);
    await store.removeNode(this.#id).catch(() => undefined);
  }
}
