import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.js';
import type { MetadataStore } from '../store/metadata-store.js';
import { openMetadataStore } from '../store/open-store.js';
import { ClusterNode } from './cluster-node.js';
import { runLeaderDuties } from './leader-duties.js';
import { PgClusterStore } from './pg-cluster-store.js';

/* The dispatcher lease and heartbeats on the PostgreSQL every dev machine and CI has, with a hand-driven clock. */
const SERVER_URL = process.env.STRATUS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `stratus_cluster_${randomBytes(6).toString('hex')}`;
const url = `${SERVER_URL}?schema=${schema}`;
const log = createLogger({ level: 'silent' });
let metadata: MetadataStore;
const stores: PgClusterStore[] = [];
let t = 1_000_000;
const clock = { now: () => new Date(t) };

function node(port: number, jobs: string[] = []) {
  const store = new PgClusterStore(url, log);
  stores.push(store);
  const n = new ClusterNode({ store, clock, log, jobs: () => jobs, tickMs: 1_000, ttlMs: 4_000 });
  n.identify(`http://127.0.0.1:${port}`);
  return n;
}

beforeAll(async () => {
  metadata = await openMetadataStore(url, { log }); // applies migration 0007
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await metadata.close();
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
});

describe('ClusterNode on PostgreSQL', () => {
  it('lets one node lead, hands the lease over once it expires, and reports dead nodes and their jobs', async () => {
    const a = node(1001, ['job-a']);
    const b = node(1002);
    await a.join();
    await b.join();
    expect([a.leader, b.leader]).toEqual([true, false]);
    expect((await b.nodes()).map((n) => [n.id.split(':')[1], n.leader])).toEqual([['1001', true], ['1002', false]]);

    t += 2_000; // a renews in time: still the leader
    await a.join();
    await b.join();
    expect([a.leader, b.leader]).toEqual([true, false]);

    t += 4_500; // a stops beating; its lease and heartbeat expire
    expect(a.leader).toBe(false); // counted lost before it expires for others
    await b.join();
    expect(b.leader).toBe(true);
    expect((await b.nodes()).map((n) => n.id)).toEqual([b.id]);

    const dispatched: [string[], [string, string][]][] = [];
    await runLeaderDuties(b, { dispatch: async (held, lostBy) => void dispatched.push([[...held], [...lostBy]]) }, log);
    expect(dispatched).toEqual([[[], [['job-a', a.id]]]]);
    expect((await b.deadNodes()).length).toBe(0);
  });

  it('releases the lease on stop, so the next node leads at once', async () => {
    t += 10_000;
    const c = node(1003);
    await c.join();
    expect(c.leader).toBe(true);
    await c.stop();
    const d = node(1004);
    await d.join();
    expect(d.leader).toBe(true);
  });

  it('delivers notifications of its own schema', async () => {
    const s = new PgClusterStore(url, log);
    stores.push(s);
    const got: string[] = [];
    await s.listen('stratus_endpoints', (p) => got.push(p));
    await s.publish('stratus_endpoints', 'e1');
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toEqual(['e1']);
  });
});
