import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListEndpointsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, waitFor } from '../helpers/server.js';
import { freePort, spawnServer, type ServerProcess } from '../helpers/server-process.js';

/*
 * Several API nodes (issue 9, item 4): two `stratus server` processes on one PostgreSQL schema
 * and one artifact folder (a stand-in for S3), sharing one access-key sealing key. Node A starts
 * first and takes the dispatcher lease. The cases run in order on the same two nodes.
 */
const TOKEN = 'multi-node-token';
const PG_URL = process.env.STRATUS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SEALING_KEY = randomBytes(32).toString('base64');
const schema = `stratus_multi_${randomBytes(6).toString('hex')}`;
let root: string;
let a: ServerProcess | undefined;
let b: ServerProcess | undefined;

interface Job {
  status: string;
  secondaryStatus: string;
  failureReason?: string;
  statusHistory: { status: string; message?: string }[];
}
interface EndpointView extends Job {
  config: string;
  pendingDeployment?: { config: string; trafficPercent: number; step: number; steps: number };
}

const call = (node: ServerProcess, path: string, init: RequestInit & { json?: unknown } = {}) =>
  fetch(node.url + path, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string>) },
    body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
  });
const getJson = async <T>(node: ServerProcess, path: string) => (await (await call(node, path)).json()) as T;
const post = async <T>(node: ServerProcess, path: string, json: unknown = {}, status = 201) => {
  const res = await call(node, path, { method: 'POST', json });
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
};
const health = (node: ServerProcess) => fetch(`${node.url}/health`).then((r) => r.json() as Promise<{ status: string; node: string; leader: boolean }>);
const heartbeats = (node: ServerProcess) => getJson<{ items: { id: string; jobs: string[] }[] }>(node, '/api/v1/cluster/nodes');

async function start(name: string, env: Record<string, string> = { STRATUS_SEALING_KEY: SEALING_KEY }): Promise<ServerProcess> {
  const db = new URL(PG_URL);
  db.searchParams.set('schema', schema);
  return spawnServer(join(root, name), await freePort(), TOKEN, {
    STRATUS_DATABASE_URL: db.toString(),
    STRATUS_ARTIFACT_URL: `file://${join(root, 'artifacts')}`,
    ...env,
  });
}

const train = (node: ServerProcess, name: string, epochs = 2) =>
  call(node, '/api/v1/training-jobs', {
    method: 'POST',
    json: { name, algorithm: 'linear-learner', hyperparameters: { predictor_type: 'binary_classifier', epochs, ...(epochs > 2 ? { mini_batch_size: 1, early_stopping_patience: epochs } : {}) }, inputs: [{ channel: 'train', dataset: 'bc' }] },
  });
/** A transform that runs for seconds: one record per request over breast_cancer repeated (about 14,000 records a second here). */
const slowTransform = (node: ServerProcess, name: string) =>
  post<Job>(node, '/api/v1/transform-jobs', { name, model: 'm', input: { dataset: 'big' }, maxRecordsPerBatch: 1, maxConcurrentTransforms: 1, dataProcessing: { inputFilter: '$[1:]' } });

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
const ended = <T extends Job>(node: ServerProcess, path: string, timeoutMs = 30_000) =>
  waitFor(() => getJson<T>(node, path), (j) => j.status !== 'InProgress' && j.status !== 'Stopping', timeoutMs);
const jobDone = (node: ServerProcess, name: string) => ended(node, `/api/v1/training-jobs/${name}`);

