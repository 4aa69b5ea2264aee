import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { extractArchive } from '../artifacts/archive.js';
import { startFakeServer, type FakeReply, type RecordedRequest } from '../sdk/fake-server.js';
import type { CliIo } from './context.js';
import { main } from './main.js';

type Handler = (req: RecordedRequest) => FakeReply | undefined;

let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.map((c) => c()));
  closers = [];
});

/** A fake API answering by method and path; a path ending in `*` matches by prefix. */
async function api(routes: Record<string, Handler>) {
  const server = await startFakeServer((req) => {
    const key = `${req.method} ${req.path}`;
    const route = routes[key] ?? Object.entries(routes).find(([k]) => k.endsWith('*') && key.startsWith(k.slice(0, -1)))?.[1];
    return route?.(req) ?? { status: 404, body: { error: { code: 'NotFound', message: `no route ${key}` } } };
  });
  closers.push(server.close);
  return server;
}

async function run(args: string[], url: string, cwd = tmpdir()) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    stdin: Object.assign(Readable.from([]), { isTTY: true }),
    env: {},
    cwd,
  };
  const code = await main(['node', 'stratus', '--url', url, '--token', 'tk', ...args], io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const artifactOf = (req: RecordedRequest) => {
  const key = decodeURIComponent(req.path.replace('/api/v1/artifacts/', ''));
  return { key, uri: `file:///store/${key}`, sizeBytes: req.body.length, modifiedAt: '2025-01-01T00:00:00.000Z' };
};
const uploaded = (req: RecordedRequest): FakeReply => ({ status: 201, body: artifactOf(req) });

/** The files of a recorded tar.gz body, by name. */
async function filesOf(tarGz: Buffer): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'cli-tar-'));
  await extractArchive(Readable.from([tarGz]), dir);
  const out: Record<string, string> = {};
  const walk = (sub: string) => {
    for (const d of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${d.name}` : d.name;
      if (d.isDirectory()) walk(rel);
      else out[rel] = readFileSync(join(dir, rel), 'utf8');
    }
  };
  walk('');
  return out;
}

function workdir() {
  const dir = mkdtempSync(join(tmpdir(), 'cli-art-'));
  mkdirSync(join(dir, 'bundle', 'src'), { recursive: true });
  writeFileSync(join(dir, 'bundle', 'train.py'), 'print("hi")\n');
  writeFileSync(join(dir, 'bundle', 'src', 'util.py'), 'X = 1\n');
  writeFileSync(join(dir, 'xgb.json'), '{"learner":{}}');
  return dir;
}

describe('stratus artifacts', () => {
  it('packs a folder into <folder>.tar.gz, uploads it with progress and prints the URI', async () => {
    const server = await api({ 'PUT /api/v1/artifacts/uploads/*': uploaded });
    const cwd = workdir();
    const res = await run(['artifacts', 'upload', 'bundle'], server.url, cwd);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe('file:///store/uploads/bundle.tar.gz\n');
    expect(res.stderr).toContain('packed bundle into bundle.tar.gz');
    expect(res.stderr).toMatch(/uploaded: .* in /);
    const put = server.requests.find((r) => r.method === 'PUT')!;
    expect(put.path).toBe('/api/v1/artifacts/uploads/bundle.tar.gz');
    expect(put.headers['content-type']).toBe('application/octet-stream');
    expect(await filesOf(put.body)).toEqual({ 'train.py': 'print("hi")\n', 'src/util.py': 'X = 1\n' });
  });

  it('uploads a file as it is under --as, with or without the uploads/ prefix', async () => {
    const server = await api({ 'PUT /api/v1/artifacts/uploads/*': uploaded });
    const cwd = workdir();
    const res = await run(['--json', 'artifacts', 'upload', 'xgb.json', '--as', 'uploads/models/my model.json'], server.url, cwd);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ key: 'uploads/models/my model.json', sizeBytes: 14 });
    const put = server.requests.find((r) => r.method === 'PUT')!;
    expect(put.path).toBe('/api/v1/artifacts/uploads/models/my%20model.json');
    expect(put.body.toString()).toBe('{"learner":{}}');
  });

  it('fails with a usage error for a path that does not exist', async () => {
    const server = await api({});
    const res = await run(['artifacts', 'upload', 'nope.bin'], server.url, workdir());
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("is not a file or folder here");
    expect(server.requests).toEqual([]);
  });

  it('lists every page under a prefix as a table', async () => {
    const item = (key: string) => ({ key, uri: `file:///store/${key}`, sizeBytes: 2048, modifiedAt: '2025-01-01T00:00:00.000Z' });
    const server = await api({
      'GET /api/v1/artifacts': (req) =>
        req.query.get('nextToken') === 'p2' ? { body: { items: [item('uploads/b')] } } : { body: { items: [item('uploads/a')], nextToken: 'p2' } },
    });
    const res = await run(['artifacts', 'ls', 'uploads/'], server.url);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe('KEY        SIZE     MODIFIED\nuploads/a  2.0 KiB  2025-01-01 00:00:00Z\nuploads/b  2.0 KiB  2025-01-01 00:00:00Z\n');
    expect(server.requests.map((r) => r.query.get('prefix'))).toEqual(['uploads/', 'uploads/']);
  });

  it('downloads an artifact into a file', async () => {
    const server = await api({ 'GET /api/v1/artifacts/training-jobs/j1/output/model.tar.gz': () => ({ headers: { 'content-type': 'application/octet-stream' }, body: 'tarbytes' }) });
    const cwd = workdir();
    const res = await run(['artifacts', 'download', 'training-jobs/j1/output/model.tar.gz', 'out/m.tar.gz'], server.url, cwd);
    expect(res.code, res.stderr).toBe(0);
    expect(readFileSync(join(cwd, 'out', 'm.tar.gz'), 'utf8')).toBe('tarbytes');
    expect(readdirSync(join(cwd, 'out'))).toEqual(['m.tar.gz']);
  });

  it('deletes under uploads/', async () => {
    const server = await api({ 'DELETE /api/v1/artifacts/uploads/models/a.bin': () => ({ status: 204 }) });
    const res = await run(['artifacts', 'rm', 'uploads/models/a.bin'], server.url);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toBe('deleted uploads/models/a.bin\n');
  });
});

