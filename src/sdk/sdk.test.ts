import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeServer, type FakeHandler } from './fake-server.js';
import { findLocalToken, listAll, SseParser, StratusApiError, StratusClient, type LogEvent, type ServerSentEvent } from './index.js';
import { parseSse } from './sse.js';

let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.map((c) => c()));
  closers = [];
});

async function serve(handler: FakeHandler) {
  const server = await startFakeServer(handler);
  closers.push(server.close);
  return { server, client: new StratusClient({ url: server.url + '/', token: 't0k' }) };
}

const job = (status: string) => ({ name: 'j1', status, secondaryStatus: status, finalMetrics: [] });

describe('SseParser', () => {
  it('parses events split across chunks at any point', () => {
    const text = 'event: log\ndata: line one\n\n: a comment\nevent: end\r\ndata: {"status":"Completed"}\r\n\r\n';
    for (let cut = 0; cut <= text.length; cut++) {
      const p = new SseParser();
      const events = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))];
      expect(events).toEqual([
        { event: 'log', data: 'line one' },
        { event: 'end', data: '{"status":"Completed"}' },
      ]);
    }
  });

  it('joins multi-line data, defaults the event name and keeps the id', () => {
    const events = new SseParser().push('id: 7\ndata:a\ndata: b\n\ndata\n\nevent: x\n\n');
    expect(events).toEqual([
      { event: 'message', data: 'a\nb', id: '7' },
      { event: 'message', data: '', id: '7' },
    ]);
  });

  it('treats a lone CR as a line ending, also at a chunk boundary', () => {
    const p = new SseParser();
    const events = [...p.push('data: a\r'), ...p.push('\r'), ...p.push('data: b\r\n\r\n')];
    expect(events).toEqual([{ event: 'message', data: 'a' }, { event: 'message', data: 'b' }]);
  });

  it('drops an unterminated event at the end of the stream and decodes split UTF-8', async () => {
    const bytes = new TextEncoder().encode('data: é\n\ndata: partial');
    async function* body() {
      yield bytes.slice(0, 7); // splits the two bytes of é
      yield bytes.slice(7);
    }
    const events: ServerSentEvent[] = [];
    for await (const ev of parseSse(body())) events.push(ev);
    expect(events).toEqual([{ event: 'message', data: 'é' }]);
  });
});

describe('errors', () => {
  it('parses the API error body', async () => {
    const { client } = await serve(() => ({
      status: 404,
      body: { error: { code: 'NotFound', message: "dataset 'x' not found", details: { kind: 'dataset' }, requestId: 'r-1' } },
    }));
    const err = await client.datasets.get('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StratusApiError);
    expect(err).toMatchObject({ status: 404, code: 'NotFound', message: "dataset 'x' not found", details: { kind: 'dataset' }, requestId: 'r-1' });
  });

  it('makes a sensible error of a body that is not JSON', async () => {
    const { client } = await serve(() => ({ status: 502, body: '<html>Bad Gateway</html>' }));
    const err = await client.models.list().catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 502, code: 'InternalError' });
    expect((err as Error).message).toContain('HTTP 502');
    expect((err as Error).message).toContain('Bad Gateway');
  });

  it('names the URL and how to start the server when nothing listens', async () => {
    const { server } = await serve(() => ({}));
    await server.close();
    const client = new StratusClient({ url: server.url });
    const err = await client.health().catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 0, code: 'Unreachable', details: { reason: 'ECONNREFUSED' } });
    expect((err as Error).message).toBe(`cannot reach Stratus at ${server.url}: is the server running? start it with \`npm start\``);
  });

  it('rejects a 2xx answer that is not JSON', async () => {
    const { client } = await serve(() => ({ body: 'not json' }));
    await expect(client.algorithms.list()).rejects.toMatchObject({ code: 'InvalidResponse' });
  });
});