const csv = readFileSync(join(DATASETS, 'breast_cancer.csv'), 'utf8');
const row = csv.split('\n')[0].split(',').slice(1).join(',');
/** Copies of breast_cancer in the slow transforms' input: about 57,000 records, 4 s. */
const COPIES = 100;
const invoke = (node: ServerProcess) => call(node, '/endpoints/e/invocations', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: row });
/** The variants that answered `n` requests through `node`. */
async function variantsSeen(node: ServerProcess, n = 24): Promise<string[]> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) seen.add((await invoke(node)).headers.get('x-amzn-invoked-production-variant') ?? '');
  return [...seen].sort();
}

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
  let nodeA = '';
  let nodeB = '';

  it('share jobs, endpoints and access keys; a node with another sealing key refuses to start', async () => {
    const A = a!;
    const B = b!;
    const [ha, hb] = await Promise.all([health(A), health(B)]);
    [nodeA, nodeB] = [ha.node, hb.node];
    expect(ha).toMatchObject({ status: 'ok', leader: true });
    expect(hb).toMatchObject({ status: 'ok', leader: false });
    expect(ha.node).not.toBe(hb.node);
    const nodes = await heartbeats(B);
    expect(nodes.items.map((n) => n.id).sort()).toEqual([ha.node, hb.node].sort());

    // A job submitted to the follower is stored queued and run by the leader.
    expect((await call(A, '/api/v1/datasets/bc', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv })).status).toBe(201);
    expect((await train(B, 'via-follower')).status).toBe(201);
    expect((await jobDone(A, 'via-follower')).status).toBe('Completed');

    // An endpoint created through A answers through B within a couple of seconds.
    await post(A, '/api/v1/models', { name: 'm', trainingJob: 'via-follower' });
    await post(A, '/api/v1/endpoint-configs', { name: 'c', variants: [{ name: 'one', model: 'm' }, { name: 'two', model: 'm' }] });
    await post(A, '/api/v1/endpoints', { name: 'e', config: 'c' });
    await waitFor(() => getJson<{ status: string }>(A, '/api/v1/endpoints/e'), (e) => e.status === 'InService', 20_000);
    const inService = Date.now();
    const viaB = await waitFor(() => invoke(B), (r) => r.status === 200, 3_000);
    expect(viaB.status).toBe(200);
    expect(Date.now() - inService).toBeLessThan(3_000);

    // A weight change through B reaches A's replicas: all of A's traffic goes to variant two.
    await post(B, '/api/v1/endpoints/e/weights', { variants: [{ name: 'one', weight: 0 }, { name: 'two', weight: 1 }] }, 200);
    expect(await waitFor(() => variantsSeen(A, 8), (s) => s.length === 1 && s[0] === 'two', 3_000)).toEqual(['two']);

    // An access key made through A signs SageMaker calls to B: both nodes seal with STRATUS_SEALING_KEY.
    const key = await post<{ accessKeyId: string; secretAccessKey: string }>(A, '/api/v1/access-keys');
    const sm = new SageMakerClient({ endpoint: B.url, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey } });
    expect((await sm.send(new ListEndpointsCommand({}))).Endpoints?.map((e) => e.EndpointName)).toEqual(['e']);
    // A node on its own key file (the single-node default) cannot check that key: it stops at start.
    const refused = await start('c', {}).then(
      (c) => (c.child.kill('SIGKILL'), 'started'),
      (e: unknown) => (e as Error).message,
    );
    expect(refused).toContain('server exited early');
    expect(refused).toContain(`SigV4 access key(s) in the database (${key.accessKeyId}) were sealed under another sealing key than this node's`);
    expect(refused).toContain('STRATUS_SEALING_KEY');
  }, 90_000);

  it('stops a job through a node that does not run it, and queues transform and evaluation jobs for the leader', async () => {
    const A = a!;
    const B = b!;
    // A training job queued through B runs on A; B's stop reaches A.
    expect((await train(B, 'stop-me', 100_000)).status).toBe(201);
    await waitFor(() => getJson<Job>(B, '/api/v1/training-jobs/stop-me'), (j) => j.secondaryStatus === 'Training', 20_000);
    const stopping = await post<Job>(B, '/api/v1/training-jobs/stop-me/stop', {}, 202);
    expect(stopping.status).toBe('Stopping');
    const stopped = await jobDone(B, 'stop-me');
    expect(stopped).toMatchObject({ status: 'Stopped', secondaryStatus: 'Stopped' });
    expect((await call(B, '/api/v1/training-jobs/stop-me/stop', { method: 'POST' })).status).toBe(409);

    // A transform job created through B runs on the leader (its heartbeat lists it); B stops it.
    const big = `${Array.from({ length: COPIES }, () => csv.trim()).join('\n')}\n`;
    expect((await call(A, '/api/v1/datasets/big', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: big })).status).toBe(201);
    await slowTransform(B, 't-stop');
    await waitFor(() => heartbeats(B), (n) => n.items.some((x) => x.id === nodeA && x.jobs.includes('transform:t-stop')), 10_000);
    expect((await post<Job>(B, '/api/v1/transform-jobs/t-stop/stop', {}, 202)).status).toBe('Stopping');
    expect(await ended(B, '/api/v1/transform-jobs/t-stop')).toMatchObject({ status: 'Stopped', secondaryStatus: 'Stopped' });

    // An evaluation job created through B is run by the leader too.
    await post(B, '/api/v1/evaluation-jobs', { name: 'ev', model: 'm', dataset: { name: 'bc' } });
    const ev = await ended<Job & { summary?: { metrics: { rocAuc: { mean: number } } } }>(B, '/api/v1/evaluation-jobs/ev');
    expect(ev.status).toBe('Completed');
    expect(ev.summary!.metrics.rocAuc.mean).toBeGreaterThan(0.9);
  }, 90_000);

  it('routes every node by the current step of a canary update, and the leader finishes it when the driving node dies', async () => {
    const A = a!;
    await post(A, '/api/v1/endpoint-configs', { name: 'c2', variants: [{ name: 'three', model: 'm' }] });
    // Requests through A never stop while B drives the update, dies, and A takes it over.
    let serving = true;
    const statuses = new Map<number, number>();
    const load = (async () => {
      while (serving) {
        const status = (await invoke(A)).status;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    })();
    const update = await call(b!, '/api/v1/endpoints/e', {
      method: 'PUT',
      json: { config: 'c2', deployment: { trafficRouting: { type: 'CANARY', waitIntervalSeconds: 4, canarySize: { type: 'CAPACITY_PERCENT', value: 50 } } } },
    });
    expect(update.status, await update.text()).toBe(200);
    // The canary step through A: the stored step, and A's own router splitting between both configs.
    const canary = await waitFor(() => getJson<EndpointView>(A, '/api/v1/endpoints/e'), (e) => e.pendingDeployment?.step === 1, 10_000, 50);
    expect(canary.pendingDeployment).toMatchObject({ config: 'c2', trafficPercent: 50, step: 1, steps: 2 });
    expect(await waitFor(() => variantsSeen(A), (s) => s.length === 2, 3_000)).toEqual(['three', 'two']);

    // B dies mid-canary; A (the leader) resumes the update at its step and completes it.
    b!.child.kill('SIGKILL');
    await b!.exited;
    b = undefined;
    const done = await waitFor(() => getJson<EndpointView>(A, '/api/v1/endpoints/e'), (e) => e.status === 'InService', 30_000, 200);
    serving = false;
    await load;
    expect(done.config).toBe('c2');
    expect(done.pendingDeployment).toBeUndefined();
    const messages = done.statusHistory.map((t) => t.message ?? '');
    expect(messages).toContainEqual(`Updating: node ${nodeA} resumes the update to config 'c2' at step 1 of 2 (node ${nodeB} died)`);
    expect(messages.at(-1)).toBe("Serving config 'c2'");
    expect(await variantsSeen(A, 8)).toEqual(['three']);
    expect([...statuses.keys()]).toEqual([200]);

    // B comes back (a new process, a new node id) and serves the new config.
    b = await start('b');
    nodeB = (await health(b)).node;
    expect(await waitFor(() => variantsSeen(b!, 8), (s) => s.length === 1 && s[0] === 'three', 10_000)).toEqual(['three']);
  }, 90_000);

  it('takes over dispatching when the leader dies: queued jobs run, a transform it ran starts again, a training job it ran fails', async () => {
    const A = a!;
    const B = b!;
    expect((await train(A, 'long', 100_000)).status).toBe(201);
    await waitFor(() => getJson<Job>(A, '/api/v1/training-jobs/long'), (j) => j.secondaryStatus === 'Training', 20_000);
    await slowTransform(A, 't-restart');
    await waitFor(() => getJson<Job>(A, '/api/v1/transform-jobs/t-restart'), (j) => j.secondaryStatus === 'Transforming', 20_000, 20);
    // …and A's heartbeat lists both (heartbeats are written every second).
    await waitFor(() => heartbeats(B), (n) => n.items.some((x) => x.id === nodeA && x.jobs.includes('long') && x.jobs.includes('transform:t-restart')), 5_000, 50);

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
    expect(long.failureReason).toContain(`interrupted: node ${nodeA} died while the job was Training`);
    const transform = await ended<Job & { progress: { recordsProcessed: number } }>(B, '/api/v1/transform-jobs/t-restart', 60_000);
    expect(transform.status).toBe('Completed');
    expect(transform.progress.recordsProcessed).toBe(COPIES * csv.trim().split('\n').length);
    expect(transform.statusHistory.map((t) => t.message ?? '')).toContainEqual(`restarted from the start on node ${nodeB}: node ${nodeA} died while the job was Transforming`);
    expect((await invoke(B)).status).toBe(200);
    const after = await waitFor(() => heartbeats(B), (n) => n.items.length === 1, 10_000);
    expect(after.items[0].id).toBe(nodeB);
  }, 120_000);
});
