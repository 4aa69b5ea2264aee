import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, startTestServer, TEST_TOKEN, type TestServer } from '../../../test/helpers/server.js';
import { StratusClient } from '../../sdk/client.js';
import type { CliIo } from '../context.js';
import { main } from '../main.js';

/* `stratus retraining …` against a real server: an endpoint, and a pipeline that declares `endpoint`. */
let server: TestServer;
let cwd: string;

async function stratus(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    stdin: Object.assign(Readable.from([]), { isTTY: true }),
    env: {},
    cwd,
  };
  const code = await main(['node', 'stratus', '--url', server.url, '--token', TEST_TOKEN, ...args], io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

async function ok(...args: string[]) {
  const r = await stratus(...args);
  expect(r.code, `stratus ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r;
}

beforeAll(async () => {
  server = await startTestServer();
  cwd = mkdtempSync(join(tmpdir(), 'stratus-retraining-cli-'));
  const client = new StratusClient({ url: server.url, token: TEST_TOKEN });
  await client.datasets.upload('bc', join(DATASETS, 'breast_cancer.csv'), { header: false });
  await client.trainingJobs.create({ name: 'bc-job', algorithm: 'linear-learner', hyperparameters: { predictor_type: 'binary_classifier', epochs: 2 }, inputs: [{ channel: 'train', dataset: 'bc' }] });
  expect((await client.trainingJobs.waitFor('bc-job', { timeoutMs: 60_000, intervalMs: 100 })).status).toBe('Completed');
  await client.models.create({ name: 'bc-model', trainingJob: 'bc-job' });
  await client.endpointConfigs.create({ name: 'bc-config', variants: [{ name: 'AllTraffic', model: 'bc-model' }] });
  for (const name of ['ep-a', 'ep-b']) await client.endpoints.create({ name, config: 'bc-config' });
  await client.pipelines.create({
    name: 'retrain',
    parameters: [{ name: 'endpoint', type: 'string' }, { name: 'rows', type: 'integer', default: 10 }],
    steps: [{ name: 'prep', type: 'processing', inputs: { bc: { dataset: 'bc' } }, sql: 'SELECT * FROM bc', output: { dataset: 'bc-prepared', header: false } }],
  });
}, 120_000);
afterAll(async () => {
  await server?.stop();
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

describe('stratus retraining', () => {
  it('sets a policy from a YAML file, flags over it, and gets it back', async () => {
    writeFileSync(join(cwd, 'policy.yaml'), 'pipeline: retrain\nschedule:\n  cron: "0 3 * * *"\nparameters:\n  rows: 5\n');
    const set = await ok('retraining', 'set', 'ep-a', '-f', 'policy.yaml', '--cron', '30 2 * * 1');
    expect(set.stdout).toMatch(/^endpoint:\s+ep-a$/m);
    expect(set.stdout).toMatch(/^schedule:\s+30 2 \* \* 1 \(UTC\)$/m);
    expect(set.stdout).toMatch(/^parameters:\s+rows=5$/m);
    const got = JSON.parse((await ok('--json', 'retraining', 'get', 'ep-a')).stdout);
    expect(got).toMatchObject({ endpoint: 'ep-a', pipeline: 'retrain', schedule: { cron: '30 2 * * 1' }, parameters: { rows: 5 } });
  });

  it('sets a policy from flags alone, and lists every policy or one endpoint\'s', async () => {
    await ok('retraining', 'set', 'ep-b', '--pipeline', 'retrain', '-p', 'rows=7');
    const all = await ok('retraining', 'list');
    expect(all.stdout).toMatch(/^ENDPOINT\s+PIPELINE\s+ON ALARM OF\s+SCHEDULE\s+PARAMETERS\s+UPDATED$/m);
    expect(all.stdout).toMatch(/^ep-a\s+retrain\s+-\s+30 2 \* \* 1\s+rows=5\s/m);
    expect(all.stdout).toMatch(/^ep-b\s+retrain\s+-\s+-\s+rows=7\s/m);
    const one = JSON.parse((await ok('--json', 'retraining', 'list', '--endpoint', 'ep-b')).stdout);
    expect(one.items.map((p: { endpoint: string }) => p.endpoint)).toEqual(['ep-b']);
  });

  it('runs the pipeline now and shows the execution on the timeline, newest last', async () => {
    const run = await ok('retraining', 'run', 'ep-a', '-p', 'rows=3');
    const execution = /started execution (\S+) of pipeline retrain/.exec(run.stdout)?.[1];
    expect(execution, run.stdout).toBeDefined();
    const timeline = await ok('endpoints', 'timeline', 'ep-a');
    const lines = timeline.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+KIND\s+WHAT$/);
    expect(lines.slice(1).some((l) => /^\S+ \S+Z\s+endpoint-status\s/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/pipeline-execution/);
    const times = lines.slice(1).map((l) => l.slice(0, 20));
    expect([...times].sort()).toEqual(times);
    const last = JSON.parse((await ok('--json', 'endpoints', 'timeline', 'ep-a', '--last', '1')).stdout);
    expect(last.items).toHaveLength(1);
    expect(last.items[0]).toMatchObject({ kind: 'pipeline-execution' });
    expect(JSON.stringify(last.items[0])).toContain(execution!);
  });

  it("prints the API's field error for a bad policy file, and a usage error without one", async () => {
    writeFileSync(join(cwd, 'bad-cron.json'), JSON.stringify({ pipeline: 'retrain', schedule: { cron: 'every day at 3' } }));
    const badCron = await stratus('retraining', 'set', 'ep-a', '-f', 'bad-cron.json');
    expect(badCron.code).toBe(1);
    expect(badCron.stderr).toMatch(/^error: .*schedule\.cron/m);
    writeFileSync(join(cwd, 'no-pipeline.yaml'), 'onAlarmOf: drift\n');
    const noPipeline = await stratus('retraining', 'set', 'ep-a', '-f', 'no-pipeline.yaml');
    expect(noPipeline.code).toBe(1);
    expect(noPipeline.stderr).toMatch(/^error: .*required property 'pipeline'/m);
    expect(noPipeline.stderr).not.toMatch(/\n\s+at /);
    const neither = await stratus('retraining', 'set', 'ep-a');
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('give -f <policy file> or --pipeline <pipeline>');
    // The policy set earlier is untouched.
    expect(JSON.parse((await ok('--json', 'retraining', 'get', 'ep-a')).stdout).schedule).toEqual({ cron: '30 2 * * 1' });
  });

  it('deletes a policy; then get is a not-found error and list leaves it out', async () => {
    expect((await ok('retraining', 'delete', 'ep-b')).stdout).toBe('deleted the retraining policy of ep-b\n');
    const gone = await stratus('retraining', 'get', 'ep-b');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^error: .*ep-b/);
    expect((await ok('retraining', 'list', '--endpoint', 'ep-b')).stdout).toBe('no retraining policies\n');
    expect((await stratus('retraining', 'delete', 'ep-b')).code).toBe(1);
  });
});
