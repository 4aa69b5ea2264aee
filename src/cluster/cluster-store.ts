/** One API node as its heartbeat row shows it. */
export interface NodeRecord {
  id: string;
  url: string;
  startedAt: Date;
  heartbeatAt: Date;
  /** Names of the training jobs the node runs (so the leader never takes them for orphans). */
  jobs: string[];
}

/**
 * What several API nodes share beside the metadata store: named leases, heartbeats and a
 * change feed. Narrow on purpose; the PostgreSQL implementation is pg-cluster-store.ts.
 */
export interface ClusterStore {
  /**
   * Takes or renews `lease` for `holder` until `nowMs + ttlMs`. Succeeds when the lease is free,
   * expired, or already `holder`'s; resolves false when another holder's lease is still valid.
   */
  acquire(lease: string, holder: string, nowMs: number, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `holder` has it (graceful shutdown: the next node need not wait). */
  release(lease: string, holder: string): Promise<void>;
  /** The holder of an unexpired lease. */
  holder(lease: string, nowMs: number): Promise<string | undefined>;
  heartbeat(node: Omit<NodeRecord, 'heartbeatAt'>, nowMs: number): Promise<void>;
  nodes(): Promise<NodeRecord[]>;
  removeNode(id: string): Promise<void>;
  /** Sends `payload` to every node listening on `channel` (this one included). */
  publish(channel: string, payload: string): Promise<void>;
  /** Calls `onMessage` for each payload on `channel`; keeps listening across reconnects. */
  listen(channel: string, onMessage: (payload: string) => void): Promise<void>;
  close(): Promise<void>;
}
