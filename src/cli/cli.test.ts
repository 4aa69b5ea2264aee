import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeServer, type FakeReply, type RecordedRequest } from '../sdk/fake-server.js';
import { configName } from './commands/endpoints.js';
import { defaultUrl, type CliIo } from './context.js';
import { formatDuration, table } from './format.js';
import { latestText } from './job-watch.js';
import { main } from './main.js';
import { datasetRef, variant } from './parse.js';

type Routes = Record<string, (req: RecordedRequest) => FakeReply | undefined>;

let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.map((c) => c()));
  closers = [];
});

async function api(routes: Routes) {
  const server = await startFakeServer((req, res) => {
    if (req.path.endsWith('/logs') && req.query.get('follow') === 'true') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      return void res.end('event: log\ndata: epoch 1 loss 0.5\n\nevent: end\ndata: {"status":"Completed"}\n\n');
    }
    const route = routes[`${req.method} ${req.path}`];
    return route?.(req) ?? { status: 404, body: { error: { code: 'NotFound', message: `no route ${req.method} ${req.path}` } } };
  });
  closers.push(server.close);
  return server;
}

async function run(args: string[], url = 'http://127.0.0.1:1') {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    stdin: Object.assign(Readable.from([]), { isTTY: true }),
    env: {},
    cwd: tmpdir(),
  };
  const code = await main(['node', 'stratus', '--url', url, '--token', 'tk', ...args], io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const job = (status: string, extra: object = {}) => ({
  name: 'j1', arn: 'arn', algorithm: 'linear-learner', hyperparameters: { epochs: '10' },
  inputs: [{ channel: 'train', dataset: 'bc', version: 1 }], resources: { instanceType: 'ml.m5.large', instanceCount: 1 },
  stoppingCondition: { maxRuntimeInSeconds: 60 }, metricDefinitions: [], status, secondaryStatus: status,
  statusHistory: [{ status: 'Starting', startTime: '2025-01-01T00:00:00.000Z' }], finalMetrics: [],
  createdAt: '2025-01-01T00:00:00.000Z', updatedAt: '2025-01-01T00:00:00.000Z', ...extra,
});

describe('stratus train --wait', () => {
  it('creates the job from the flags, follows it and prints the ended job as JSON', async () => {
    const states = ['InProgress', 'Completed'];
    const server = await api({
      'POST /api/v1/training-jobs': () => ({ status: 201, body: job('InProgress') }),
      'GET /api/v1/training-jobs/j1': () => ({ body: job(states.length > 1 ? states.shift()! : states[0]) }),
      'GET /api/v1/training-jobs/j1/metrics': () => ({ body: { metrics: [{ name: 'loss', value: 0.25, step: 1, timestamp: '2025-01-01T00:00:00Z' }] } }),
    });
    const res = await run(
      ['--json', 'train', 'j1', '--algorithm', 'linear-learner', '--train', 'bc:1', '--validation', 'bcv', '--target-column', 'y', '--hp', 'epochs=10', '--hp', 'predictor_type=binary_classifier', '--max-runtime', '60', '--wait'],
      server.url,
    );
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).status).toBe('Completed');
    expect(res.stderr).toContain('epoch 1 loss 0.5');
    const create = server.requests.find((r) => r.method === 'POST')!;
    expect(JSON.parse(create.body.toString())).toEqual({
      name: 'j1', algorithm: 'linear-learner',
      inputs: [{ channel: 'train', dataset: 'bc', version: 1, targetColumn: 'y' }, { channel: 'validation', dataset: 'bcv', targetColumn: 'y' }],
      hyperparameters: { epochs: '10', predictor_type: 'binary_classifier' },
      stoppingCondition: { maxRuntimeInSeconds: 60 },
    });
  });

  it('exits 1 with the failure reason when the job fails', async () => {
    const server = await api({
      'POST /api/v1/training-jobs': () => ({ status: 201, body: job('InProgress') }),
      'GET /api/v1/training-jobs/j1': () => ({ body: job('Failed', { failureReason: 'label column y not found' }) }),
      'GET /api/v1/training-jobs/j1/metrics': () => ({ body: { metrics: [] } }),
    });
    const res = await run(['train', 'j1', '--algorithm', 'linear-learner', '--train', 'bc', '--wait'], server.url);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('error: training job j1 failed: label column y not found');
    expect(res.stdout).toContain('Status history');
  });
});

describe('errors and output', () => {
  it('prints an API error as one error line with its hint, no stack', async () => {
    const server = await api({ 'GET /api/v1/models/m': () => ({ status: 401, body: { error: { code: 'Unauthenticated', message: 'bad token' } } }) });
    const res = await run(['models', 'describe', 'm'], server.url);
    expect(res).toMatchObject({ code: 1, stdout: '' });
    expect(res.stderr).toBe('error: bad token\nhint: pass --token, set STRATUS_TOKEN, or run where the server keeps .stratus/admin-token\n');
  });

  it('says how to start the server when it is unreachable', async () => {
    const res = await run(['jobs', 'list']);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('error: cannot reach Stratus at http://127.0.0.1:1: is the server running? start it with `npm start`\n');
  });

  it('exits 2 on usage errors', async () => {
    expect((await run(['train', 'x', '--train', 'd'])).code).toBe(2);
    expect((await run(['jobs', 'list', '--status', 'Bogus'])).code).toBe(2);
    const both = await run(['endpoints', 'invoke', 'e', '--body', 'a', '--file', 'b']);
    expect(both).toMatchObject({ code: 2, stderr: 'error: give --body or --file, not both\n' });
  });

  it('prints lists as tables, or as JSON only with --json', async () => {
    const page = { items: [{ name: 'm1', arn: 'a', algorithm: 'linear-learner', artifactUri: 'file:///x', trainingJob: 'j1', createdAt: '2025-01-01T00:00:00.000Z' }] };
    const server = await api({ 'GET /api/v1/models': () => ({ body: page }) });
    const text = await run(['models', 'list'], server.url);
    expect(text.stdout).toBe('NAME  RUNTIME         TRAINING JOB  CREATED\nm1    linear-learner  j1            2025-01-01 00:00:00Z\n');
    const json = await run(['models', 'list', '--json'], server.url);
    expect(JSON.parse(json.stdout)).toEqual(page);
  });
});

