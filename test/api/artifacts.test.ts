import { readdir } from 'node:fs/promises';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { StratusApiError, StratusClient } from '../../src/sdk/index.js';
import { DATASETS, startTestServer, TEST_TOKEN, type TestServer } from '../helpers/server.js';

const LIMIT = 3 * 1024 * 1024;
let server: TestServer;
let readerAuth: Record<string, string>;

interface ApiError {
  status: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}
interface Artifact {
  key: string;
  uri: string;
  sizeBytes: number;
  modifiedAt: string;
}

async function errorOf(res: Promise<Response>): Promise<ApiError> {
  const r = await res;
  const body = (await r.json()) as { error: Omit<ApiError, 'status'> };
  return { status: r.status, ...body.error };
}

/** Deterministic bytes, sent as a chunked stream so that no Content-Length announces the size. */
function bytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + (i >> 9)) & 0xff;
  return out;
}
function streamOf(data: Uint8Array, chunk = 64 * 1024): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= data.length) return c.close();
      c.enqueue(data.subarray(at, at + chunk));
      at += chunk;
    },
  });
}
const put = (path: string, body: NonNullable<RequestInit['body']>, headers: Record<string, string> = {}) =>
  server.api(`/api/v1/artifacts/uploads/${path}`, { method: 'PUT', body, headers, duplex: 'half' } as RequestInit);

const list = async (prefix: string) => ((await (await server.api(`/api/v1/artifacts?prefix=${encodeURIComponent(prefix)}`)).json()) as { items: Artifact[]; nextToken?: string });

beforeAll(async () => {
  server = await startTestServer({ maxUploadBytes: LIMIT });
  const key = (await (await server.api('/api/v1/api-keys', { method: 'POST', json: { role: 'reader' } })).json()) as { token: string };
  readerAuth = { authorization: `Bearer ${key.token}` };
});
afterAll(() => server?.stop());