describe('stratus models create --artifact', () => {
  const model = (req: RecordedRequest) => ({ status: 201, body: { ...JSON.parse(req.body.toString()), arn: 'arn', createdAt: '2025-01-01T00:00:00.000Z' } });

  it('packs a lone XGBoost model file as xgboost-model in model.tar.gz, uploads it, then creates the model', async () => {
    const server = await api({ 'PUT /api/v1/artifacts/uploads/*': uploaded, 'POST /api/v1/models': model });
    const res = await run(['models', 'create', 'churn', '--artifact', 'xgb.json', '--algorithm', 'xgboost'], server.url, workdir());
    expect(res.code, res.stderr).toBe(0);
    const [get, put, post] = server.requests;
    expect(`${get.method} ${get.path}`).toBe('GET /api/v1/models/churn');
    expect(put.path).toMatch(/^\/api\/v1\/artifacts\/uploads\/models\/churn\/\d+\/model\.tar\.gz$/);
    expect(await filesOf(put.body)).toEqual({ 'xgboost-model': '{"learner":{}}' });
    const body = JSON.parse(post.body.toString());
    expect(body).toEqual({ name: 'churn', artifactUri: `file:///store/${put.path.slice('/api/v1/artifacts/'.length)}`, algorithm: 'xgboost' });
    expect(res.stdout).toContain('created model churn (xgboost) from file:///store/uploads/models/churn/');
  });

  it('packs a folder, and keeps a lone file of another algorithm under its own name', async () => {
    const server = await api({ 'PUT /api/v1/artifacts/uploads/*': uploaded, 'POST /api/v1/models': model });
    const cwd = workdir();
    expect((await run(['models', 'create', 'm1', '--artifact', 'bundle', '--algorithm', 'linear-learner'], server.url, cwd)).code).toBe(0);
    expect((await run(['models', 'create', 'm2', '--artifact', 'xgb.json', '--algorithm', 'linear-learner'], server.url, cwd)).code).toBe(0);
    const puts = server.requests.filter((r) => r.method === 'PUT');
    expect(puts[0].path).toMatch(/\/models\/m1\/\d+\/bundle\.tar\.gz$/);
    expect(Object.keys(await filesOf(puts[0].body)).sort()).toEqual(['src/util.py', 'train.py']);
    expect(await filesOf(puts[1].body)).toEqual({ 'xgb.json': '{"learner":{}}' });
  });

  it('passes a URI through without uploading, and refuses a taken name before uploading', async () => {
    const server = await api({
      'POST /api/v1/models': model,
      'GET /api/v1/models/taken': () => ({ body: { name: 'taken' } }),
    });
    const uri = await run(['models', 'create', 'm', '--artifact', 'file:///store/uploads/m.tar.gz', '--algorithm', 'xgboost'], server.url);
    expect(uri.code, uri.stderr).toBe(0);
    expect(server.requests.map((r) => r.method)).toEqual(['POST']);
    const taken = await run(['models', 'create', 'taken', '--artifact', 'xgb.json', '--algorithm', 'xgboost'], server.url, workdir());
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain("model 'taken' already exists");
    expect(server.requests.filter((r) => r.method === 'PUT')).toEqual([]);
  });

  it('deletes the upload when the model cannot be created', async () => {
    const server = await api({
      'PUT /api/v1/artifacts/uploads/*': uploaded,
      'DELETE /api/v1/artifacts/uploads/*': () => ({ status: 204 }),
      'POST /api/v1/models': () => ({ status: 400, body: { error: { code: 'ValidationError', message: "unknown algorithm 'nope'" } } }),
    });
    const res = await run(['models', 'create', 'm', '--artifact', 'xgb.json', '--algorithm', 'nope'], server.url, workdir());
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("unknown algorithm 'nope'");
    const del = server.requests.find((r) => r.method === 'DELETE')!;
    expect(del.path).toBe(server.requests.find((r) => r.method === 'PUT')!.path);
  });

  it('uploads a lone .onnx as it is for --runtime onnx', async () => {
    const server = await api({ 'PUT /api/v1/artifacts/uploads/*': uploaded, 'POST /api/v1/models': model });
    const cwd = workdir();
    writeFileSync(join(cwd, 'net.onnx'), 'onnx-bytes');
    const res = await run(['models', 'create', 'net', '--artifact', 'net.onnx', '--runtime', 'onnx'], server.url, cwd);
    expect(res.code, res.stderr).toBe(0);
    const put = server.requests.find((r) => r.method === 'PUT')!;
    expect(put.path).toMatch(/\/models\/net\/\d+\/net\.onnx$/);
    expect(put.body.toString()).toBe('onnx-bytes');
    const body = JSON.parse(server.requests.find((r) => r.method === 'POST')!.body.toString());
    expect(body).toEqual({ name: 'net', artifactUri: `file:///store/${put.path.slice('/api/v1/artifacts/'.length)}`, runtime: 'onnx' });
    expect(res.stdout).toContain('created model net (onnx) from file:///store/uploads/models/net/');
  });

  it('packs and uploads --source for --runtime python, with --entry-point and --env', async () => {
    const server = await api({ 'PUT /api/v1/artifacts/uploads/*': uploaded, 'POST /api/v1/models': model });
    const res = await run(
      ['models', 'create', 'py', '--artifact', 'file:///store/uploads/m.tar.gz', '--runtime', 'python', '--source', 'bundle', '--entry-point', 'train.py', '--env', 'A=1'],
      server.url,
      workdir(),
    );
    expect(res.code, res.stderr).toBe(0);
    const put = server.requests.find((r) => r.method === 'PUT')!;
    expect(put.path).toBe('/api/v1/artifacts/uploads/sources/model-py/sourcedir.tar.gz');
    expect(Object.keys(await filesOf(put.body)).sort()).toEqual(['src/util.py', 'train.py']);
    const body = JSON.parse(server.requests.find((r) => r.method === 'POST')!.body.toString());
    expect(body).toEqual({
      name: 'py', artifactUri: 'file:///store/uploads/m.tar.gz', runtime: 'python',
      source: 'file:///store/uploads/sources/model-py/sourcedir.tar.gz', entryPoint: 'train.py', environment: { A: '1' },
    });
  });

  it('refuses --source without a runtime that runs code, and an unknown --runtime', async () => {
    const server = await api({});
    expect((await run(['models', 'create', 'm', '--artifact', 'x.tar.gz', '--algorithm', 'xgboost', '--source', 'bundle'], server.url)).code).toBe(2);
    expect((await run(['models', 'create', 'm', '--artifact', 'x.tar.gz', '--runtime', 'gpu'], server.url)).code).not.toBe(0);
    expect(server.requests).toEqual([]);
  });

  it('needs --job, or --artifact with --algorithm', async () => {
    const server = await api({});
    expect((await run(['models', 'create', 'm'], server.url)).code).toBe(2);
    expect((await run(['models', 'create', 'm', '--artifact', 'x.tar.gz'], server.url)).code).toBe(2);
    expect((await run(['models', 'create', 'm', '--job', 'j', '--algorithm', 'xgboost'], server.url)).code).toBe(2);
    expect(server.requests).toEqual([]);
  });
});

