import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.js';
import type { MetadataStore } from '../store/metadata-store.js';
import { openMetadataStore } from '../store/open-store.js';
import { ClusterNode } from './cluster-node.js';
import { JobStops } from './job-stops.js';
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
    const a = node(1001, ['job-a', 'transform:tj', 'evaluation:ev']);
    const b = node(1002, ['job-b', 'transform:job-b']);
    await a.join();
    await b.join();
    expect([a.leader, b.leader]).toEqual([true, false]);
    expect((await b.nodes()).map((n) => [n.id.split(':')[1], n.leader])).toEqual([['1001', true], ['1002', false]]);
    // Jobs a live node runs are held, per kind (one name may be a training and a transform job).
    const heldBy: Record<string, string[]> = {};
    const holding = (k: string) => ({ runningJobs: () => [], dispatch: async (held: ReadonlySet<string>) => void (heldBy[k] = [...held]) });
    await runLeaderDuties(a, { jobs: { training: holding('training'), transform: holding('transform'), evaluation: holding('evaluation') } }, log);
    expect(heldBy).toEqual({ training: ['job-b'], transform: ['job-b'], evaluation: [] });

    t += 2_000; // a renews in time: still the leader
    await a.join();
    await b.join();
    expect([a.leader, b.leader]).toEqual([true, false]);

    t += 4_500; // a stops beating; its lease and heartbeat expire
    expect(a.leader).toBe(false); // counted lost before it expires for others
    await b.join();
    expect(b.leader).toBe(true);
    expect((await b.nodes()).map((n) => n.id)).toEqual([b.id]);

    // Each kind of job gets its own names back, and the rollouts keeper the live node ids.
    const dispatched: Record<string, [string[], [string, string][]]> = {};
    const kind = (k: string) => ({ runningJobs: () => [], dispatch: async (held: ReadonlySet<string>, lostBy: ReadonlyMap<string, string>) => void (dispatched[k] = [[...held], [...lostBy]]) });
    const live: string[][] = [];
    await runLeaderDuties(b, { jobs: { training: kind('training'), transform: kind('transform'), evaluation: kind('evaluation') }, rollouts: { adoptOrphanRollouts: async (ids) => void live.push([...ids]) } }, log);
    expect(dispatched).toEqual({ training: [[], [['job-a', a.id]]], transform: [[], [['tj', a.id]]], evaluation: [[], [['ev', a.id]]] });
    expect(live).toEqual([[b.id]]);
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

  it('relays a stop request to the node running that kind of job, and polls for lost ones', async () => {
    const [feedA, feedB] = [new PgClusterStore(url, log), new PgClusterStore(url, log)];
    stores.push(feedA, feedB);
    const stopped: string[] = [];
    let polled = 0;
    const service = (who: string) => ({ stopLocal: (name: string) => void stopped.push(`${who}:${name}`), applyStoredStops: async () => void polled++ });
    const [stopsA, stopsB] = [new JobStops(feedA, log), new JobStops(feedB, log)];
    await stopsA.listen({ transform: service('a') });
    await stopsB.listen({ training: service('b') });
    await stopsB.relay('transform').announce('tj');
    await stopsA.relay('training').announce('job');
    await stopsA.relay('evaluation').announce('nobody-runs-it');
    await new Promise((r) => setTimeout(r, 300));
    expect(stopped.sort()).toEqual(['a:tj', 'b:job']);
    await stopsA.poll();
    expect(polled).toBe(1);
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