describe('artifact uploads', () => {
  const big = bytes(1024 * 1024 + 12_345);

  it('streams an upload over 1 MiB into uploads/<path> and answers 201 with its uri', async () => {
    const r = await put('models/churn/model.tar.gz', streamOf(big), { 'content-type': 'application/gzip' });
    expect(r.status).toBe(201);
    const a = (await r.json()) as Artifact;
    expect(a).toMatchObject({ key: 'uploads/models/churn/model.tar.gz', sizeBytes: big.length });
    expect(a.uri).toMatch(/^file:\/\/.*\/uploads\/models\/churn\/model\.tar\.gz$/);
    expect(Number.isNaN(Date.parse(a.modifiedAt))).toBe(false);
  });

  it('stores a JSON body as bytes, unparsed', async () => {
    const json = '{"learner": {"not": "parsed"}}';
    const r = await put('models/x/xgboost-model.json', json, { 'content-type': 'application/json' });
    expect(r.status).toBe(201);
    expect(await (await server.api('/api/v1/artifacts/uploads/models/x/xgboost-model.json')).text()).toBe(json);
  });

  it('lists by any key prefix, paginated', async () => {
    for (const name of ['a', 'b', 'c']) expect((await put(`paged/${name}.txt`, name)).status).toBe(201);
    expect((await list('uploads/models/ch')).items.map((a) => a.key)).toEqual(['uploads/models/churn/model.tar.gz']);
    const first = (await (await server.api('/api/v1/artifacts?prefix=uploads/paged/&limit=2')).json()) as { items: Artifact[]; nextToken?: string };
    expect(first.items.map((a) => a.key)).toEqual(['uploads/paged/a.txt', 'uploads/paged/b.txt']);
    expect(first.nextToken).toBeTruthy();
    const second = (await (await server.api(`/api/v1/artifacts?prefix=uploads/paged/&limit=2&nextToken=${first.nextToken}`)).json()) as { items: Artifact[]; nextToken?: string };
    expect(second).toEqual({ items: [expect.objectContaining({ key: 'uploads/paged/c.txt', sizeBytes: 1 })] });
    const bad = await errorOf(server.api('/api/v1/artifacts?nextToken=garbage'));
    expect(bad).toMatchObject({ status: 400, code: 'ValidationError' });
  });

  it('downloads the same bytes, streamed', async () => {
    const r = await server.api('/api/v1/artifacts/uploads/models/churn/model.tar.gz');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/octet-stream');
    expect(Number(r.headers.get('content-length'))).toBe(big.length);
    expect(Buffer.from(await r.arrayBuffer()).equals(Buffer.from(big))).toBe(true);
  });

  it('refuses a body over the limit with 413 and stores nothing, streamed or announced', async () => {
    const over = bytes(LIMIT + 1);
    const streamed = await errorOf(put('too/big-streamed.bin', streamOf(over)));
    expect(streamed).toMatchObject({ status: 413, code: 'PayloadTooLarge' });
    const announced = await errorOf(put('too/big-announced.bin', over));
    expect(announced).toMatchObject({ status: 413, code: 'PayloadTooLarge' });
    expect((await list('uploads/too/')).items).toEqual([]);
    const temp = await readdir(join(server.home, 'artifacts', '.tmp')).catch(() => []);
    expect(temp).toEqual([]);
  });

  it('refuses .. and absolute paths with 400 naming the field', async () => {
    for (const path of ['..%2Fdatasets%2Fx', 'a%2F..%2F..%2Fx', '%2Fetc%2Fpasswd', 'a%2F.%2Fb', 'a%5Cb']) {
      const e = await errorOf(put(path, 'x'));
      expect(e, path).toMatchObject({ status: 400, code: 'ValidationError', details: { field: 'path' } });
      expect(e.message).toContain('path');
    }
    const long = await errorOf(put('x'.repeat(1001), 'x'));
    expect(long).toMatchObject({ status: 400, details: { field: 'path' } });
    const getUp = await errorOf(server.api('/api/v1/artifacts/uploads%2F..%2F..%2Fadmin-token'));
    expect(getUp).toMatchObject({ status: 400, details: { field: 'key' } });
  });

  it('keeps everything outside uploads/ read-only', async () => {
    const e = await errorOf(server.api('/api/v1/artifacts/training-jobs/j/output/model.tar.gz', { method: 'PUT', body: 'x' }));
    expect(e).toMatchObject({ status: 403, code: 'Forbidden' });
    expect(e.message).toContain('uploads/');
    expect((await errorOf(server.api('/api/v1/artifacts/datasets/x', { method: 'DELETE' }))).status).toBe(403);
  });

  it('lets a reader list and download but not upload or delete (403)', async () => {
    expect((await server.api('/api/v1/artifacts?prefix=uploads/', { headers: readerAuth })).status).toBe(200);
    expect((await server.api('/api/v1/artifacts/uploads/paged/a.txt', { headers: readerAuth })).status).toBe(200);
    expect(await errorOf(put('reader.txt', 'x', readerAuth))).toMatchObject({ status: 403, code: 'Forbidden' });
    expect(await errorOf(server.api('/api/v1/artifacts/uploads/paged/a.txt', { method: 'DELETE', headers: readerAuth }))).toMatchObject({ status: 403 });
    expect((await list('uploads/reader.txt')).items).toEqual([]);
  });

  it('answers 404 in the shared error shape for a missing artifact', async () => {
    const e = await errorOf(server.api('/api/v1/artifacts/uploads/missing.bin'));
    expect(e).toMatchObject({ status: 404, code: 'NotFound' });
    expect(e.message).toContain('uploads/missing.bin');
    expect((await errorOf(server.api('/api/v1/artifacts/uploads/missing.bin', { method: 'DELETE' }))).status).toBe(404);
  });

  it('deletes an upload (204), then it is gone', async () => {
    expect((await server.api('/api/v1/artifacts/uploads/paged/a.txt', { method: 'DELETE' })).status).toBe(204);
    expect((await server.api('/api/v1/artifacts/uploads/paged/a.txt')).status).toBe(404);
    expect((await server.api('/api/v1/artifacts/uploads/paged', { method: 'DELETE' })).status).toBe(204);
    expect((await list('uploads/paged/')).items).toEqual([]);
  });
});

describe('models from uploaded artifacts', () => {
  it('creates a model from an uploaded artifact', async () => {
    const [a] = (await list('uploads/models/churn/')).items;
    const r = await server.api('/api/v1/models', { method: 'POST', json: { name: 'uploaded', artifactUri: a.uri, algorithm: 'linear-learner' } });
    expect(r.status).toBe(201);
    expect(await r.json()).toMatchObject({ name: 'uploaded', algorithm: 'linear-learner', artifactUri: a.uri });
  });

  it('refuses an artifactUri that is not in the store with 400 saying how to upload it', async () => {
    const [a] = (await list('uploads/models/churn/')).items;
    const missing = a.uri.replace('churn', 'nope');
    const e = await errorOf(server.api('/api/v1/models', { method: 'POST', json: { name: 'ghost', artifactUri: missing, algorithm: 'xgboost' } }));
    expect(e).toMatchObject({ status: 400, code: 'ValidationError', details: { field: 'artifactUri' } });
    expect(e.message).toContain('not found');
    expect(e.message).toContain('PUT /api/v1/artifacts/uploads/');
    const outside = await errorOf(server.api('/api/v1/models', { method: 'POST', json: { name: 'ghost', artifactUri: 'file:///etc/passwd', algorithm: 'xgboost' } }));
    expect(outside).toMatchObject({ status: 400, details: { field: 'artifactUri' } });
    expect((await server.api('/api/v1/models/ghost')).status).toBe(404);
  });
});

