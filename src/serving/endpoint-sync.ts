/**
 * Several API nodes (issue 9, item 4): every node runs replicas for every endpoint, so any node
 * answers invocations. The node that takes an endpoint call runs it as always (status writes,
 * rollouts, alarms); every stored change to an endpoint is then announced on a change feed
 * (PostgreSQL NOTIFY on `stratus_endpoints`), and each node's EndpointSync makes its own
 * replicas match the stored endpoint without writing anything (EndpointService.syncLocal). A
 * periodic reconcile over the endpoints' updated_at covers notifications lost while a node's
 * LISTEN connection was down.
 */
import type { Logger } from '../core/logger.js';
import type { EndpointRepository, MetadataStore } from '../store/metadata-store.js';
import type { EndpointService } from './endpoint-service.js';

/** The channel endpoint changes are announced on; the payload is the endpoint's name. */
export const ENDPOINT_CHANNEL = 'stratus_endpoints';

/** Announces and delivers endpoint changes between nodes (ClusterStore's publish/listen). */
export interface EndpointChangeFeed {
  publish(channel: string, payload: string): Promise<void>;
  listen(channel: string, onMessage: (payload: string) => void): Promise<void>;
}

/**
 * A MetadataStore like `store` whose endpoint writes are announced on `feed` once stored. An
 * announcement that fails is logged, never the write's failure: the reconcile catches it up.
 */
export function announceEndpointChanges(store: MetadataStore, feed: EndpointChangeFeed, log: Logger): MetadataStore {
  const inner = store.endpoints;
  const announce = (name: string) =>
    feed.publish(ENDPOINT_CHANNEL, name).catch((err: unknown) => log.warn({ err, endpoint: name }, 'could not announce an endpoint change'));
  const endpoints: EndpointRepository = {
    find: (name) => inner.find(name),
    get: (name) => inner.get(name),
    list: (q) => inner.list(q),
    listAll: () => inner.listAll(),
    async create(r) {
      const record = await inner.create(r);
      await announce(r.name);
      return record;
    },
    async update(name, patch, at) {
      const record = await inner.update(name, patch, at);
      await announce(name);
      return record;
    },
    async delete(name) {
      await inner.delete(name);
      await announce(name);
    },
  };
  // Same wrapping as registry/endpoint-observer.ts: repositories are own properties, methods are bound.
  return {
    ...(store as unknown as Record<string, unknown>),
    endpoints,
    dialect: store.dialect,
    transaction: store.transaction.bind(store),
    close: store.close.bind(store),
  } as unknown as MetadataStore;
}

export interface EndpointSyncDeps {
  store: MetadataStore;
  endpoints: Pick<EndpointService, 'syncLocal' | 'localNames'>;
  feed: EndpointChangeFeed;
  log: Logger;
  /** How often every endpoint is compared with the local replicas. @defaultValue 3000 */
  reconcileMs?: number;
}

/** Keeps this node's replicas in line with the stored endpoints: on each announcement, and periodically. */
export class EndpointSync {
  /** updated_at (ms) of each endpoint as last applied here. */
  #seen = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #reconciling: Promise<void> | undefined;
  #stopped = false;

  constructor(private readonly deps: EndpointSyncDeps) {}

  /** Subscribes, reconciles once (deploys every endpoint here), then reconciles periodically. */
  async start(): Promise<void> {
    await this.deps.feed.listen(ENDPOINT_CHANNEL, (name) => {
      if (!this.#stopped) void this.deps.endpoints.syncLocal(name);
    });
    await this.reconcile();
    const loop = () => {
      this.#timer = setTimeout(() => {
        void this.reconcile().finally(() => !this.#stopped && loop());
      }, this.deps.reconcileMs ?? 3_000);
    };
    loop();
  }

  /** Applies every endpoint changed since it was last seen, and removes replicas of deleted ones. */
  reconcile(): Promise<void> {
    this.#reconciling ??= this.#reconcile()
      .catch((err: unknown) => this.deps.log.warn({ err }, 'endpoint reconcile failed'))
      .finally(() => (this.#reconciling = undefined));
    return this.#reconciling;
  }

  async #reconcile(): Promise<void> {
    const stored = await this.deps.store.endpoints.listAll();
    const local = new Set(this.deps.endpoints.localNames());
    const names = new Set<string>();
    const work: Promise<void>[] = [];
    for (const e of stored) {
      names.add(e.name);
      const at = e.updatedAt.getTime();
      const missing = e.status === 'InService' && !local.has(e.name);
      if (this.#seen.get(e.name) === at && !missing) continue;
      this.#seen.set(e.name, at);
      work.push(this.deps.endpoints.syncLocal(e.name));
    }
    for (const name of local) if (!names.has(name)) work.push(this.deps.endpoints.syncLocal(name));
    for (const name of this.#seen.keys()) if (!names.has(name)) this.#seen.delete(name);
    await Promise.all(work);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#reconciling;
  }
}
