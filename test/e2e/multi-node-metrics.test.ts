import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packDirectory } from '../../src/artifacts/archive.js';
import { DATASETS, waitFor } from '../helpers/server.js';
import { freePort, spawnServer, type ServerProcess } from '../helpers/server-process.js';

/*
 * Cluster-wide endpoint metrics, rollback alarms and autoscaling (issue 9, item 4; issue 5):
 * two `stratus server` processes on one PostgreSQL schema and one artifact folder. Node A
 * starts first and leads. Each case sends requests through chosen nodes and reads the result
 * through the others.
 */
const TOKEN = 'multi-node-metrics-token';
const PG_URL = process.env.STRATUS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SEALING_KEY = randomBytes(32).toString('base64');
const schema = `stratus_metrics_${randomBytes(6).toString('hex')}`;
let root: string;
let a: ServerProcess;
let b: ServerProcess;
let nodeA = '';
let nodeB = '';

interface EndpointView {
  status: string;
  config: string;
  failureReason?: string;
  variants: Array<{ name: string; currentInstanceCount: number }>;
}
interface MetricsView {
  variants: Array<{ variant: string; shadow: boolean; summary: { invocations: number; errors5xx: number } }>;
}
interface ScalingEvents {
  items: Array<{ action: string; fromInstances: number; toInstances: number; invocationsPerMinute?: number; reason: string }>;
}

const call = (node: ServerProcess, path: string, init: RequestInit & { json?: unknown } = {}) =>
  fetch(node.url + path, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string>) },
    body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
  });
const getJson = async <T>(node: ServerProcess, path: string) => (await (await call(node, path)).json()) as T;
async function send<T>(node: ServerProcess, method: string, path: string, json: unknown, status: number): Promise<T> {
  const res = await call(node, path, { method, json });
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

const csv = readFileSync(join(DATASETS, 'breast_cancer.csv'), 'utf8');
const row = csv.split('\n')[0].split(',').slice(1).join(',');
const invoke = (node: ServerProcess, endpoint: string) => call(node, `/endpoints/${endpoint}/invocations`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: row });

/** Sends `n` requests one after another; every one must be answered 200. */
async function sendOk(node: ServerProcess, endpoint: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await invoke(node, endpoint);
    expect(res.status, await res.text()).toBe(200);
  }
}

/** Waits until the endpoint answers through every node (its replicas there are up); returns the requests that reached a variant. */
async function warmUp(endpoint: string): Promise<number> {
  await waitFor(() => getJson<EndpointView>(a, `/api/v1/endpoints/${endpoint}`), (e) => e.status === 'InService', 30_000);
  for (const node of [a, b]) await waitFor(() => invoke(node, endpoint), (r) => r.status === 200, 10_000, 50);
  return 2;
}

const total = (m: MetricsView, variant: string) => m.variants.find((v) => v.variant === variant)?.summary.invocations ?? 0;

/** A model server that starts, passes /ping, and answers 500 to every request. */
const BROKEN_SERVER = `
const http = require('node:http');
http.createServer((req, res) => {
  if (req.url === '/ping') return res.writeHead(200).end();
  res.writeHead(500, { 'content-type': 'text/plain' }).end('this model is broken');
}).listen(Number(process.env.SAGEMAKER_BIND_TO_PORT), '127.0.0.1');
`;

async function uploadFolder(key: string, files: Record<string, string>): Promise<string> {
  const dir = join(root, key.replace(/\W/g, '-'));
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const chunks: Buffer[] = [];
  for await (const c of packDirectory(dir)) chunks.push(c as Buffer);
  const res = await call(a, `/api/v1/artifacts/uploads/${key}`, { method: 'PUT', body: Buffer.concat(chunks), headers: { 'content-type': 'application/octet-stream' } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { uri: string }).uri;
}

async function start(name: string): Promise<ServerProcess> {
  const db = new URL(PG_URL);
  db.searchParams.set('schema', schema);
  return spawnServer(join(root, name), await freePort(), TOKEN, {
    STRATUS_DATABASE_URL: db.toString(),
    STRATUS_ARTIFACT_URL: `file://${join(root, 'artifacts')}`,
    STRATUS_SEALING_KEY: SEALING_KEY,
  });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'stratus-multi-metrics-'));
  a = await start('a');
  b = await start('b');
  nodeA = ((await (await fetch(`${a.url}/health`)).json()) as { node: string }).node;
  nodeB = ((await (await fetch(`${b.url}/health`)).json()) as { node: string }).node;
  expect((await call(a, '/api/v1/datasets/bc', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv })).status).toBe(201);
  await send(a, 'POST', '/api/v1/training-jobs', { name: 'lin', algorithm: 'linear-learner', hyperparameters: { predictor_type: 'binary_classifier', epochs: 2 }, inputs: [{ channel: 'train', dataset: 'bc' }] }, 201);
  const job = await waitFor(() => getJson<{ status: string }>(a, '/api/v1/training-jobs/lin'), (j) => j.status !== 'InProgress', 60_000);
  expect(job.status).toBe('Completed');
  await send(a, 'POST', '/api/v1/models', { name: 'm', trainingJob: 'lin' }, 201);
  const source = await uploadFolder('tests/multi-metrics/broken-src.tar.gz', { 'serve.js': BROKEN_SERVER });
  const artifact = await uploadFolder('tests/multi-metrics/broken-model.tar.gz', { 'weights.json': '[]' });
  await send(a, 'POST', '/api/v1/models', { name: 'broken', artifactUri: artifact, runtime: 'container', source, entryPoint: 'serve.js' }, 201);
  await send(a, 'POST', '/api/v1/endpoint-configs', { name: 'c', variants: [{ name: 'blue', model: 'm' }] }, 201);
  await send(a, 'POST', '/api/v1/endpoint-configs', { name: 'c-broken', variants: [{ name: 'broken', model: 'broken' }] }, 201);
}, 120_000);

