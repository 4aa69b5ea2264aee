import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, waitFor } from '../helpers/server.js';
import { freePort, spawnServer, type ServerProcess } from '../helpers/server-process.js';

/*
 * Several API nodes (issue 9, item 4): two `stratus server` processes on one PostgreSQL schema
 * and one artifact folder (a stand-in for S3). Node A starts first and takes the dispatcher lease.
 */
const TOKEN = 'multi-node-token';
const PG_URL = process.env.STRATUS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `stratus_multi_${randomBytes(6).toString('hex')}`;
let root: string;
let a: ServerProcess | undefined;
let b: ServerProcess | undefined;

const call = (node: ServerProcess, path: string, init: RequestInit & { json?: unknown } = {}) =>
  fetch(node.url + path, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string>) },
    body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
  });
const getJson = async <T>(node: ServerProcess, path: string) => (await (await call(node, path)).json()) as T;
const health = (node: ServerProcess) => fetch(`${node.url}/health`).then((r) => r.json() as Promise<{ status: string; node: string; leader: boolean }>);

async function start(name: string): Promise<ServerProcess> {
  const db = new URL(PG_URL);
  db.searchParams.set('schema', schema);
  return spawnServer(join(root, name), await freePort(), TOKEN, {
    STRATUS_DATABASE_URL: db.toString(),
    STRATUS_ARTIFACT_URL: `file://${join(root, 'artifacts')}`,
  });
}

const train = (node: ServerProcess, name: string, epochs = 2) =>
  call(node, '/api/v1/training-jobs', {
    method: 'POST',
    json: { name, algorithm: 'linear-learner', hyperparameters: { predictor_type: 'binary_classifier', epochs, ...(epochs > 2 ? { mini_batch_size: 1, early_stopping_patience: epochs } : {}) }, inputs: [{ channel: 'train', dataset: 'bc' }] },
  });

/** Job processes left by a killed node: their working folder is inside its home. */
function jobProcesses(home: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readlinkSync(`/proc/${pid}/cwd`).startsWith(join(home, 'jobs'))) found.push(Number(pid));
    } catch {
      // gone or not ours
    }
  }
  return found;
}
const jobDone = (node: ServerProcess, name: string) =>
  waitFor(() => getJson<{ status: string; failureReason?: string }>(node, `/api/v1/training-jobs/${name}`), (j) => j.status !== 'InProgress', 30_000);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'stratus-multi-'));
  a = await start('a');
  b = await start('b');
}, 60_000);

afterAll(async () => {
  for (const node of [a, b]) node?.child.kill('SIGKILL');
  await Promise.all([a?.exited, b?.exited]);
  for (const pid of [...jobProcesses(join(root, 'a')), ...jobProcesses(join(root, 'b'))]) process.kill(pid, 'SIGKILL');
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
  await rm(root, { recursive: true, force: true });
});

describe('several API nodes on one PostgreSQL', () => {
  it('share jobs and endpoints, and the survivor takes over dispatching when the leader dies', async () => {
    const A = a!;
    const B = b!;
    const [ha, hb] = await Promise.all([health(A), health(B)]);
    expect(ha).toMatchObject({ status: 'ok', leader: true });
    expect(hb).toMatchObject({ status: 'ok', leader: false });
    expect(ha.node).not.toBe(hb.node);
    const nodes = await getJson<{ items: { id: string; leader: boolean }[] }>(B, '/api/v1/cluster/nodes');
    expect(nodes.items.map((n) => n.id).sort()).toEqual([ha.node, hb.node].sort());
    expect(nodes.items.find((n) => n.leader)?.id).toBe(ha.node);

    // A job submitted to the follower is stored queued and run by the leader.
    const csv = readFileSync(join(DATASETS, 'breast_cancer.csv'), 'utf8');
    expect((await call(A, '/api/v1/datasets/bc', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv })).status).toBe(201);
    expect((await train(B, 'via-follower')).status).toBe(201);
    expect((await jobDone(A, 'via-follower')).status).toBe('Completed');

    // An endpoint created through A answers through B within a couple of seconds.
    await call(A, '/api/v1/models', { method: 'POST', json: { name: 'm', trainingJob: 'via-follower' } });
    await call(A, '/api/v1/endpoint-configs', { method: 'POST', json: { name: 'c', variants: [{ name: 'one', model: 'm' }, { name: 'two', model: 'm' }] } });
    expect((await call(A, '/api/v1/endpoints', { method: 'POST', json: { name: 'e', config: 'c' } })).status).toBe(201);
    await waitFor(() => getJson<{ status: string }>(A, '/api/v1/endpoints/e'), (e) => e.status === 'InService', 20_000);
    const row = csv.split('\n')[0].split(',').slice(1).join(',');
    const invoke = (node: ServerProcess) => call(node, '/endpoints/e/invocations', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: row });
    const inService = Date.now();
    const viaB = await waitFor(() => invoke(B), (r) => r.status === 200, 3_000);
    expect(viaB.status).toBe(200);
    expect(Date.now() - inService).toBeLessThan(3_000);

    // A weight change through B reaches A's replicas: all of A's traffic goes to variant two.
    expect((await call(B, '/api/v1/endpoints/e/weights', { method: 'POST', json: { variants: [{ name: 'one', weight: 0 }, { name: 'two', weight: 1 }] } })).status).toBe(200);
    const onlyTwo = async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 8; i++) seen.add((await invoke(A)).headers.get('x-amzn-invoked-production-variant') ?? '');
      return [...seen];
    };
    expect(await waitFor(onlyTwo, (s) => s.length === 1 && s[0] === 'two', 3_000)).toEqual(['two']);

    // A long job runs on the leader when it dies: it is failed as interrupted by the survivor.
    expect((await train(A, 'long', 100_000)).status).toBe(201);
    await waitFor(() => getJson<{ secondaryStatus: string }>(A, '/api/v1/training-jobs/long'), (j) => j.secondaryStatus === 'Training', 20_000);
    // …and A's heartbeat lists it (heartbeats are written every second).
    await waitFor(() => getJson<{ items: { id: string; jobs: string[] }[] }>(B, '/api/v1/cluster/nodes'), (n) => n.items.some((x) => x.id === ha.node && x.jobs.includes('long')), 5_000);

    // The leader dies (frozen first, so the job submitted just before is certainly still queued).
    A.child.kill('SIGSTOP');
    expect((await train(B, 'before-kill')).status).toBe(201);
    A.child.kill('SIGKILL');
    await A.exited;
    a = undefined;
    const killedAt = Date.now();
    expect((await train(B, 'after-kill')).status).toBe(201);
    await waitFor(() => health(B), (h) => h.leader, 10_000);
    expect(Date.now() - killedAt).toBeLessThan(8_000);
    expect((await jobDone(B, 'before-kill')).status).toBe('Completed');
    expect((await jobDone(B, 'after-kill')).status).toBe('Completed');
    const long = await jobDone(B, 'long');
    expect(long.status).toBe('Failed');
    expect(long.failureReason).toContain(`interrupted: node ${ha.node} died while the job was Training`);
    expect((await invoke(B)).status).toBe(200);
    const after = await waitFor(() => getJson<{ items: { id: string }[] }>(B, '/api/v1/cluster/nodes'), (n) => n.items.length === 1, 10_000);
    expect(after.items[0].id).toBe(hb.node);
  }, 90_000);
});
