/**
 * Script-mode training jobs (bring your own code) over the public API, the SDK and the CLI:
 * SageMaker-style scripts in Python (scikit-learn, PyTorch), Node and sh; failures; stop and
 * MaxRuntimeInSeconds killing the whole process group; checkpoints and a resumed retry; and
 * what the script's process can and cannot see.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractArchive, packDirectory } from '../../src/artifacts/archive.js';
import { adminTokenFile } from '../../src/auth/auth-service.js';
import type { CliIo } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { StratusClient, type TrainingJob } from '../../src/sdk/index.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { DATASETS } from '../helpers/shared.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/script-jobs/', import.meta.url));
const PYTHON = '/usr/bin/python3';
const HAS_TORCH = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

let server: RunningServer;
let home: string;
let client: StratusClient;

// A server that generated its own admin token (kept in <home>/admin-token), as `stratus server` does.
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'stratus-scripts-'));
  server = await startServer({ flags: { home, port: 0, logLevel: 'warn', python: PYTHON }, env: {} });
  client = new StratusClient({ url: server.url, token: server.token });
  await client.datasets.upload('bc', join(DATASETS, 'breast_cancer.csv'));
});
afterAll(async () => {
  await server?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

const api = (path: string, json?: unknown, method = json === undefined ? 'GET' : 'POST') =>
  fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${server.token}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
    body: json === undefined ? undefined : JSON.stringify(json),
  });

/** Packs a fixture folder and uploads it with PUT /api/v1/artifacts/uploads/…; returns its URI. */
async function uploadBundle(fixture: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of packDirectory(join(FIXTURES, fixture))) chunks.push(c as Buffer);
  const res = await fetch(`${server.url}/api/v1/artifacts/uploads/sources/${fixture}.tar.gz`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/octet-stream' },
    body: Buffer.concat(chunks),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { uri: string }).uri;
}

const waitEnded = (name: string, timeoutMs = 90_000) => client.trainingJobs.waitFor(name, { intervalMs: 200, timeoutMs });

/** The files of an artifact .tar.gz, extracted into a temporary folder. */
async function extracted(key: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'artifact-'));
  const file = join(dir, 'archive.tar.gz');
  await client.artifacts.download(key, file);
  await extractArchive(createReadStream(file), join(dir, 'x'));
  return join(dir, 'x');
}

const expectCompleted = async (job: TrainingJob) => {
  const context = `${job.status} ${job.failureReason ?? ''}\n${await client.trainingJobs.logs(job.name)}`;
  expect(job.status, context).toBe('Completed');
};

