/**
 * Safe updates and autoscaling end to end over HTTP (issue 5, items 4 and 5): several clients
 * send requests without pause while weights change, a canary rollout completes, a rollout to a
 * failing model trips its alarm and rolls back (zero failed requests throughout), and a load
 * burst scales a variant out and back in.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packDirectory } from '../../src/artifacts/archive.js';
import { splitCsv } from '../helpers/data.js';
import { DATASETS, startTestServer, waitFor, type TestServer } from '../helpers/server.js';

interface EndpointView {
  status: string;
  config: string;
  failureReason?: string;
  variants: Array<{ name: string; currentInstanceCount: number; currentWeight: number }>;
  statusHistory: Array<{ status: string; message?: string }>;
  pendingDeployment?: { config: string; trafficPercent: number; step: number; steps: number };
}

let server: TestServer;
let work: string;
let rows: string[];

async function json<T = Record<string, unknown>>(res: Response | Promise<Response>, status = 200): Promise<T> {
  const r = await res;
  const text = await r.text();
  expect(r.status, text).toBe(status);
  return (text ? JSON.parse(text) : undefined) as T;
}

async function tarGz(dir: string): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of packDirectory(dir)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function uploadFolder(key: string, files: Record<string, string>): Promise<string> {
  const dir = join(work, key.replace(/\W/g, '-'));
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const body = await tarGz(dir);
  const res = await json<{ uri: string }>(server.api(`/api/v1/artifacts/uploads/${key}`, { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream' } }), 201);
  return res.uri;
}

/** A model server that starts, passes /ping, and answers 500 to every request. */
const BROKEN_SERVER = `
const http = require('node:http');
http.createServer((req, res) => {
  if (req.url === '/ping') return res.writeHead(200).end();
  res.writeHead(500, { 'content-type': 'text/plain' }).end('this model is broken');
}).listen(Number(process.env.SAGEMAKER_BIND_TO_PORT), '127.0.0.1');
`;

const endpoint = (name: string) => json<EndpointView>(server.api(`/api/v1/endpoints/${name}`));
const waitInService = (name: string, timeoutMs = 60_000) => waitFor(() => endpoint(name), (e) => e.status === 'InService', timeoutMs, 50);

/** `clients` loops sending one-row CSV requests back to back until stopped; every answer is recorded. */
function load(name: string, clients: number) {
  let running = true;
  const stats = { ok: 0, failures: [] as string[], variants: new Map<string, number>() };
  const loops = Array.from({ length: clients }, async (_, c) => {
    for (let i = c; running; i++) {
      const res = await server.api(`/endpoints/${name}/invocations`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: rows[i % rows.length] });
      const text = await res.text();
      if (res.status === 200) {
        stats.ok++;
        const v = res.headers.get('x-amzn-invoked-production-variant') ?? '?';
        stats.variants.set(v, (stats.variants.get(v) ?? 0) + 1);
      } else {
        stats.failures.push(`${res.status} ${text}`);
      }
    }
  });
  return {
    stats,
    async stop() {
      running = false;
      await Promise.all(loops);
      return stats;
    },
  };
}

