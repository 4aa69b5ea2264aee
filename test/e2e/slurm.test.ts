/**
 * The Slurm executor against a real Slurm cluster started by the test (test/fixtures/slurm/):
 * slurmctld plus three slurmd hosts, each in its own network namespace. Jobs go through the API
 * of a server with STRATUS_EXECUTOR=slurm; the hosts build their job folders from the artifact
 * store (the local store: one machine, so its paths resolve on every "host").
 */
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractArchive, packDirectory } from '../../src/artifacts/archive.js';
import { StratusClient, type TrainingJob } from '../../src/sdk/index.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { SlurmCluster, slurmUnavailable } from '../fixtures/slurm/slurm-cluster.js';
import { DATASETS } from '../helpers/shared.js';

const SCRIPTS = fileURLToPath(new URL('../fixtures/slurm/scripts/', import.meta.url));
const CHECKPOINT_SCRIPT = fileURLToPath(new URL('../fixtures/script-jobs/checkpoint/', import.meta.url));
const unavailable = slurmUnavailable();
if (unavailable) console.warn(`[slurm.test] skipped: ${unavailable}`);

let cluster: SlurmCluster;
let server: RunningServer;
let home: string;
let client: StratusClient;

beforeAll(async () => {
  if (unavailable) return;
  cluster = SlurmCluster.start({ hosts: 3, slurmdTimeout: 4 });
  home = await mkdtemp(join(tmpdir(), 'stratus-slurm-e2e-'));
  await mkdir(join(home, 'hosts')); // the hosts' work folder (node-local disk on a real cluster)
  server = await startServer({
    flags: { home, port: 0, logLevel: 'warn', python: '/usr/bin/python3', executor: 'slurm', slurmConf: cluster.conf, slurmWorkDir: join(home, 'hosts'), slurmPollMs: 250 },
    env: {},
  });
  client = new StratusClient({ url: server.url, token: server.token });
  await client.datasets.upload('bc', join(DATASETS, 'breast_cancer.csv'));
  // Six objects under one prefix, for ShardedByS3Key.
  for (let i = 0; i < 6; i++) await put(`shards/part-${i}.csv`, Buffer.from(`${i % 2},${i},${i * 2}\n`));
}, 60_000);