describe('script jobs', () => {
  it('runs a scikit-learn script written for SageMaker: data in, model.tar.gz and metrics out', async () => {
    const source = await uploadBundle('sklearn');
    await client.trainingJobs.create({
      name: 'sk-1',
      script: { source, entryPoint: 'train.py' },
      hyperparameters: { C: 0.5, 'max-iter': 200 },
      inputs: [{ channel: 'train', dataset: 'bc' }],
      metricDefinitions: [{ name: 'accuracy', regex: 'accuracy=([0-9.]+)' }],
    });
    const job = await waitEnded('sk-1');
    await expectCompleted(job);
    expect(job.algorithm).toBeUndefined();
    expect(job.script).toEqual({ source, entryPoint: 'train.py' });
    expect(job.finalMetrics.find((m) => m.name === 'accuracy')?.value).toBeGreaterThan(0.9);
    expect(job.modelArtifact).toMatch(/training-jobs\/sk-1\/output\/model\.tar\.gz$/);
    expect(await readdir(await extracted('training-jobs/sk-1/output/model.tar.gz'))).toEqual(['model.pkl']);
    const report = JSON.parse(readFileSync(join(await extracted('training-jobs/sk-1/output/output.tar.gz'), 'report.json'), 'utf8'));
    expect(report.rows).toBe(569);
    expect(await client.trainingJobs.logs('sk-1')).toContain('hyperparameters: C=0.5 max_iter=200');
  });

  it('runs a Node script through the CLI: a local folder is packed, uploaded and trained with --wait', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = {
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => err.push(s) },
      stdin: Object.assign(Readable.from([]), { isTTY: true }),
      env: {},
      cwd: FIXTURES,
    };
    const args = ['train', 'node-1', '--source', 'node', '--entry-point', 'train.js', '--hp', 'epochs=3', '--metric', 'accuracy=accuracy=([0-9.]+)', '--train', 'bc', '--wait'];
    const code = await main(['node', 'stratus', '--url', server.url, '--token', server.token, '--json', ...args], io);
    expect(code, err.join('')).toBe(0);
    const job = JSON.parse(out.join('')) as TrainingJob;
    expect(job.status).toBe('Completed');
    expect(job.script).toMatchObject({ entryPoint: 'train.js', source: expect.stringMatching(/uploads\/sources\/node-1\/sourcedir\.tar\.gz$/) });
    expect(job.finalMetrics.find((m) => m.name === 'accuracy')?.value).toBeGreaterThan(0.85);
    expect(await readdir(await extracted('training-jobs/node-1/output/model.tar.gz'))).toEqual(['model.json']);
    expect(await client.trainingJobs.logs('node-1')).toContain('epochs=3');

    out.length = 0;
    expect(await main(['node', 'stratus', '--url', server.url, '--token', server.token, 'jobs', 'describe', 'node-1'], io), err.join('')).toBe(0);
    const described = out.join('');
    expect(described).toMatch(/Source:\s+file:\/\/\S+\/uploads\/sources\/node-1\/sourcedir\.tar\.gz/);
    expect(described).toMatch(/Entry point:\s+train\.js/);
  });

  it('runs an explicit command in code/ instead of an entry point', async () => {
    await client.trainingJobs.create({
      name: 'cmd-1',
      script: { source: await uploadBundle('failing'), command: ['/bin/sh', '-c', 'ls; echo "args=$SM_USER_ARGS"; echo accuracy=0.5'] },
      hyperparameters: { depth: 3 },
      inputs: [],
      metricDefinitions: [{ name: 'accuracy', regex: 'accuracy=([0-9.]+)' }],
    });
    const job = await waitEnded('cmd-1');
    await expectCompleted(job);
    expect(job.finalMetrics).toEqual([expect.objectContaining({ name: 'accuracy', value: 0.5 })]);
    const log = await client.trainingJobs.logs('cmd-1');
    expect(log).toContain('train.py'); // ls in code/
    expect(log).toContain('args=["--depth","3"]');
  });

  it.skipIf(!HAS_TORCH)('runs a PyTorch script and records its loss through a metric regex and through stratus_run', async () => {
    const source = await uploadBundle('torch');
    await client.trainingJobs.create({
      name: 'torch-1',
      script: { source, entryPoint: 'train.py' },
      hyperparameters: { epochs: 5, lr: 0.01 },
      inputs: [{ channel: 'train', dataset: 'bc' }],
      metricDefinitions: [{ name: 'train:loss', regex: 'loss=([0-9.]+)' }, { name: 'epoch', regex: 'epoch=([0-9]+)' }],
    });
    const job = await waitEnded('torch-1', 180_000);
    await expectCompleted(job);
    const loss = (await client.trainingJobs.metrics('torch-1', { name: 'train:loss' })).metrics;
    expect(loss.map((p) => p.step)).toEqual([0, 1, 2, 3, 4]);
    expect(loss[4].value).toBeLessThan(loss[0].value);
    const logged = (await client.trainingJobs.metrics('torch-1', { name: 'train:bce' })).metrics;
    expect(logged.map((p) => p.step)).toEqual([1, 2, 3, 4, 5]);
    expect(logged[4].value).toBeCloseTo(loss[4].value, 4);
    expect(await readdir(await extracted('training-jobs/torch-1/output/model.tar.gz'))).toEqual(['model.pth']);
  });
  if (!HAS_TORCH) console.warn(`skipped the PyTorch script job: ${PYTHON} cannot import torch (apt-get install python3-torch)`);

  it('fails a job with the reason the script wrote to output/failure', async () => {
    await client.trainingJobs.create({ name: 'fail-1', script: { source: await uploadBundle('failing'), entryPoint: 'train.py' }, inputs: [] });
    const job = await waitEnded('fail-1');
    expect(job.status).toBe('Failed');
    expect(job.failureReason).toBe('ClientError: the train channel has 2 classes, this script needs 3');
  });

  it('fails a crashing script with the end of its log as the reason', async () => {
    await client.trainingJobs.create({ name: 'crash-1', script: { source: await uploadBundle('crashing'), entryPoint: 'train.py' }, inputs: [] });
    const job = await waitEnded('crash-1');
    expect(job.status).toBe('Failed');
    expect(job.failureReason).toMatch(/^AlgorithmError: the training process exited with code 1; the last lines of its log:/);
    expect(job.failureReason).toContain('ZeroDivisionError: division by zero');
  });

  it('fails a job whose entry point is not in the bundle, naming what is there', async () => {
    await client.trainingJobs.create({ name: 'noentry-1', script: { source: await uploadBundle('failing'), entryPoint: 'main.py' }, inputs: [] });
    const job = await waitEnded('noentry-1');
    expect(job.status).toBe('Failed');
    expect(job.failureReason).toContain("entry point 'main.py' is not a file in the source bundle (its top level holds: train.py)");
  });

  it('ends a never-ending script at MaxRuntimeInSeconds with every process of its group', async () => {
    await client.trainingJobs.create({
      name: 'forever-1',
      script: { source: await uploadBundle('forever'), entryPoint: 'train.sh' },
      inputs: [],
      stoppingCondition: { maxRuntimeInSeconds: 2 },
    });
    const job = await waitEnded('forever-1');
    expect([job.status, job.secondaryStatus]).toEqual(['Stopped', 'MaxRuntimeExceeded']);
    const child = Number(/child=(\d+)/.exec(await client.trainingJobs.logs('forever-1'))?.[1]);
    expect(child).toBeGreaterThan(1);
    expect(await processGone(child)).toBe(true);
  });

  it('keeps checkpoints while a job runs; a stopped job retried resumes from its last one', async () => {
    const source = await uploadBundle('checkpoint');
    const spec = {
      script: { source, entryPoint: 'train.py' },
      hyperparameters: { epochs: 10, 'epoch-seconds': 0.6 },
      inputs: [],
      metricDefinitions: [{ name: 'epoch', regex: 'epoch=([0-9]+)' }],
    };
    const first = await client.trainingJobs.create({ name: 'ckpt-1', ...spec, checkpointConfig: {} });
    expect(first.checkpointConfig).toEqual({ localPath: 'checkpoints', artifactPrefix: 'checkpoints/ckpt-1' });
    const checkpoints = async () => (await client.artifacts.list({ prefix: 'checkpoints/ckpt-1/ckpt-' })).items.length;
    const deadline = Date.now() + 30_000;
    while ((await checkpoints()) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await checkpoints()).toBeGreaterThanOrEqual(2);
    await client.trainingJobs.stop('ckpt-1');
    const stopped = await waitEnded('ckpt-1');
    expect(stopped.status).toBe('Stopped');
    const kept = await checkpoints();
    const lastEpoch = kept - 1;
    expect(lastEpoch).toBeLessThan(9);

    const retry = await client.trainingJobs.create({ name: 'ckpt-2', ...spec, retryOf: 'ckpt-1' });
    expect(retry).toMatchObject({ retryOf: 'ckpt-1', checkpointConfig: { artifactPrefix: 'checkpoints/ckpt-1' } });
    const done = await waitEnded('ckpt-2');
    await expectCompleted(done);
    const log = await client.trainingJobs.logs('ckpt-2');
    expect(log).toContain(`resumed from epoch ${lastEpoch}`);
    expect(log).not.toContain('starting from epoch 0');
    const epochs = (await client.trainingJobs.metrics('ckpt-2', { name: 'epoch' })).metrics.map((p) => p.value);
    expect(epochs[0]).toBe(lastEpoch + 1);
    expect(epochs.at(-1)).toBe(9);
    expect(await checkpoints()).toBe(10);
  });

  it('gives the script a clean environment: no token, no server variables, only the contract and what the job declares', async () => {
    process.env.STRATUS_TOKEN = server.token;
    process.env.SERVER_ONLY_SECRET = 'not-for-jobs';
    try {
      await client.trainingJobs.create({
        name: 'env-1',
        script: { source: await uploadBundle('env'), entryPoint: 'train.js' },
        hyperparameters: { epochs: 2 },
        inputs: [{ channel: 'train', dataset: 'bc' }],
        environment: { TOKEN_FILE: adminTokenFile(home), MY_SETTING: 'on' },
      });
      const job = await waitEnded('env-1');
      await expectCompleted(job);
    } finally {
      delete process.env.STRATUS_TOKEN;
      delete process.env.SERVER_ONLY_SECRET;
    }
    const log = await client.trainingJobs.logs('env-1');
    const env = JSON.parse(/^ENV=(.*)$/m.exec(log)![1]) as Record<string, string>;
    const jobFolder = join(server.platform.jobSandbox.jobsDir, 'env-1');
    expect(/^CWD=(.*)$/m.exec(log)![1]).toBe(join(jobFolder, 'code'));
    expect(env).toMatchObject({ HOME: jobFolder, MY_SETTING: 'on', SM_CHANNEL_TRAIN: join(jobFolder, 'input/data/train'), SM_USER_ARGS: '["--epochs","2"]', TRAINING_JOB_NAME: 'env-1' });
    const allowed = new Set([
      'PATH', 'HOME', 'LANG', 'PYTHONUNBUFFERED', 'PYTHONDONTWRITEBYTECODE', 'PYTHONPATH', 'TRAINING_JOB_NAME', 'TRAINING_JOB_ARN', 'SAGEMAKER_JOB_NAME', 'CURRENT_HOST',
      'TOKEN_FILE', 'MY_SETTING',
      // The job's own API access: a token that may only post this job's metrics and params.
      'STRATUS_API_URL', 'STRATUS_JOB_TOKEN',
    ]);
    expect(Object.keys(env).filter((k) => !allowed.has(k) && !k.startsWith('SM_'))).toEqual([]);
    for (const [k, v] of Object.entries(env)) expect(v.includes(server.token), `${k} holds the admin token`).toBe(false);
    expect(env.STRATUS_API_URL).toBe(server.url);
    expect(env.STRATUS_JOB_TOKEN).toMatch(/^stx_/);
    // The job's token is scoped to its own metrics and params, and gone once the job has ended.
    const asJob = (path: string, init: RequestInit = {}) => fetch(server.url + path, { ...init, headers: { authorization: `Bearer ${env.STRATUS_JOB_TOKEN}` } });
    expect((await asJob('/api/v1/training-jobs/env-1')).status).toBe(401);
    // As root, the script runs as the job user and cannot read the token file (test/e2e/job-isolation.test.ts
    // tries more). Not root (docs/architecture.md, "Script jobs and isolation"): it runs as the
    // server's OS user, so the token file (0600, but the same owner) is readable to it.
    expect(existsSync(adminTokenFile(home))).toBe(true);
    expect(/^TOKEN_FILE=(.*)$/m.exec(log)![1]).toBe(server.platform.jobSandbox.users ? 'unreadable' : 'readable');
  });
});