describe('stratus models importance', () => {
  it('prints features most important first with bars scaled to the largest', async () => {
    const server = await api({
      'GET /api/v1/models/churn/feature-importance': (req) => ({
        body: { model: 'churn', algorithm: 'xgboost', type: req.query.get('type'), features: [{ feature: 'tenure', value: 12 }, { feature: 'f3', value: 3 }, { feature: 'f0', value: 0.1 }] },
      }),
    });
    const res = await run(['models', 'importance', 'churn', '--type', 'total_gain'], server.url);
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^FEATURE\s+TOTAL_GAIN$/);
    expect(lines[1]).toMatch(/^tenure\s+12\s+▇{30}$/);
    expect(lines[2]).toMatch(/^f3\s+3\s+▇{8}$/);
    expect(lines[3]).toMatch(/^f0\s+0\.1\s+▇$/);
    expect(server.requests[0].query.get('type')).toBe('total_gain');
  });

  it('shows the API error for an algorithm without importance', async () => {
    const message = "model 'bc' uses algorithm 'linear-learner', which has no feature importance; algorithms with feature importance: xgboost";
    const server = await api({ 'GET /api/v1/models/bc/feature-importance': () => ({ status: 400, body: { error: { code: 'ValidationError', message } } }) });
    const res = await run(['models', 'importance', 'bc'], server.url);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(`error: ${message}\n`);
    expect(server.requests[0].query.get('type')).toBe('gain');
  });
});
