/**
 * The README walkthrough, through the `stratus` CLI only, against a real server started with
 * `stratus server`: upload → train → model → endpoint → invoke → clean up → shut down.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnServer } from '../helpers/server-process.js';
import { DATASETS } from '../helpers/shared.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/stratus.mjs');
const SOURCE = join(DATASETS, 'breast_cancer.csv');
const TOKEN = 'test-token';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

let home: string;
let url: string;
let server: ChildProcess;
let serverOutput = () => '';

/** The environment without STRATUS_* settings of whoever runs the tests. */
const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('STRATUS_')));

function stratus(...args: string[]): Promise<Result> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, '--url', url, '--token', TOKEN, ...args], { cwd: home, env: cleanEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** Runs a command that must succeed, showing its output when it does not. */
async function ok(...args: string[]): Promise<Result> {
  const res = await stratus(...args);
  const context = `stratus ${args.join(' ')}\n${res.stderr}\n${res.stdout}\n--- server log (tail) ---\n${serverOutput().slice(-3000)}`;
  expect(res.code, context).toBe(0);
  return res;
}

async function okJson<T>(...args: string[]): Promise<T> {
  return JSON.parse((await ok('--json', ...args)).stdout) as T;
}

/** Splits the labelled CSV 80/20 after a seeded shuffle, so runs are repeatable. */
function splitDataset(dir: string): { train: string; validation: string; row: string } {
  const lines = readFileSync(SOURCE, 'utf8').trim().split('\n');
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = lines.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [lines[i], lines[j]] = [lines[j], lines[i]];
  }
  const cut = Math.floor(lines.length * 0.8);
  const train = join(dir, 'train.csv');
  const validation = join(dir, 'validation.csv');
  writeFileSync(train, lines.slice(0, cut).join('\n') + '\n');
  writeFileSync(validation, lines.slice(cut).join('\n') + '\n');
  // An inference row is the features without the label (the first column).
  return { train, validation, row: lines[cut].split(',').slice(1).join(',') };
}

function exitOf(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((done, fail) => {
    if (child.exitCode !== null) return done(child.exitCode);
    const timer = setTimeout(() => fail(new Error(`server did not exit within ${timeoutMs} ms:\n${serverOutput()}`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      done(code);
    });
  });
}

let files: ReturnType<typeof splitDataset>;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'stratus-e2e-'));
  files = splitDataset(home);
  const started = await spawnServer(join(home, 'data'), await freePort(), TOKEN);
  ({ url, child: server } = started);
  serverOutput = started.output;
}, 90_000);

afterAll(() => {
  if (server && server.exitCode === null && server.pid) process.kill(server.pid, 'SIGKILL');
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('stratus CLI walkthrough', () => {
  let configName = '';

  it('uploads the training and validation datasets', async () => {
    const up = await ok('datasets', 'upload', 'breast-cancer', files.train, '--no-header');
    expect(up.stdout).toMatch(/breast-cancer version 1: 455 rows, 31 columns/);
    expect(up.stderr).toContain('uploaded:');
    await ok('datasets', 'upload', 'breast-cancer-validation', files.validation, '--no-header');

    const list = await okJson<{ items: { name: string }[] }>('datasets', 'list');
    expect(list.items.map((d) => d.name).sort()).toEqual(['breast-cancer', 'breast-cancer-validation']);
    const described = await ok('datasets', 'describe', 'breast-cancer');
    expect(described.stdout).toMatch(/Rows:\s+455/);
    expect(described.stdout).toContain('COLUMN');
  });

  it('trains a linear learner and waits for it', async () => {
    const res = await ok(
      'train', 'bc-linear', '--algorithm', 'linear-learner',
      '--train', 'breast-cancer', '--validation', 'breast-cancer-validation:1',
      '--hp', 'predictor_type=binary_classifier', '--hp', 'epochs=10', '--wait',
    );
    expect(res.stdout).toMatch(/Status:\s+Completed/);

    const job = await okJson<{ status: string; hyperparameters: Record<string, string>; modelArtifact?: string; statusHistory: unknown[] }>('jobs', 'describe', 'bc-linear');
    expect(job.status).toBe('Completed');
    expect(job.hyperparameters).toMatchObject({ predictor_type: 'binary_classifier', epochs: '10' });
    expect(job.modelArtifact).toBeTruthy();
    expect(job.statusHistory.length).toBeGreaterThan(0);

    const metrics = await okJson<{ metrics: { name: string; value: number }[] }>('jobs', 'metrics', 'bc-linear');
    expect(metrics.metrics.length).toBeGreaterThan(0);
    expect((await ok('jobs', 'logs', 'bc-linear')).stdout.length).toBeGreaterThan(0);
    const jobs = await okJson<{ items: { name: string }[] }>('jobs', 'list', '--status', 'Completed');
    expect(jobs.items.map((j) => j.name)).toContain('bc-linear');
  }, 180_000);

  it('deploys the model behind an endpoint and invokes it', async () => {
    await ok('models', 'create', 'bc-model', '--job', 'bc-linear');
    const endpoint = await okJson<{ status: string; config: string }>('endpoints', 'create', 'bc-endpoint', '--model', 'bc-model', '--wait');
    expect(endpoint.status).toBe('InService');
    configName = endpoint.config;
    expect(configName).toMatch(/^bc-endpoint-config-\d+$/);

    const res = await ok('endpoints', 'invoke', 'bc-endpoint', '--body', files.row, '--content-type', 'text/csv');
    const answer = JSON.parse(res.stdout) as { predictions: { score: number; predicted_label: number }[] };
    expect(answer.predictions).toHaveLength(1);
    expect(answer.predictions[0].score).toBeGreaterThanOrEqual(0);
    expect(answer.predictions[0].score).toBeLessThanOrEqual(1);
    expect([0, 1]).toContain(answer.predictions[0].predicted_label);
    expect(res.stderr).toContain('variant: AllTraffic');

    const list = await okJson<{ items: { name: string; status: string }[] }>('endpoints', 'list');
    expect(list.items).toContainEqual(expect.objectContaining({ name: 'bc-endpoint', status: 'InService' }));
  }, 120_000);

  it('reports a missing resource as an error line and exit code 1', async () => {
    const res = await stratus('models', 'describe', 'no-such-model');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^error: /);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('deletes everything it made', async () => {
    await ok('endpoints', 'delete', 'bc-endpoint');
    await ok('endpoint-configs', 'delete', configName);
    await ok('models', 'delete', 'bc-model');
    await ok('datasets', 'delete', 'breast-cancer');
    await ok('datasets', 'delete', 'breast-cancer-validation');
    expect((await okJson<{ items: unknown[] }>('endpoints', 'list')).items).toEqual([]);
    expect((await okJson<{ items: unknown[] }>('models', 'list')).items).toEqual([]);
    expect((await okJson<{ items: unknown[] }>('datasets', 'list')).items).toEqual([]);
  }, 60_000);

  it('shuts the server down cleanly on SIGTERM', async () => {
    server.kill('SIGTERM');
    expect(await exitOf(server, 20_000)).toBe(0);
  }, 30_000);
});
