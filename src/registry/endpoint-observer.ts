/**
 * The deployment hook of the registry, without touching the serving layer: the endpoint service
 * is given a view of the store whose endpoint repository reports, after each successful write,
 * when an endpoint is InService on a config (create done, blue/green hand-over done) and when it
 * is deleted. These are exactly the moments the serving layer itself records, so the log is as
 * true as the endpoint's own status. Recording never fails the endpoint's write: errors are logged.
 */
import type { Logger } from '../core/logger.js';
import type { EndpointRepository, MetadataStore } from '../store/metadata-store.js';

export interface EndpointServingListener {
  recordServing(endpoint: string, config: string, at: Date): Promise<void>;
  recordGone(endpoint: string, at: Date): Promise<void>;
}

/** A MetadataStore like `store` whose `endpoints` repository tells `listener` what endpoints serve. */
export function observeEndpointServing(store: MetadataStore, listener: EndpointServingListener, log: Logger): MetadataStore {
  const inner = store.endpoints;
  // Per endpoint, so records of one endpoint are written in the order of its writes.
  const chains = new Map<string, Promise<void>>();
  const after = (name: string, fn: () => Promise<void>) => {
    const next = (chains.get(name) ?? Promise.resolve()).then(fn).catch((e: unknown) => log.warn({ err: e, endpoint: name }, 'could not record endpoint deployment'));
    chains.set(name, next);
    return next;
  };
  const endpoints: EndpointRepository = {
    create: (r) => inner.create(r),
    find: (name) => inner.find(name),
    get: (name) => inner.get(name),
    list: (q) => inner.list(q),
    listAll: () => inner.listAll(),
    async update(name, patch, at) {
      const r = await inner.update(name, patch, at);
      if (r.status === 'InService') await after(name, () => listener.recordServing(name, r.configName, at));
      return r;
    },
    async delete(name) {
      await inner.delete(name);
      await after(name, () => listener.recordGone(name, new Date()));
    },
  };
  // The store's repositories are own properties; its methods live on the prototype (and use private fields), so bind them.
  return {
    ...(store as unknown as Record<string, unknown>),
    endpoints,
    dialect: store.dialect,
    transaction: store.transaction.bind(store),
    close: store.close.bind(store),
  } as unknown as MetadataStore;
}