beforeAll(async () => {
  server = await startTestServer({ invocationTimeoutMs: 5000, logLevel: 'error' });
  work = await mkdtemp(join(tmpdir(), 'rollouts-'));
  const split = await splitCsv(join(DATASETS, 'breast_cancer.csv'), work);
  rows = split.validationRows.map((r) => r.slice(1).join(','));
  await json(server.api('/api/v1/datasets/ro-train', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: await import('node:fs/promises').then((f) => f.readFile(split.train)) }), 201);
  await json(
    server.api('/api/v1/training-jobs', {
      method: 'POST',
      json: { name: 'ro-linear', algorithm: 'linear-learner', hyperparameters: { predictor_type: 'binary_classifier', epochs: 5 }, inputs: [{ channel: 'train', dataset: 'ro-train' }] },
    }),
    201,
  );
  const job = await waitFor(() => json<{ status: string; failureReason?: string }>(server.api('/api/v1/training-jobs/ro-linear')), (j) => j.status !== 'InProgress', 120_000, 200);
  expect(job.failureReason).toBeUndefined();
  for (const m of ['ro-m1', 'ro-m2']) await json(server.api('/api/v1/models', { method: 'POST', json: { name: m, trainingJob: 'ro-linear' } }), 201);
  const source = await uploadFolder('tests/rollouts/broken-src.tar.gz', { 'serve.js': BROKEN_SERVER });
  const artifact = await uploadFolder('tests/rollouts/broken-model.tar.gz', { 'weights.json': '[]' });
  await json(server.api('/api/v1/models', { method: 'POST', json: { name: 'ro-broken', artifactUri: artifact, runtime: 'container', source, entryPoint: 'serve.js' } }), 201);
  const configs: Record<string, unknown[]> = {
    'ro-a': [{ name: 'a1', model: 'ro-m1' }, { name: 'a2', model: 'ro-m1' }],
    'ro-b': [{ name: 'b', model: 'ro-m2', instanceCount: 2 }],
    'ro-broken': [{ name: 'broken', model: 'ro-broken' }],
    'as-c': [{ name: 'v', model: 'ro-m1' }],
  };
  for (const [name, variants] of Object.entries(configs)) await json(server.api('/api/v1/endpoint-configs', { method: 'POST', json: { name, variants } }), 201);
  await json(server.api('/api/v1/endpoints', { method: 'POST', json: { name: 'ro', config: 'ro-a' } }), 201);
  expect((await waitInService('ro')).failureReason).toBeUndefined();
}, 180_000);