describe('creating a script job is validated', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['both algorithm and script', { algorithm: 'linear-learner', script: { source: 'uploads/x.tar.gz', entryPoint: 'train.py' } }, 'script'],
    ['neither algorithm nor script', {}, 'algorithm'],
    ['a source that does not exist', { script: { source: 'uploads/missing.tar.gz', entryPoint: 'train.py' } }, 'script.source'],
    ['an entry point outside the bundle', { script: { source: 'uploads/sources/failing.tar.gz', entryPoint: '../train.py' } }, 'script.entryPoint'],
    ['both entryPoint and command', { script: { source: 'uploads/sources/failing.tar.gz', entryPoint: 'train.py', command: ['python3'] } }, 'script.command'],
    ['a STRATUS_* variable', { script: { source: 'uploads/sources/failing.tar.gz', entryPoint: 'train.py' }, environment: { STRATUS_TOKEN: 'x' } }, 'environment'],
    ['a checkpoint prefix outside checkpoints/', { script: { source: 'uploads/sources/failing.tar.gz', entryPoint: 'train.py' }, checkpointConfig: { artifactPrefix: 'datasets/x' } }, 'checkpointConfig'],
    ['a hyperparameter name a script cannot get', { script: { source: 'uploads/sources/failing.tar.gz', entryPoint: 'train.py' }, hyperparameters: { 'a=b': 1 } }, 'hyperparameters'],
    ['a retry of an unknown job', { script: { source: 'uploads/sources/failing.tar.gz', entryPoint: 'train.py' }, retryOf: 'nope' }, 'retryOf'],
  ];
  it.each(cases)('400 for %s, naming the field', async (_what, body, field) => {
    await uploadBundle('failing');
    const res = await api('/api/v1/training-jobs', { name: 'bad-1', inputs: [], ...body });
    const text = await res.text();
    expect(res.status, text).toBe(400);
    expect(text).toContain(field);
    expect((await api('/api/v1/training-jobs/bad-1')).status).toBe(404);
  });
});

/** Whether the process is gone (or a zombie) within a few seconds. */
async function processGone(pid: number): Promise<boolean> {
  const alive = () => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  const deadline = Date.now() + 5000;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return !alive();
}
