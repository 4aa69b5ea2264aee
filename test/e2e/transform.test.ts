import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { DATASETS, startTestServer, TEST_TOKEN, waitFor, type TestServer } from '../helpers/server.js';

/*
 * Batch transform through the public API: a linear-learner model over 100,000 generated rows,
 * bad records, stop, and the CLI.
 */

let server: TestServer;
/** breast_cancer's feature rows (label dropped), as CSV text. */
let base: string[];
/** The endpoint's CSV prediction for each base row. */
let expected: string[];

interface Job {
  name: string;
  status: string;
  secondaryStatus: string;
  failureReason?: string;
  outputArtifact?: string;
  statusHistory: Array<{ status: string }>;
  transformTimeSeconds?: number;
  progress: { recordsTotal?: number; recordsProcessed: number; recordsOut: number; recordsFailed: number; failedRecords: Array<{ file: string; line: number; message: string }>; requests: number };
}

async function json<T = Record<string, unknown>>(res: Response | Promise<Response>, status = 200): Promise<T> {
  const r = await res;
  const text = await r.text();
  expect(r.status, text).toBe(status);
  return (text ? JSON.parse(text) : undefined) as T;
}

const upload = (name: string, body: string, header = false) =>
  json(server.api(`/api/v1/datasets/${name}?header=${header}`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: Readable.toWeb(Readable.from([Buffer.from(body)])) as ReadableStream,
    duplex: 'half',
  } as RequestInit), 201);

const createJob = (body: Record<string, unknown>, status = 201) => json<Job>(server.api('/api/v1/transform-jobs', { method: 'POST', json: body }), status);
const getJob = (name: string) => json<Job>(server.api(`/api/v1/transform-jobs/${name}`));
const ended = (name: string, timeoutMs = 60_000) => waitFor(() => getJob(name), (j) => !['InProgress', 'Stopping'].includes(j.status), timeoutMs, 100);

async function output(job: Job): Promise<string> {
  const key = `transform-jobs/${job.name}/output/`;
  expect(job.outputArtifact).toContain(key);
  const path = job.outputArtifact!.slice(job.outputArtifact!.indexOf(key));
  const res = await server.api(`/api/v1/artifacts/${path}`);
  expect(res.status).toBe(200);
  return res.text();
}

/** `count` rows `r<i>,<features of base row i mod n>`. */
const idRows = (count: number) => Array.from({ length: count }, (_, i) => `r${i},${base[i % base.length]}`);

beforeAll(async () => {
  server = await startTestServer();
  const lines = readFileSync(join(DATASETS, 'breast_cancer.csv'), 'utf8').trim().split('\n');
  base = lines.map((l) => l.slice(l.indexOf(',') + 1));
  await upload('bc', lines.join('\n'));
  await json(server.api('/api/v1/training-jobs', {
    method: 'POST',
    json: { name: 'bc-ll', algorithm: 'linear-learner', hyperparameters: { predictor_type: 'binary_classifier', epochs: 5 }, inputs: [{ channel: 'train', dataset: 'bc' }] },
  }), 201);
  const trained = await waitFor(() => json<{ status: string; failureReason?: string; modelArtifact?: string }>(server.api('/api/v1/training-jobs/bc-ll')), (j) => j.status !== 'InProgress');
  expect(trained.failureReason).toBeUndefined();
  await json(server.api('/api/v1/models', { method: 'POST', json: { name: 'bc-model', artifactUri: trained.modelArtifact, algorithm: 'linear-learner' } }), 201);
  // Reference predictions, endpoint-free of the transform: a small endpoint answers the base rows once.
  await json(server.api('/api/v1/endpoint-configs', { method: 'POST', json: { name: 'bc-config', variants: [{ name: 'AllTraffic', model: 'bc-model' }] } }), 201);
  await json(server.api('/api/v1/endpoints', { method: 'POST', json: { name: 'bc', config: 'bc-config' } }), 201);
  await waitFor(() => json<{ status: string }>(server.api('/api/v1/endpoints/bc')), (e) => e.status !== 'Creating', 20_000, 50);
  const res = await server.api('/endpoints/bc/invocations', { method: 'POST', headers: { 'content-type': 'text/csv', accept: 'text/csv' }, body: base.join('\n') });
  expect(res.status).toBe(200);
  expected = (await res.text()).trimEnd().split('\n');
  expect(expected).toHaveLength(base.length);
  await server.api('/api/v1/endpoints/bc', { method: 'DELETE' });
}, 120_000);
afterAll(() => server?.stop());

