import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.js';
import { ProcessReplica, type ProcessLaunch } from './process-replica.js';

/** A server that follows the contract; its behaviour is steered by the request body. */
const SERVER = `
const http = require('node:http');
let healthy = true;
http.createServer((req, res) => {
  if (req.url === '/ping') { res.writeHead(healthy ? 200 : 500); return res.end(); }
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    if (body === 'sleep') return setTimeout(() => res.end('late'), 5000);
    if (body === 'fail') { res.writeHead(400, { 'content-type': 'text/plain' }); return res.end('bad input: fail'); }
    if (body === 'sick') healthy = false;
    if (body === 'exit') process.exit(3);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ body, contentType: req.headers['content-type'], accept: req.headers.accept, pid: process.pid, token: process.env.STRATUS_TOKEN ?? null }));
  });
}).listen(Number(process.env.SAGEMAKER_BIND_TO_PORT), '127.0.0.1');
`;

let dir: string;
let launch: ProcessLaunch;
const log = createLogger({ level: 'silent' });
const options = { log, label: "variant 'test'", invocationTimeoutMs: 1000, maxResponseBytes: 1 << 20, pingIntervalMs: 100, unhealthyAfter: 2, stopGraceMs: 2000 };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'process-replica-'));
  await writeFile(join(dir, 'server.cjs'), SERVER);
  launch = { command: process.execPath, args: ['server.cjs'], cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } };
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const text = (b: Buffer | string) => (typeof b === 'string' ? b : b.toString('utf8'));

describe('ProcessReplica', () => {
  it('becomes ready on /ping 200, passes body and media types through, and gets a clean environment', async () => {
    const r = new ProcessReplica(launch, options, () => undefined);
    await r.ready;
    const out = await r.invoke({ body: Buffer.from('1,2'), contentType: 'text/csv', accept: 'application/json' });
    expect(out.contentType).toBe('application/json');
    expect(JSON.parse(text(out.body))).toMatchObject({ body: '1,2', contentType: 'text/csv', accept: 'application/json', pid: r.pid, token: null });
    await r.drainAndStop();
    expect(r.alive).toBe(false);
  });

  it('reports a non-2xx answer as ModelError with the original status, and a slow one as ModelTimeout', async () => {
    const r = new ProcessReplica(launch, options, () => undefined);
    await r.ready;
    await expect(r.invoke({ body: 'fail', contentType: 'text/plain', accept: undefined })).rejects.toMatchObject({
      code: 'ModelError',
      message: 'the model answered 400: bad input: fail',
      details: { originalStatusCode: 400 },
    });
    await expect(r.invoke({ body: 'sleep', contentType: undefined, accept: undefined })).rejects.toMatchObject({ code: 'ModelTimeout' });
    expect(r.alive).toBe(true);
    await r.drainAndStop();
  });

  it('dies when the process exits or fails its health checks, and says why', async () => {
    const deaths: string[] = [];
    const a = new ProcessReplica(launch, options, (_r, reason) => deaths.push(reason));
    await a.ready;
    await expect(a.invoke({ body: 'exit', contentType: undefined, accept: undefined })).rejects.toMatchObject({ code: 'Unavailable' });
    expect(deaths).toEqual(['the model\'s process exited (code 3)']);

    const b = new ProcessReplica(launch, options, (_r, reason) => deaths.push(reason));
    await b.ready;
    await b.invoke({ body: 'sick', contentType: undefined, accept: undefined });
    await expect.poll(() => b.alive, { timeout: 3000 }).toBe(false);
    expect(deaths[1]).toMatch(/failed 2 health checks in a row \(GET \/ping answered 500\)/);
    await b.drainAndStop();
  });

  it('fails to start with the last lines of output when the server exits at once', async () => {
    const bad = { ...launch, args: ['-e', 'console.error("no model here"); process.exit(2)'] };
    const r = new ProcessReplica(bad, options, () => undefined);
    await expect(r.ready).rejects.toThrow(/exited while starting with code 2; its last output:\nno model here/);
  });
});