describe('requests', () => {
  it('sends the bearer token, JSON bodies and encoded path segments', async () => {
    const { client, server } = await serve(() => ({ status: 201, body: { name: 'a b' } }));
    await client.models.create({ name: 'm1', trainingJob: 'j1' });
    await client.datasets.getVersion('a/b', 2);
    const [create, get] = server.requests;
    expect(create).toMatchObject({ method: 'POST', path: '/api/v1/models' });
    expect(create.headers.authorization).toBe('Bearer t0k');
    expect(create.headers['content-type']).toBe('application/json');
    expect(JSON.parse(create.body.toString())).toEqual({ name: 'm1', trainingJob: 'j1' });
    expect(get.path).toBe('/api/v1/datasets/a%2Fb/versions/2');
  });

  it('returns undefined for 204 and puts list filters in the query', async () => {
    const { client, server } = await serve((req) => (req.method === 'DELETE' ? { status: 204 } : { body: { items: [] } }));
    await expect(client.endpoints.delete('e1')).resolves.toBeUndefined();
    await client.trainingJobs.list({ status: 'Failed', limit: 5 });
    expect(server.requests[1].query.toString()).toBe('status=Failed&limit=5');
  });

  it('streams an upload from disk with format, header and progress', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdk-'));
    const file = join(dir, 'data.csv');
    const content = '1,2,3\n'.repeat(50_000);
    writeFileSync(file, content);
    const { client, server } = await serve(() => ({ status: 201, body: { dataset: 'd', version: 1 } }));
    const progress: [number, number][] = [];
    const v = await client.datasets.upload('d', file, { header: false, onProgress: (s, t) => progress.push([s, t]) });
    expect(v.version).toBe(1);
    const req = server.requests[0];
    expect(req.path).toBe('/api/v1/datasets/d');
    expect(req.query.get('format')).toBe('csv');
    expect(req.query.get('header')).toBe('false');
    expect(req.headers['content-type']).toBe('text/csv');
    expect(req.body.toString()).toBe(content);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toEqual([content.length, content.length]);
  });

  it('uploads bytes as octet-stream when the format is unknown', async () => {
    const { client, server } = await serve(() => ({ status: 201, body: {} }));
    await client.datasets.upload('d', Buffer.from('{"a":1}\n'));
    expect(server.requests[0].headers['content-type']).toBe('application/octet-stream');
    expect(server.requests[0].query.has('format')).toBe(false);
  });

  it('invokes an endpoint on the runtime path with variant headers', async () => {
    const { client, server } = await serve(() => ({
      headers: { 'content-type': 'application/json', 'x-amzn-invoked-production-variant': 'B' },
      body: '{"predictions":[{"score":0.9}]}',
    }));
    const res = await client.endpoints.invoke('ep', '1,2,3', { targetVariant: 'B', accept: 'application/json' });
    expect(res).toEqual({ body: '{"predictions":[{"score":0.9}]}', contentType: 'application/json', variant: 'B' });
    const req = server.requests[0];
    expect(req.path).toBe('/endpoints/ep/invocations');
    expect(req.headers['content-type']).toBe('text/csv');
    expect(req.headers['x-amzn-sagemaker-target-variant']).toBe('B');
    expect(req.body.toString()).toBe('1,2,3');
  });
});

describe('artifacts and feature importance', () => {
  it('uploads to uploads/<path> with a Content-Length, keeping slashes and encoding each segment', async () => {
    const { client, server } = await serve((req) => ({ status: 201, body: { key: 'k', uri: 'u', sizeBytes: req.body.length, modifiedAt: 'now' } }));
    const progress: number[] = [];
    const a = await client.artifacts.upload('models/my model/model.tar.gz', Buffer.from('abc'), { onProgress: (s) => progress.push(s) });
    expect(a.sizeBytes).toBe(3);
    const req = server.requests[0];
    expect(req).toMatchObject({ method: 'PUT', path: '/api/v1/artifacts/uploads/models/my%20model/model.tar.gz' });
    expect(req.headers['content-type']).toBe('application/octet-stream');
    expect(req.headers['content-length']).toBe('3');
    expect(progress.at(-1)).toBe(3);
  });

  it('sends a path with dot segments as one encoded segment, so the server sees and refuses it', async () => {
    const { client, server } = await serve(() => ({ status: 204 }));
    await client.artifacts.delete('a/../../datasets/x');
    expect(server.requests[0].path).toBe('/api/v1/artifacts/uploads/a%2F..%2F..%2Fdatasets%2Fx');
  });

  it('downloads into a file, leaving no partial file on failure', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdk-dl-'));
    const { client } = await serve((req) =>
      req.path.endsWith('/missing') ? { status: 404, body: { error: { code: 'NotFound', message: 'no' } } } : { body: 'payload' },
    );
    await client.artifacts.download('uploads/x', join(dir, 'sub', 'x.bin'));
    expect(readFileSync(join(dir, 'sub', 'x.bin'), 'utf8')).toBe('payload');
    await expect(client.artifacts.download('uploads/missing', join(dir, 'm.bin'))).rejects.toMatchObject({ status: 404 });
    expect(readdirSync(dir)).toEqual(['sub']);
  });

  it('asks for feature importance of a model or a training job, gain by default', async () => {
    const { client, server } = await serve(() => ({ body: { algorithm: 'xgboost', type: 'gain', features: [] } }));
    await client.models.featureImportance('m1');
    await client.trainingJobs.featureImportance('j1', 'weight');
    expect(server.requests.map((r) => `${r.path}?${r.query}`)).toEqual([
      '/api/v1/models/m1/feature-importance?type=gain',
      '/api/v1/training-jobs/j1/feature-importance?type=weight',
    ]);
  });
});

