import pg from 'pg';
import type { Logger } from '../core/logger.js';
import { parsePostgresUrl } from '../store/open-store.js';
import type { ClusterStore, NodeRecord } from './cluster-store.js';

const PG_INT8 = 20;
/** How long a lost LISTEN connection waits before connecting again. */
const RECONNECT_MS = 1_000;

/**
 * The ClusterStore on the metadata store's PostgreSQL database (tables of migration 0007). It
 * opens its own small pool and one dedicated LISTEN connection, so the store's pool is never
 * held by a listener. Notifications are database-wide, so payloads carry the schema and
 * listeners ignore other schemas' (test runs share one database).
 */
export class PgClusterStore implements ClusterStore {
  readonly #pool: pg.Pool;
  readonly #config: pg.ClientConfig;
  readonly #scope: string;
  readonly #log: Logger | undefined;
  #listener: pg.Client | undefined;
  #channels = new Map<string, (payload: string) => void>();
  #closed = false;
  #reconnect: NodeJS.Timeout | undefined;

  constructor(url: string, log?: Logger) {
    const { connectionString, schema, options } = parsePostgresUrl(url);
    const types = new pg.TypeOverrides();
    types.setTypeParser(PG_INT8, Number);
    this.#config = { connectionString, options, types };
    this.#pool = new pg.Pool({ ...this.#config, max: 2 });
    this.#pool.on('error', (err) => log?.warn({ err }, 'idle postgres connection of the cluster store failed'));
    this.#scope = schema ?? '';
    this.#log = log;
  }

  async acquire(lease: string, holder: string, nowMs: number, ttlMs: number): Promise<boolean> {
    const { rows } = await this.#pool.query(
      `insert into leases (name, holder, expires_at) values ($1, $2, $3)
       on conflict (name) do update set holder = excluded.holder, expires_at = excluded.expires_at
       where leases.holder = excluded.holder or leases.expires_at < $4
       returning holder`,
      [lease, holder, nowMs + ttlMs, nowMs],
    );
    return rows.length === 1;
  }

  async release(lease: string, holder: string): Promise<void> {
    await this.#pool.query('delete from leases where name = $1 and holder = $2', [lease, holder]);
  }

  async holder(lease: string, nowMs: number): Promise<string | undefined> {
    const { rows } = await this.#pool.query<{ holder: string }>('select holder from leases where name = $1 and expires_at >= $2', [lease, nowMs]);
    return rows[0]?.holder;
  }

  async heartbeat(node: Omit<NodeRecord, 'heartbeatAt'>, nowMs: number): Promise<void> {
    await this.#pool.query(
      `insert into cluster_nodes (id, url, started_at, heartbeat_at, jobs) values ($1, $2, $3, $4, $5)
       on conflict (id) do update set url = excluded.url, heartbeat_at = excluded.heartbeat_at, jobs = excluded.jobs`,
      [node.id, node.url, node.startedAt.getTime(), nowMs, JSON.stringify(node.jobs)],
    );
  }

  async nodes(): Promise<NodeRecord[]> {
    const { rows } = await this.#pool.query<{ id: string; url: string; started_at: number; heartbeat_at: number; jobs: string }>(
      'select id, url, started_at, heartbeat_at, jobs from cluster_nodes order by started_at, id',
    );
    return rows.map((r) => ({ id: r.id, url: r.url, startedAt: new Date(r.started_at), heartbeatAt: new Date(r.heartbeat_at), jobs: JSON.parse(r.jobs) as string[] }));
  }

  async removeNode(id: string): Promise<void> {
    await this.#pool.query('delete from cluster_nodes where id = $1', [id]);
  }

  async publish(channel: string, payload: string): Promise<void> {
    await this.#pool.query('select pg_notify($1, $2)', [channel, `${this.#scope}\n${payload}`]);
  }

  async listen(channel: string, onMessage: (payload: string) => void): Promise<void> {
    this.#channels.set(channel, onMessage);
    if (this.#listener) await this.#listener.query(`listen ${pg.escapeIdentifier(channel)}`);
    else await this.#connect();
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client(this.#config);
    client.on('notification', (n) => {
      const cut = n.payload?.indexOf('\n') ?? -1;
      if (cut < 0 || n.payload!.slice(0, cut) !== this.#scope) return;
      this.#channels.get(n.channel)?.(n.payload!.slice(cut + 1));
    });
    // A dropped connection loses notifications until it is back; the periodic reconcile of its
    // users covers the gap.
    client.on('error', (err) => {
      this.#log?.warn({ err }, 'cluster LISTEN connection lost; reconnecting');
      if (this.#listener === client) this.#listener = undefined;
      client.end().catch(() => undefined);
      this.#scheduleReconnect();
    });
    try {
      await client.connect();
      for (const channel of this.#channels.keys()) await client.query(`listen ${pg.escapeIdentifier(channel)}`);
      this.#listener = client;
    } catch (err) {
      this.#log?.warn({ err }, 'cluster LISTEN connection failed; retrying');
      client.end().catch(() => undefined);
      this.#scheduleReconnect();
    }
  }

  #scheduleReconnect() {
    if (this.#closed || this.#reconnect) return;
    this.#reconnect = setTimeout(() => {
      this.#reconnect = undefined;
      void this.#connect();
    }, RECONNECT_MS);
    this.#reconnect.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#reconnect);
    await this.#listener?.end().catch(() => undefined);
    this.#listener = undefined;
    await this.#pool.end();
  }
}