describe('endpoints and datasets', () => {
  it('creates a one-variant config for --model, then the endpoint', async () => {
    const server = await api({
      'POST /api/v1/endpoint-configs': (r) => ({ status: 201, body: { ...JSON.parse(r.body.toString()), arn: 'a', createdAt: '' } }),
      'POST /api/v1/endpoints': (r) => ({ status: 201, body: { ...JSON.parse(r.body.toString()), status: 'Creating', variants: [], statusHistory: [] } }),
    });
    const res = await run(['endpoints', 'create', 'ep', '--model', 'm1', '--instance-count', '2'], server.url);
    expect(res.code).toBe(0);
    const config = JSON.parse(server.requests[0].body.toString());
    expect(config.name).toMatch(/^ep-config-\d{13}$/);
    expect(config.variants).toEqual([{ name: 'AllTraffic', model: 'm1', instanceCount: 2 }]);
    expect(JSON.parse(server.requests[1].body.toString())).toEqual({ name: 'ep', config: config.name });
  });

  it('invokes with the body from a file and prints the variant on stderr', async () => {
    const server = await api({
      'POST /endpoints/ep/invocations': () => ({ headers: { 'content-type': 'application/json', 'x-amzn-invoked-production-variant': 'AllTraffic' }, body: '{"predictions":[]}' }),
    });
    const file = join(mkdtempSync(join(tmpdir(), 'cli-')), 'row.csv');
    writeFileSync(file, '1,2,3\n');
    const res = await run(['endpoints', 'invoke', 'ep', '--file', file], server.url);
    expect(res).toMatchObject({ code: 0, stdout: '{"predictions":[]}\n', stderr: 'variant: AllTraffic\n' });
    expect(server.requests[0].body.toString()).toBe('1,2,3\n');
  });

  it('uploads a dataset with --no-header and reports the new version', async () => {
    const server = await api({
      'POST /api/v1/datasets/bc': () => ({ status: 201, body: { dataset: 'bc', version: 2, rows: 3, columns: [{}, {}], format: 'csv' } }),
    });
    const file = join(mkdtempSync(join(tmpdir(), 'cli-')), 'bc.csv');
    writeFileSync(file, '0,1\n1,2\n0,3\n');
    const res = await run(['datasets', 'upload', 'bc', file, '--no-header'], server.url);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('bc version 2: 3 rows, 2 columns (csv)\n');
    expect(res.stderr).toMatch(/^uploaded: 12 B in/);
    expect(server.requests[0].query.get('header')).toBe('false');
  });
});

describe('helpers', () => {
  it('parses variants and dataset references', () => {
    expect(variant('name=v1,model=m1,weight=0.5,count=2,type=ml.c5.xlarge')).toEqual({ name: 'v1', model: 'm1', weight: 0.5, instanceCount: 2, instanceType: 'ml.c5.xlarge' });
    expect(() => variant('name=v1,model=m1,colour=red')).toThrow('unknown variant key colour');
    expect(datasetRef('bc')).toEqual({ dataset: 'bc' });
    expect(datasetRef('bc:3')).toEqual({ dataset: 'bc', version: 3 });
    expect(() => datasetRef('bc:x')).toThrow();
  });

  it('keeps generated config names valid', () => {
    expect(configName('ep', 1700000000000)).toBe('ep-config-1700000000000');
    const long = configName('a'.repeat(70), 1700000000000);
    expect(long).toHaveLength(63);
    expect(long).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/);
  });

  it('derives the default URL from the environment', () => {
    expect(defaultUrl({})).toBe('http://127.0.0.1:8080');
    expect(defaultUrl({ STRATUS_PORT: '9000' })).toBe('http://127.0.0.1:9000');
    expect(defaultUrl({ STRATUS_HOST: '0.0.0.0', STRATUS_PORT: '9000' })).toBe('http://127.0.0.1:9000');
    expect(defaultUrl({ STRATUS_URL: 'http://x:1', STRATUS_PORT: '9000' })).toBe('http://x:1');
  });

  it('formats tables, durations and latest metrics', () => {
    expect(table(['a', 'bb'], [['xxx', 1.23456789], [undefined, 2]])).toBe('A    BB\nxxx  1.23457\n-    2');
    expect(formatDuration(185)).toBe('3m05s');
    const at = '2025-01-01T00:00:00Z';
    expect(latestText([{ name: 'loss', value: 2, step: 1, timestamp: at }, { name: 'loss', value: 1, step: 2, timestamp: at }, { name: 'acc', value: 0.9, step: 2, timestamp: at }])).toBe('loss=1 acc=0.9');
  });
});