afterAll(async () => {
  await server?.close();
  cluster?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

async function put(path: string, body: Buffer) {
  const res = await fetch(`${server.url}/api/v1/artifacts/uploads/${path}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/octet-stream' },
    body,
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { uri: string }).uri;
}

async function bundle(dir: string, name: string) {
  const chunks: Buffer[] = [];
  for await (const c of packDirectory(dir)) chunks.push(c as Buffer);
  return put(`sources/${name}.tar.gz`, Buffer.concat(chunks));
}

const create = (body: Record<string, unknown>) =>
  fetch(`${server.url}/api/v1/training-jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

const waitEnded = (name: string, timeoutMs = 60_000) => client.trainingJobs.waitFor(name, { intervalMs: 200, timeoutMs });

async function waitUntil(name: string, ok: (j: TrainingJob, log: string) => boolean, timeoutMs = 30_000): Promise<TrainingJob> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await client.trainingJobs.get(name);
    const log = await client.trainingJobs.logs(name);
    if (ok(job, log)) return job;
    if (Date.now() > deadline || !['InProgress', 'Stopping'].includes(job.status)) {
      throw new Error(`${name}: condition not met; ${job.status}/${job.secondaryStatus} ${message(job)} ${job.failureReason ?? ''}\n${log}\n${cluster.logs()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function expectStatus(name: string, status: string) {
  const job = await waitEnded(name);
  expect(job.status, `${job.failureReason ?? ''}\n${await client.trainingJobs.logs(name)}`).toBe(status);
  return job;
}

describe.skipIf(unavailable !== undefined)('Slurm executor', () => {
  it('runs a 1-instance linear-learner job as a Slurm job', async () => {
    const res = await create({
      name: 'slurm-ll',
      algorithm: 'linear-learner',
      hyperparameters: { predictor_type: 'binary_classifier', epochs: 5 },
      inputs: [{ channel: 'train', dataset: 'bc' }],
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const job = await expectStatus('slurm-ll', 'Completed');
    expect(job.modelArtifact).toMatch(/training-jobs\/slurm-ll\/output\/model\.tar\.gz$/);
    expect(job.finalMetrics.length).toBeGreaterThan(0);
    const log = await client.trainingJobs.logs('slurm-ll');
    expect(log).toMatch(/submitted as Slurm job \d+/);
    expect(log).toMatch(/^\[algo-1\] /m);
  });

  it('runs a 3-instance script job: contract on every host, logs prefixed by host, ShardedByS3Key shards', async () => {
    const source = await bundle(join(SCRIPTS, 'shards'), 'shards');
    const res = await create({
      name: 'slurm-shards',
      script: { source, entryPoint: 'train.sh' },
      inputs: [{ channel: 'train', artifactPrefix: 'uploads/shards/', distribution: 'ShardedByS3Key' }],
      resources: { instanceType: 'ml.m5.large', instanceCount: 3 },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const job = await expectStatus('slurm-shards', 'Completed');
    const log = await client.trainingJobs.logs('slurm-shards');
    const shards = new Map<string, string[]>();
    for (const m of log.matchAll(/^\[(algo-\d)\] host=(algo-\d) hosts=(\S+) files=(.*)$/gm)) {
      expect(m[1]).toBe(m[2]); // the prefix names the host that printed the line
      expect(JSON.parse(m[3])).toEqual(['algo-1', 'algo-2', 'algo-3']);
      shards.set(m[2], m[4].trim().split(' ').filter(Boolean));
    }
    expect([...shards.keys()].sort()).toEqual(['algo-1', 'algo-2', 'algo-3']);
    const all = [...shards.values()].flat().sort();
    expect(all).toEqual(['part-0.csv', 'part-1.csv', 'part-2.csv', 'part-3.csv', 'part-4.csv', 'part-5.csv']); // disjoint and complete
    for (const files of shards.values()) expect(files).toHaveLength(2);
    const rc = /^\[algo-2\] resourceconfig=(.*)$/m.exec(log);
    const resource = JSON.parse(rc![1]) as { current_host: string; hosts: string[]; network_interface_name: string; host_addresses: Record<string, string> };
    expect(resource.current_host).toBe('algo-2');
    expect(resource.network_interface_name).toBe('eth0');
    expect(Object.values(resource.host_addresses).sort()).toEqual(cluster.hosts.map((h) => h.address).sort());
    expect(log).toMatch(/"S3DistributionType":"ShardedByS3Key"/);
    // The master host uploaded the model.
    const dir = await mkdtemp(join(tmpdir(), 'slurm-model-'));
    await client.artifacts.download(job.modelArtifact!.replace(/^.*?training-jobs\//, 'training-jobs/'), join(dir, 'model.tar.gz'));
    await extractArchive(createReadStream(join(dir, 'model.tar.gz')), join(dir, 'x'));
    expect(await readdir(join(dir, 'x'))).toEqual(['shard-algo-1.txt']);
    expect(await readFile(join(dir, 'x', 'shard-algo-1.txt'), 'utf8')).toContain('algo-1:');
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps a 3-instance job Pending with the reason while a host is drained, then runs it', async () => {
    cluster.cli('scontrol', ['update', 'nodename=h3', 'state=drain', 'reason=stratus-test']);
    try {
      const source = await bundle(join(SCRIPTS, 'shards'), 'shards-2');
      const res = await create({
        name: 'slurm-pending',
        script: { source, entryPoint: 'train.sh' },
        inputs: [{ channel: 'train', artifactPrefix: 'uploads/shards/' }],
        resources: { instanceType: 'ml.m5.large', instanceCount: 3 },
      });
      expect(res.status, await res.clone().text()).toBe(201);
      const pending = await waitUntil('slurm-pending', (j) => j.secondaryStatus === 'Pending' && /Waiting for Slurm to allocate 3 host\(s\) together: \w+/.test(message(j)));
      expect(pending.status).toBe('InProgress');
      expect(message(pending)).toMatch(/Resources|ReqNodeNotAvail|Priority/);
      await new Promise((r) => setTimeout(r, 1000));
      expect((await client.trainingJobs.get('slurm-pending')).secondaryStatus).toBe('Pending');
    } finally {
      cluster.cli('scontrol', ['update', 'nodename=h3', 'state=resume']);
    }
    const job = await expectStatus('slurm-pending', 'Completed');
    expect(job.statusHistory.map((t) => t.status)).toEqual(expect.arrayContaining(['Pending', 'Training', 'Completed']));
  });

  it('stops a running job with scancel: Stopped', async () => {
    const source = await bundle(join(SCRIPTS, 'forever'), 'forever');
    expect((await create({ name: 'slurm-stop', script: { source, entryPoint: 'train.sh' }, inputs: [], resources: { instanceType: 'ml.m5.large', instanceCount: 2 } })).status).toBe(201);
    await waitUntil('slurm-stop', (_j, log) => /^\[algo-2\] tick from algo-2$/m.test(log));
    const started = Date.now();
    await client.trainingJobs.stop('slurm-stop');
    const job = await expectStatus('slurm-stop', 'Stopped');
    expect(job.secondaryStatus).toBe('Stopped');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await client.trainingJobs.logs('slurm-stop')).toMatch(/cancelling Slurm job \d+/);
  });

  it('fails a job whose host dies (slurmd killed) with a node-failure reason', async () => {
    const source = await bundle(join(SCRIPTS, 'forever'), 'forever-2');
    expect((await create({ name: 'slurm-nodefail', script: { source, entryPoint: 'train.sh' }, inputs: [], resources: { instanceType: 'ml.m5.large', instanceCount: 3 } })).status).toBe(201);
    await waitUntil('slurm-nodefail', (_j, log) => /^\[algo-3\] tick from algo-3$/m.test(log));
    cluster.killSlurmd('h2');
    try {
      const job = await expectStatus('slurm-nodefail', 'Failed');
      expect(job.failureReason).toMatch(/node failure on h2/);
    } finally {
      cluster.startSlurmd('h2');
      cluster.waitIdle(3, 30_000);
    }
  }, 90_000);

  it('with retryStrategy, resubmits after a node failure and resumes from the checkpoints', async () => {
    const source = await bundle(CHECKPOINT_SCRIPT, 'checkpoint');
    const res = await create({
      name: 'slurm-retry',
      script: { source, entryPoint: 'train.py' },
      hyperparameters: { epochs: 70, 'epoch-seconds': 0.5 }, // outlasts Slurm's node-failure detection (~25 s)
      inputs: [],
      checkpointConfig: {},
      retryStrategy: { maximumRetryAttempts: 1 },
      resources: { instanceType: 'ml.m5.large', instanceCount: 2 },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    await waitUntil('slurm-retry', (_j, log) => /^\[algo-1\] epoch=3$/m.test(log));
    const victim = lastHost(message(await client.trainingJobs.get('slurm-retry')));
    cluster.killSlurmd(victim);
    try {
      await waitUntil('slurm-retry', (_j, log) => /starting attempt 2 of 2/.test(log), 60_000);
    } finally {
      cluster.startSlurmd(victim);
    }
    const job = await expectStatus('slurm-retry', 'Completed');
    const log = await client.trainingJobs.logs('slurm-retry');
    expect(log).toMatch(/node failure on h\d.*starting attempt 2 of 2/);
    expect(log).toMatch(/^\[algo-1\] resumed from epoch \d+$/m);
    expect(job.modelArtifact).toBeDefined();
  }, 100_000);
});

/** The secondary status's message (the last transition's). */
const message = (j: TrainingJob) => j.statusHistory.at(-1)?.message ?? '';

/** The last host of a status message's node list ("… host(s): h[1-2] (Slurm job 7)"). */
function lastHost(message: string): string {
  const list = /host\(s\): (\S+)/.exec(message)?.[1] ?? '';
  const range = /h\[(\d)-(\d)\]/.exec(list);
  if (range) return `h${range[2]}`;
  const many = /h\[([\d,]+)\]/.exec(list);
  if (many) return `h${many[1].split(',').pop()}`;
  return list || 'h2';
}

describe('multi-instance jobs on the local executor', () => {
  it('are refused with a 400 naming resources.instanceCount', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stratus-local-'));
    const local = await startServer({ flags: { home: dir, port: 0, logLevel: 'warn' }, env: {} });
    try {
      const res = await fetch(`${local.url}/api/v1/training-jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${local.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'multi', algorithm: 'linear-learner', hyperparameters: { predictor_type: 'binary_classifier' }, inputs: [], resources: { instanceCount: 2 } }),
      });
      const body = (await res.json()) as { error: { message: string; details: { field: string } } };
      expect(res.status).toBe(400);
      expect(body.error.details.field).toBe('resources.instanceCount');
      expect(body.error.message).toMatch(/Slurm executor/);
    } finally {
      await local.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