afterAll(async () => {
  await server?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const update = (name: string, body: Record<string, unknown>, status = 200) => json<EndpointView>(server.api(`/api/v1/endpoints/${name}`, { method: 'PUT', json: body }), status);
const messages = (e: EndpointView) => e.statusHistory.map((t) => `${t.status}: ${t.message ?? ''}`);

describe('safe updates', () => {
  it('serves every request while weights change and a canary rollout completes', async () => {
    const traffic = load('ro', 4);
    await json(server.api('/api/v1/endpoints/ro/weights', { method: 'POST', json: { variants: [{ name: 'a1', weight: 3 }, { name: 'a2', weight: 1 }] } }));
    await waitInService('ro');
    await json(server.api('/api/v1/endpoints/ro/weights', { method: 'POST', json: { variants: [{ name: 'a1', weight: 0 }] } }));
    await waitInService('ro');

    const started = await update('ro', { config: 'ro-b', deployment: { trafficRouting: { type: 'CANARY', waitIntervalSeconds: 1, canarySize: { type: 'CAPACITY_PERCENT', value: 25 } } } });
    expect(started.status).toBe('Updating');
    // Mid-canary: both fleets answer.
    const canary = await waitFor(() => endpoint('ro'), (e) => e.pendingDeployment?.step === 1, 60_000, 20);
    expect(canary.pendingDeployment).toMatchObject({ config: 'ro-b', trafficPercent: 25, step: 1, steps: 2 });
    const before = traffic.stats.variants.get('b') ?? 0;
    await waitFor(async () => traffic.stats.variants.get('b') ?? 0, (n) => n > before, 5000, 20);
    const done = await waitFor(() => endpoint('ro'), (e) => e.status === 'InService', 60_000, 50);
    const stats = await traffic.stop();

    expect(stats.failures).toEqual([]);
    expect(stats.ok).toBeGreaterThan(50);
    expect(stats.variants.get('a2')).toBeGreaterThan(0);
    expect(stats.variants.get('b')).toBeGreaterThan(0);
    expect(done.config).toBe('ro-b');
    expect(done.failureReason).toBeUndefined();
    expect(done.pendingDeployment).toBeUndefined();
    expect(done.variants.map((v) => [v.name, v.currentInstanceCount])).toEqual([['b', 2]]);
    expect(messages(done).slice(-4)).toEqual([
      "Updating: Updating: starting config 'ro-b' (CANARY 25% → 100%, baking 1 s per step)",
      "Updating: Updating: canary 25% to config 'ro-b' (baking 1 s)",
      "Updating: Updating: shifting 100% to config 'ro-b' (baking 1 s)",
      "InService: Serving config 'ro-b'",
    ]);
  }, 120_000);

  it('rolls back a new model whose requests fail, on its alarm, without a failed request', async () => {
    const traffic = load('ro', 4);
    await update('ro', {
      config: 'ro-broken',
      deployment: {
        trafficRouting: { type: 'LINEAR', waitIntervalSeconds: 5, linearStepSize: { type: 'CAPACITY_PERCENT', value: 50 } },
        rollback: { alarms: [{ name: 'errors', metric: '5xxRate', threshold: 0.05, windowSeconds: 10 }] },
      },
    });
    const done = await waitFor(() => endpoint('ro'), (e) => e.status === 'InService', 60_000, 50);
    const stats = await traffic.stop();

    expect(stats.failures).toEqual([]);
    expect(done.config).toBe('ro-b');
    expect(done.failureReason).toMatch(/^rolled back: alarm 'errors' \(5xxRate 1 > 0\.05 over 10 s, \d+ requests\); update to config 'ro-broken' abandoned, serving config 'ro-b'$/);
    const history = messages(done);
    expect(history.slice(-4).map((m) => m.split(':')[0])).toEqual(['Updating', 'Updating', 'RollingBack', 'InService']);
    expect(history.at(-3)).toBe("Updating: Updating: shifting 50% to config 'ro-broken' (baking 5 s)");
    expect(history.at(-2)).toMatch(/^RollingBack: RollingBack: alarm 'errors' .*; all traffic back to config 'ro-b'$/);
    expect(stats.variants.get('broken')).toBeUndefined();
    // Blue still answers, from its own variant only.
    const after = load('ro', 2);
    await new Promise((r) => setTimeout(r, 300));
    const s = await after.stop();
    expect(s.failures).toEqual([]);
    expect([...s.variants.keys()]).toEqual(['b']);
  }, 120_000);

  it('shifts linearly in equal steps', async () => {
    await update('ro', { config: 'ro-a', deployment: { trafficRouting: { type: 'LINEAR', waitIntervalSeconds: 0, linearStepSize: { type: 'CAPACITY_PERCENT', value: 34 } } } });
    const done = await waitInService('ro');
    expect(done.config).toBe('ro-a');
    expect(messages(done).slice(-5)).toEqual([
      "Updating: Updating: starting config 'ro-a' (LINEAR 34% → 68% → 100%)",
      "Updating: Updating: shifting 34% to config 'ro-a'",
      "Updating: Updating: shifting 68% to config 'ro-a'",
      "Updating: Updating: shifting 100% to config 'ro-a'",
      "InService: Serving config 'ro-a'",
    ]);
  }, 60_000);

  it('refuses a policy that does not fit, saying what to give', async () => {
    const res = await json<{ error: { code: string; message: string } }>(
      server.api('/api/v1/endpoints/ro', { method: 'PUT', json: { config: 'ro-b', deployment: { trafficRouting: { type: 'CANARY', waitIntervalSeconds: 1 } } } }),
      400,
    );
    expect(res.error.message).toMatch(/CANARY needs canarySize/);
    const slow = await json<{ error: { message: string } }>(
      server.api('/api/v1/endpoints/ro', { method: 'PUT', json: { config: 'ro-b', deployment: { trafficRouting: { type: 'ALL_AT_ONCE', waitIntervalSeconds: 30 }, maximumExecutionTimeoutSeconds: 20 } } }),
      400,
    );
    expect(slow.error.message).toMatch(/maximumExecutionTimeoutSeconds \(20\) must be longer than the bake time/);
    expect((await endpoint('ro')).status).toBe('InService');
  });
});

describe('autoscaling', () => {
  it('scales a variant out under a load burst and back in after it, recording each decision', async () => {
    await json(server.api('/api/v1/endpoints', { method: 'POST', json: { name: 'as', config: 'as-c' } }), 201);
    await waitInService('as');
    const policy = await json<{ minInstances: number; scaleOutCooldownSeconds: number }>(
      server.api('/api/v1/endpoints/as/variants/v/scaling', {
        method: 'PUT',
        json: { minInstances: 1, maxInstances: 3, targetInvocationsPerInstancePerMinute: 120, scaleOutCooldownSeconds: 1, scaleInCooldownSeconds: 2, metricWindowSeconds: 3 },
      }),
    );
    expect(policy).toMatchObject({ minInstances: 1, scaleOutCooldownSeconds: 1 });

    const burst = load('as', 4);
    const scaled = await waitFor(() => endpoint('as'), (e) => e.variants[0].currentInstanceCount >= 2, 20_000, 100);
    expect(scaled.status).toBe('InService');
    const stats = await burst.stop();
    expect(stats.failures).toEqual([]);
    const back = await waitFor(() => endpoint('as'), (e) => e.variants[0].currentInstanceCount === 1, 20_000, 100);
    expect(back.status).toBe('InService');

    const events = await json<{ items: Array<{ action: string; fromInstances: number; toInstances: number; reason: string; invocationsPerMinute?: number }> }>(
      server.api('/api/v1/endpoints/as/scaling-events'),
    );
    const actions = events.items.map((e) => e.action).reverse();
    expect(actions[0]).toBe('scale-out');
    expect(actions.at(-1)).toBe('scale-in');
    expect(events.items[0]).toMatchObject({ action: 'scale-in', toInstances: 1 });
    expect(events.items.at(-1)!.reason).toMatch(/invocations\/min over 3 s; target 120\/instance needs [23]/);
    expect(events.items.at(-1)!.invocationsPerMinute).toBeGreaterThan(120);
  }, 90_000);

  it('scales on the busy share when a CPU target is set', async () => {
    await json(
      server.api('/api/v1/endpoints/as/variants/v/scaling', {
        method: 'PUT',
        json: { minInstances: 1, maxInstances: 2, targetInvocationsPerInstancePerMinute: 1e9, targetCpuPercent: 30, scaleOutCooldownSeconds: 1, scaleInCooldownSeconds: 1, metricWindowSeconds: 2 },
      }),
    );
    const burst = load('as', 4);
    await waitFor(() => endpoint('as'), (e) => e.variants[0].currentInstanceCount === 2, 20_000, 100);
    expect((await burst.stop()).failures).toEqual([]);
    await waitFor(() => endpoint('as'), (e) => e.variants[0].currentInstanceCount === 1, 20_000, 100);
    const events = await json<{ items: Array<{ action: string; cpuPercent?: number; reason: string }> }>(server.api('/api/v1/endpoints/as/scaling-events?limit=2'));
    expect(events.items.map((e) => e.action)).toEqual(['scale-in', 'scale-out']);
    expect(events.items[1].cpuPercent).toBeGreaterThan(30);
    expect(events.items[1].reason).toMatch(/% busy; target 1000000000\/instance and 30% busy needs 2$/);
  }, 60_000);

  it('refuses a policy for an unknown variant or with min above max', async () => {
    const put = (variant: string, body: Record<string, unknown>) => server.api(`/api/v1/endpoints/as/variants/${variant}/scaling`, { method: 'PUT', json: body });
    const unknown = await json<{ error: { message: string } }>(put('nope', { minInstances: 1, maxInstances: 2, targetInvocationsPerInstancePerMinute: 10 }), 400);
    expect(unknown.error.message).toBe("endpoint 'as' has no variant 'nope'; variants: v");
    const inverted = await json<{ error: { message: string } }>(put('v', { minInstances: 3, maxInstances: 2, targetInvocationsPerInstancePerMinute: 10 }), 400);
    expect(inverted.error.message).toBe('minInstances (3) is above maxInstances (2)');
  });

  it('keeps policies and decisions across a restart', async () => {
    const before = await json<{ items: unknown[] }>(server.api('/api/v1/endpoints/as/scaling-events'));
    await server.close();
    const again = await startTestServer({ home: server.home, logLevel: 'error' });
    try {
      const policies = await json<{ items: Array<{ variant: string; targetCpuPercent?: number }> }>(again.api('/api/v1/endpoints/as/scaling'));
      expect(policies.items).toMatchObject([{ variant: 'v', targetCpuPercent: 30 }]);
      expect(await json(again.api('/api/v1/endpoints/as/scaling-events'))).toEqual(before);
    } finally {
      await again.stop();
    }
  }, 60_000);
});