describe('logs', () => {
  it('follows the log stream until the end event', async () => {
    const { client, server } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: log\ndata: epoch 1\n\n');
      setTimeout(() => res.end('event: log\ndata: epoch 2\n\nevent: end\ndata: {"status":"Completed"}\n\n'), 20);
    });
    const events: LogEvent[] = [];
    for await (const ev of client.trainingJobs.followLogs('j1')) events.push(ev);
    expect(events).toEqual([
      { type: 'log', line: 'epoch 1' },
      { type: 'log', line: 'epoch 2' },
      { type: 'end', status: 'Completed' },
    ]);
    expect(server.requests[0].query.get('follow')).toBe('true');
    expect(server.requests[0].headers.accept).toBe('text/event-stream');
  });

  it('stops quietly when the signal aborts', async () => {
    const { client } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: log\ndata: first\n\n');
    });
    const ac = new AbortController();
    const lines: string[] = [];
    for await (const ev of client.trainingJobs.followLogs('j1', { signal: ac.signal })) {
      if (ev.type === 'log') lines.push(ev.line);
      ac.abort();
    }
    expect(lines).toEqual(['first']);
  });

  it('reads the whole log as text', async () => {
    const { client } = await serve(() => ({ headers: { 'content-type': 'text/plain' }, body: 'a\nb\n' }));
    await expect(client.trainingJobs.logs('j1')).resolves.toBe('a\nb\n');
  });
});

describe('waiting and paging', () => {
  it('polls a training job until it ends, reporting each state', async () => {
    const states = ['InProgress', 'InProgress', 'Failed'];
    const { client } = await serve(() => ({ body: job(states.shift() ?? 'Failed') }));
    const seen: string[] = [];
    const final = await client.trainingJobs.waitFor('j1', { intervalMs: 5, onUpdate: (j) => seen.push(j.status) });
    expect(final.status).toBe('Failed');
    expect(seen).toEqual(['InProgress', 'InProgress', 'Failed']);
  });

  it('times out', async () => {
    const { client } = await serve(() => ({ body: job('InProgress') }));
    await expect(client.trainingJobs.waitFor('j1', { intervalMs: 5, timeoutMs: 30 })).rejects.toMatchObject({ code: 'Timeout' });
  });

  it('throws when an endpoint fails while waiting for InService', async () => {
    const { client } = await serve(() => ({ body: { name: 'e1', status: 'Failed', failureReason: 'model not found' } }));
    await expect(client.endpoints.waitFor('e1', 'InService', { intervalMs: 5 })).rejects.toThrow('endpoint e1 failed: model not found');
  });

  it('iterates over every page', async () => {
    const { client, server } = await serve((req) =>
      req.query.get('nextToken') === 'p2' ? { body: { items: [{ name: 'c' }] } } : { body: { items: [{ name: 'a' }, { name: 'b' }], nextToken: 'p2' } },
    );
    const names: string[] = [];
    for await (const m of client.models.listAll({ nameContains: 'x' })) names.push(m.name);
    expect(names).toEqual(['a', 'b', 'c']);
    expect(server.requests[1].query.toString()).toBe('nameContains=x&nextToken=p2');
    const viaHelper: string[] = [];
    for await (const d of listAll((q) => client.datasets.list(q))) viaHelper.push(d.name);
    expect(viaHelper).toEqual(['a', 'b', 'c']);
  });
});

describe('findLocalToken', () => {
  it('prefers STRATUS_TOKEN, then <STRATUS_HOME>/admin-token', () => {
    const home = mkdtempSync(join(tmpdir(), 'home-'));
    expect(findLocalToken({ STRATUS_TOKEN: 'env-token', STRATUS_HOME: home })).toBe('env-token');
    expect(findLocalToken({ STRATUS_HOME: home })).toBeUndefined();
    writeFileSync(join(home, 'admin-token'), 'file-token\n');
    expect(findLocalToken({ STRATUS_HOME: home })).toBe('file-token');
  });

  it('defaults to ./.stratus under the working folder', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'cwd-'));
    expect(findLocalToken({}, cwd)).toBeUndefined();
  });
});