describe('batch transform', () => {
  it('predicts 100,000 rows in input order, joined with the input after dropping an id column', async () => {
    await upload('big', `${idRows(100_000).join('\n')}\n`);
    const t0 = Date.now();
    const created = await createJob({
      name: 'big-1',
      model: 'bc-model',
      input: { dataset: 'big', contentType: 'text/csv', splitType: 'Line' },
      accept: 'text/csv',
      batchStrategy: 'MultiRecord',
      maxPayloadInMB: 6,
      maxConcurrentTransforms: 2,
      dataProcessing: { inputFilter: '$[1:]', joinSource: 'Input' },
    });
    expect(created).toMatchObject({ status: 'InProgress', secondaryStatus: 'Starting' });
    const job = await ended('big-1');
    const seconds = (Date.now() - t0) / 1000;
    console.log(`transform of 100,000 rows: ${seconds.toFixed(1)} s end to end, ${job.transformTimeSeconds} s transforming, ${job.progress.requests} requests`);
    expect(job.failureReason).toBeUndefined();
    expect(job.status).toBe('Completed');
    expect(job.statusHistory.map((s) => s.status)).toEqual(['Starting', 'Transforming', 'Uploading', 'Completed']);
    expect(job.progress).toMatchObject({ recordsTotal: 100_000, recordsProcessed: 100_000, recordsOut: 100_000, recordsFailed: 0 });
    expect(job.outputArtifact).toMatch(/transform-jobs\/big-1\/output\/[^/]+\.csv\.out$/);

    const lines = (await output(job)).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(100_000);
    for (let i = 0; i < lines.length; i++) {
      const want = `r${i},${base[i % base.length]},${expected[i % base.length]}`;
      if (lines[i] !== want) expect(`line ${i + 1}: ${lines[i]}`).toBe(`line ${i + 1}: ${want}`);
    }
    expect(seconds).toBeLessThan(30);
  }, 60_000);

  it('keeps only what the output filter selects', async () => {
    await upload('small', `${idRows(50).join('\n')}\n`);
    await createJob({
      name: 'filtered', model: 'bc-model', input: { dataset: 'small' }, accept: 'text/csv', batchStrategy: 'SingleRecord',
      dataProcessing: { inputFilter: '$[1:]', joinSource: 'Input', outputFilter: '$[0,-1]' },
    });
    const job = await ended('filtered');
    expect(job.status).toBe('Completed');
    expect(job.progress.requests).toBe(50);
    const score = (i: number) => expected[i % base.length].split(',').at(-1);
    expect((await output(job)).trimEnd().split('\n')).toEqual(Array.from({ length: 50 }, (_, i) => `r${i},${score(i)}`));
  });

  it('fails on a bad record, naming its file and line; skips and counts bad records within maxRecordErrors', async () => {
    const rows = idRows(40);
    rows[9] = `r9,${base[9].replace(/^[^,]+/, 'abc')}`;
    rows[29] = `r29,${base[29].replace(/^[^,]+/, 'x')}`;
    await upload('dirty', `${rows.join('\n')}\n`);
    const spec = { model: 'bc-model', input: { dataset: 'dirty' }, accept: 'text/csv', dataProcessing: { inputFilter: '$[1:]', joinSource: 'Input' } };

    await createJob({ name: 'dirty-strict', ...spec });
    const failed = await ended('dirty-strict');
    expect(failed.status).toBe('Failed');
    expect(failed.failureReason).toMatch(/^ClientError: bad record at \S+\.csv line 10: /);

    await createJob({ name: 'dirty-lenient', ...spec, maxRecordErrors: 2 });
    const done = await ended('dirty-lenient');
    expect(done.failureReason).toBeUndefined();
    expect(done.status).toBe('Completed');
    expect(done.progress).toMatchObject({ recordsTotal: 40, recordsProcessed: 40, recordsOut: 38, recordsFailed: 2 });
    expect(done.progress.failedRecords.map((f) => f.line)).toEqual([10, 30]);
    expect(done.progress.failedRecords[1].message).toMatch(/column 1: 'x' is not a finite number/);
    const lines = (await output(done)).split('\n');
    expect(lines).toHaveLength(41);
    expect([lines[9], lines[29]]).toEqual(['', '']);
    expect(lines[10]).toBe(`r10,${base[10]},${expected[10]}`);
  });

  it('stops: Stopping, then Stopped with its replicas gone and no output', async () => {
    await createJob({ name: 'to-stop', model: 'bc-model', input: { dataset: 'big' }, maxRecordsPerBatch: 2, maxConcurrentTransforms: 1, dataProcessing: { inputFilter: '$[1:]' } });
    await waitFor(() => getJob('to-stop'), (j) => j.progress.recordsProcessed > 0 || j.status !== 'InProgress', 20_000, 50);
    const stopping = await json<Job>(server.api('/api/v1/transform-jobs/to-stop/stop', { method: 'POST' }), 202);
    expect(stopping.status).toBe('Stopping');
    const job = await ended('to-stop', 20_000);
    expect(job.status).toBe('Stopped');
    expect(job.statusHistory.map((s) => s.status).slice(-2)).toEqual(['Stopping', 'Stopped']);
    expect(job.progress.recordsProcessed).toBeLessThan(100_000);
    expect(job.outputArtifact).toBeUndefined();
    await json(server.api('/api/v1/transform-jobs/to-stop/stop', { method: 'POST' }), 409);
  });

  it('refuses bad requests before creating anything', async () => {
    const base = { name: 'bad-1', model: 'bc-model', input: { dataset: 'small' } };
    const err = async (body: Record<string, unknown>) => (await json<{ error: { code: string; message: string } }>(server.api('/api/v1/transform-jobs', { method: 'POST', json: body }), 400)).error;
    expect((await err({ ...base, model: 'nope' })).message).toMatch(/model 'nope' does not exist/);
    expect((await err({ ...base, input: { dataset: 'nope' } })).message).toMatch(/dataset 'nope' does not exist/);
    expect((await err({ ...base, dataProcessing: { inputFilter: 'features' } })).message).toMatch(/inputFilter 'features' is not a supported JSONPath/);
    expect((await err({ ...base, accept: 'application/jsonlines', dataProcessing: { joinSource: 'Input' } })).message).toMatch(/accept must be text\/csv/);
    expect((await err({ ...base, input: { dataset: 'small', contentType: 'application/jsonlines' } })).message).toMatch(/is csv/);
    await json(server.api('/api/v1/transform-jobs/bad-1'), 404);
  });

  it('runs from the CLI with --wait, and lists and describes jobs', async () => {
    const run = async (...args: string[]) => {
      let stdout = '';
      let stderr = '';
      const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, stdin: process.stdin, env: {}, cwd: process.cwd() };
      const code = await main(['node', 'stratus', '--url', server.url, '--token', TEST_TOKEN, ...args], io);
      return { code, stdout, stderr };
    };
    const started = await run('--json', 'transform', 'cli-1', '--model', 'bc-model', '--dataset', 'small:1', '--input-filter', '$[1:]', '--join-source', 'Input', '--accept', 'text/csv', '--batch-size', '7', '--wait');
    expect(started.code, started.stderr).toBe(0);
    const job = JSON.parse(started.stdout) as Job;
    expect(job).toMatchObject({ status: 'Completed', progress: { recordsOut: 50, requests: 8 } });
    expect(started.stderr).toContain('cli-1: ');

    const failing = await run('transform', 'cli-2', '--model', 'bc-model', '--dataset', 'dirty', '--input-filter', '$[1:]', '--wait');
    expect(failing.code).toBe(1);
    expect(failing.stderr).toMatch(/transform job cli-2 failed: ClientError: bad record at \S+ line 10/);

    const described = await run('transforms', 'describe', 'dirty-lenient');
    expect(described.stdout).toMatch(/Bad records/);
    expect(described.stdout).toMatch(/40\/40 processed, 38 predicted, 2 bad/);
    const listed = await run('transforms', 'list', '--status', 'Failed');
    expect(listed.stdout).toContain('cli-2');
    expect(listed.stdout).not.toContain('cli-1');
  });
});