afterAll(async () => {
  for (const node of [a, b]) node?.child.kill('SIGKILL');
  await Promise.all([a?.exited, b?.exited]);
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
  await rm(root, { recursive: true, force: true });
});

describe('endpoint metrics, alarms and autoscaling across API nodes', () => {
  it('answers the metrics API with the sum over the nodes on either node; Prometheus stays per node, labelled', async () => {
    await send(a, 'POST', '/api/v1/endpoints', { name: 'e', config: 'c' }, 201);
    const warm = await warmUp('e');
    await sendOk(a, 'e', 20);
    await sendOk(b, 'e', 13);
    const sent = warm + 33;
    for (const node of [a, b]) {
      const m = await waitFor(() => getJson<MetricsView>(node, '/api/v1/endpoints/e/metrics?period=60&window=300'), (x) => total(x, 'blue') === sent, 5_000, 100);
      expect(total(m, 'blue')).toBe(sent);
      const hour = await getJson<MetricsView>(node, '/api/v1/endpoints/e/metrics?period=600&window=3600');
      expect(total(hour, 'blue')).toBe(sent);
    }
    // Each node's own counts, told apart by the node label.
    const prom = await (await call(a, '/metrics')).text();
    expect(prom).toContain(`stratus_endpoint_invocations_total{node="${nodeA}",endpoint="e",variant="blue",shadow="false"} 21`);
    const promB = await (await call(b, '/metrics')).text();
    expect(promB).toContain(`stratus_endpoint_invocations_total{node="${nodeB}",endpoint="e",variant="blue",shadow="false"} 14`);
  }, 60_000);

  it('scales once, on the leader, from both nodes\' invocations per instance', async () => {
    await send(a, 'POST', '/api/v1/endpoints', { name: 'as', config: 'c' }, 201);
    const warm = await warmUp('as');
    // Most of the load goes through the follower, which never decides.
    await sendOk(b, 'as', 40);
    await sendOk(a, 'as', 20);
    const sent = warm + 60;
    await waitFor(() => getJson<MetricsView>(a, '/api/v1/endpoints/as/metrics?period=60&window=60'), (x) => total(x, 'blue') === sent, 5_000, 100);
    const target = 15;
    // 62/min over 2 nodes × 1 instance: each node needs ceil(62 / (15 × 2)) = 3.
    const expected = Math.ceil(sent / (target * 2));
    await send(b, 'PUT', '/api/v1/endpoints/as/variants/blue/scaling', {
      minInstances: 1, maxInstances: 8, targetInvocationsPerInstancePerMinute: target, metricWindowSeconds: 60, scaleOutCooldownSeconds: 600, scaleInCooldownSeconds: 600,
    }, 200);
    const scaled = await waitFor(() => getJson<EndpointView>(b, '/api/v1/endpoints/as'), (e) => e.variants[0].currentInstanceCount !== 1, 10_000, 100);
    expect(scaled.variants[0].currentInstanceCount).toBe(expected);
    // A few more evaluation rounds: still the one decision.
    await new Promise((r) => setTimeout(r, 3_000));
    const events = await getJson<ScalingEvents>(a, '/api/v1/endpoints/as/scaling-events');
    expect(events.items).toHaveLength(1);
    expect(events.items[0]).toMatchObject({ action: 'scale-out', fromInstances: 1, toInstances: expected, invocationsPerMinute: sent });
    expect(events.items[0].reason).toBe(`${sent} invocations/min over 60 s on 2 nodes; target ${target}/instance needs ${expected}`);
    expect((await getJson<EndpointView>(a, '/api/v1/endpoints/as')).variants[0].currentInstanceCount).toBe(expected);
  }, 60_000);

  it('rolls a canary back on its alarm when the failing requests go through a node that does not drive the update', async () => {
    // Every request goes through A; B drives the update and serves nothing.
    let serving = true;
    const statuses = new Map<number, number>();
    const load = (async () => {
      while (serving) {
        const status = (await invoke(a, 'e')).status;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    })();
    let done: EndpointView;
    try {
      await send(b, 'PUT', '/api/v1/endpoints/e', {
        config: 'c-broken',
        deployment: {
          // Without A's requests, B would see no green request and complete after two 20 s bakes.
          trafficRouting: { type: 'CANARY', waitIntervalSeconds: 20, canarySize: { type: 'CAPACITY_PERCENT', value: 50 } },
          rollback: { alarms: [{ name: 'errors', metric: '5xxRate', threshold: 0.05, windowSeconds: 10 }] },
        },
      }, 200);
      done = await waitFor(() => getJson<EndpointView>(b, '/api/v1/endpoints/e'), (e) => e.status === 'InService', 30_000, 100);
    } finally {
      serving = false;
      await load;
    }
    expect(done.config).toBe('c');
    expect(done.failureReason).toMatch(/^rolled back: alarm 'errors' \(5xxRate 1 > 0\.05 over 10 s, \d+ requests?\); update to config 'c-broken' abandoned, serving config 'c'$/);
    // Green's failures were retried on blue: no caller saw one.
    expect([...statuses.keys()]).toEqual([200]);
    // B itself served no request of the update: its counts are those of the first case.
    const promB = await (await call(b, '/metrics')).text();
    expect(promB).toContain(`stratus_endpoint_invocations_total{node="${nodeB}",endpoint="e",variant="blue",shadow="false"} 14`);
    expect(promB).not.toContain('variant="broken"');
  }, 60_000);
});