describe('feature importance', () => {
  it('answers 400 naming the algorithms that have it, for a linear-learner model', async () => {
    const e = await errorOf(server.api('/api/v1/models/uploaded/feature-importance?type=gain'));
    expect(e).toMatchObject({ status: 400, code: 'ValidationError' });
    expect(e.message).toContain("algorithm 'linear-learner', which has no feature importance");
    expect(e.message).toContain('algorithms with feature importance: xgboost');
  });

  it('answers 404 for a missing model', async () => {
    expect((await errorOf(server.api('/api/v1/models/nope/feature-importance'))).status).toBe(404);
  });

  it('answers 400 for a linear-learner training job and 409 for a job that has not completed', async () => {
    const bc = readFileSync(join(DATASETS, 'breast_cancer.csv'), 'utf8');
    expect((await server.api('/api/v1/datasets/bc', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: bc })).status).toBe(201);
    const jobs = [
      { name: 'fi-linear', algorithm: 'linear-learner', hyperparameters: { predictor_type: 'binary_classifier', epochs: 1 } },
      { name: 'fi-xgb', algorithm: 'xgboost', hyperparameters: { objective: 'binary:logistic', num_round: 5 } },
    ];
    for (const job of jobs) {
      const r = await server.api('/api/v1/training-jobs', { method: 'POST', json: { ...job, inputs: [{ channel: 'train', dataset: 'bc' }] } });
      expect(r.status, await r.clone().text()).toBe(201);
    }
    const linear = await errorOf(server.api('/api/v1/training-jobs/fi-linear/feature-importance'));
    expect(linear).toMatchObject({ status: 400, code: 'ValidationError' });
    expect(linear.message).toContain('xgboost');
    const early = await errorOf(server.api('/api/v1/training-jobs/fi-xgb/feature-importance?type=weight'));
    expect(early).toMatchObject({ status: 409, code: 'FailedPrecondition' });
    expect(early.message).toContain('Completed');
    for (const job of jobs) await server.api(`/api/v1/training-jobs/${job.name}/stop`, { method: 'POST' });
  });
});

describe('through the SDK and the CLI', () => {
  const client = () => new StratusClient({ url: server.url, token: TEST_TOKEN });

  it('uploads a file with progress, lists, downloads the same bytes and deletes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdk-art-'));
    const data = bytes(1536 * 1024);
    writeFileSync(join(dir, 'm.tar.gz'), data);
    const progress: number[] = [];
    const a = await client().artifacts.upload('sdk/m v1.tar.gz', join(dir, 'm.tar.gz'), { onProgress: (sent) => progress.push(sent) });
    expect(a).toMatchObject({ key: 'uploads/sdk/m v1.tar.gz', sizeBytes: data.length });
    expect(progress.at(-1)).toBe(data.length);
    expect((await client().artifacts.list({ prefix: 'uploads/sdk/' })).items.map((i) => i.key)).toEqual(['uploads/sdk/m v1.tar.gz']);
    await client().artifacts.download(a.key, join(dir, 'copy.tar.gz'));
    expect(readFileSync(join(dir, 'copy.tar.gz')).equals(Buffer.from(data))).toBe(true);
    await client().artifacts.delete('sdk/m v1.tar.gz');
    expect((await client().artifacts.list({ prefix: 'uploads/sdk/' })).items).toEqual([]);
  });

  it('lets the server refuse a .. path instead of resolving it on the client', async () => {
    const err = await client().artifacts.upload('a/../../datasets/x', new Uint8Array([1])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StratusApiError);
    expect(err).toMatchObject({ status: 400, code: 'ValidationError', details: { field: 'path' } });
    const over = await client().artifacts.upload('too/big.bin', bytes(LIMIT + 1)).catch((e: unknown) => e);
    expect(over).toMatchObject({ status: 413, code: 'PayloadTooLarge' });
  });

  it('creates a model from a local folder with the CLI', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'cli-art-'));
    mkdirSync(join(cwd, 'model'));
    writeFileSync(join(cwd, 'model', 'manifest.json'), '{}');
    const err: string[] = [];
    const out: string[] = [];
    const io = {
      stdout: { write: (t: string) => out.push(t) },
      stderr: { write: (t: string) => err.push(t) },
      stdin: Object.assign(Readable.from([]), { isTTY: true }),
      env: {},
      cwd,
    };
    const code = await main(['node', 'stratus', '--url', server.url, '--token', TEST_TOKEN, '--json', 'models', 'create', 'from-folder', '--artifact', 'model', '--algorithm', 'linear-learner'], io);
    expect(code, err.join('')).toBe(0);
    const model = JSON.parse(out.join('')) as { artifactUri: string };
    expect(model.artifactUri).toMatch(/\/uploads\/models\/from-folder\/\d+\/model\.tar\.gz$/);
    const listed = await client().artifacts.list({ prefix: 'uploads/models/from-folder/' });
    expect(listed.items.map((i) => i.uri)).toEqual([model.artifactUri]);
  });
});
