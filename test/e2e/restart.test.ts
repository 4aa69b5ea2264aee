import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedJobsDir } from '../../src/jobs/job-sandbox.js';
import { DATASETS, waitFor } from '../helpers/server.js';
import { freePort, spawnServer, type ServerProcess } from '../helpers/server-process.js';

const TOKEN = 'restart-token';
let home: string;
let port: number;
let server: ServerProcess | undefined;

const api = (path: string, init: RequestInit & { json?: unknown } = {}) =>
  fetch(server!.url + path, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string>) },
    body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
  });
const getJson = async <T>(path: string) => (await (await api(path)).json()) as T;

/** Processes whose working folder is inside the jobs folder: job processes. */
function jobProcesses(): number[] {
  const found: number[] = [];
  // As root, job folders live outside the data folder (src/jobs/job-sandbox.ts).
  const jobsDirs = [join(home, 'jobs') + '/', isolatedJobsDir(home) + '/'];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (jobsDirs.some((d) => cwd.startsWith(d))) found.push(Number(pid));
    } catch {
      // gone or not ours
    }
  }
  return found;
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'stratus-restart-'));
  port = await freePort();
  server = await spawnServer(home, port, TOKEN);
});
afterAll(async () => {
  server?.child.kill('SIGKILL');
  for (const pid of jobProcesses()) process.kill(pid, 'SIGKILL');
  await rm(home, { recursive: true, force: true });
});

describe('restart safety', () => {
  it('fails an interrupted job with a reason and brings endpoints back after SIGKILL', async () => {
    const csv = readFileSync(join(DATASETS, 'breast_cancer.csv'), 'utf8');
    expect((await api('/api/v1/datasets/bc', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv })).status).toBe(201);
    const train = (name: string, epochs: number) =>
      api('/api/v1/training-jobs', {
        method: 'POST',
        json: { name, algorithm: 'linear-learner', hyperparameters: { predictor_type: 'binary_classifier', epochs, mini_batch_size: 1 }, inputs: [{ channel: 'train', dataset: 'bc' }] },
      });
    expect((await train('quick', 2)).status).toBe(201);
    await waitFor(() => getJson<{ status: string }>('/api/v1/training-jobs/quick'), (j) => j.status === 'Completed');
    await api('/api/v1/models', { method: 'POST', json: { name: 'm', trainingJob: 'quick' } });
    await api('/api/v1/endpoint-configs', { method: 'POST', json: { name: 'c', variants: [{ name: 'AllTraffic', model: 'm' }] } });
    await api('/api/v1/endpoints', { method: 'POST', json: { name: 'e', config: 'c' } });
    await waitFor(() => getJson<{ status: string }>('/api/v1/endpoints/e'), (e) => e.status === 'InService');

    expect((await train('long', 100000)).status).toBe(201);
    await waitFor(() => getJson<{ secondaryStatus: string }>('/api/v1/training-jobs/long'), (j) => j.secondaryStatus === 'Training');
    await waitFor(async () => jobProcesses().length, (n) => n > 0, 10_000);

    server!.child.kill('SIGKILL');
    await server!.exited;
    server = await spawnServer(home, port, TOKEN);

    const job = await waitFor(() => getJson<{ status: string; failureReason?: string }>('/api/v1/training-jobs/long'), (j) => j.status !== 'InProgress', 10_000);
    expect(job.status).toBe('Failed');
    expect(job.failureReason).toMatch(/interrupted/);
    expect(jobProcesses()).toEqual([]);

    const endpoint = await waitFor(() => getJson<{ status: string }>('/api/v1/endpoints/e'), (e) => e.status === 'InService', 10_000);
    expect(endpoint.status).toBe('InService');
    const row = csv.split('\n')[0].split(',').slice(1).join(',');
    const r = await api('/endpoints/e/invocations', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: row });
    expect(r.status).toBe(200);

    server!.child.kill('SIGTERM');
    expect(await server!.exited).toBe(0);
    server = undefined;
  });
});
