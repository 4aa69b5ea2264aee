/**
 * Multi-instance script jobs on a real Slurm cluster started by the test (test/fixtures/slurm/):
 * PyTorch DistributedDataParallel (gloo) across three hosts, each in its own network namespace;
 * a server restart while a Slurm job runs (the new server watches it again); and a 2-instance job
 * through the SageMaker-compatible API (@aws-sdk/client-sagemaker).
 */
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateTrainingJobCommand, DescribeTrainingJobCommand, SageMakerClient, waitUntilTrainingJobCompletedOrStopped } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractArchive, packDirectory } from '../../src/artifacts/archive.js';
import { StratusClient, type TrainingJob } from '../../src/sdk/index.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { SlurmCluster, slurmUnavailable } from '../fixtures/slurm/slurm-cluster.js';

const SCRIPTS = fileURLToPath(new URL('../fixtures/slurm/scripts/', import.meta.url));
const ACCESS_KEY_ID = 'STRXSLURMDDPKEY00001';
const SECRET = 'test-secret-access-key-slurm-ddp-0123';
const PYTORCH_IMAGE = '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:1.13.1-cpu-py39';
const unavailable = slurmUnavailable();
if (unavailable) console.warn(`[slurm-ddp.test] skipped: ${unavailable}`);

let cluster: SlurmCluster;
let server: RunningServer;
let home: string;
let client: StratusClient;
let flags: Record<string, string | number>;

beforeAll(async () => {
  if (unavailable) return;
  cluster = SlurmCluster.start({ hosts: 3 });
  home = await mkdtemp(join(tmpdir(), 'stratus-slurm-ddp-'));
  await mkdir(join(home, 'hosts'));
  flags = {
    home, port: 0, logLevel: 'warn', python: '/usr/bin/python3', executor: 'slurm', slurmConf: cluster.conf, slurmWorkDir: join(home, 'hosts'), slurmPollMs: 250,
    accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET,
  };
  await start();
  // Six objects with four rows each (label, x1, x2): two per host with ShardedByS3Key on 3 hosts.
  for (let i = 0; i < 6; i++) {
    const rows = Array.from({ length: 4 }, (_, r) => {
      const x1 = (i * 4 + r) / 24;
      const x2 = ((i * 7 + r * 3) % 5) / 5;
      return `${(2 * x1 - x2 + 0.5).toFixed(4)},${x1.toFixed(4)},${x2.toFixed(4)}`;
    });
    await put(`ddp/part-${i}.csv`, Buffer.from(rows.join('\n') + '\n'));
  }
}, 60_000);

afterAll(async () => {
  await server?.close();
  cluster?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

async function start() {
  server = await startServer({ flags, env: {} });
  client = new StratusClient({ url: server.url, token: server.token });
}

async function put(path: string, body: Buffer) {
  const res = await fetch(`${server.url}/api/v1/artifacts/uploads/${path}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/octet-stream' },
    body,
  });
  expect(res.status, await res.clone().text()).toBe(201);
}

async function bundle(dir: string, path: string) {
  const chunks: Buffer[] = [];
  for await (const c of packDirectory(dir)) chunks.push(c as Buffer);
  await put(path, Buffer.concat(chunks));
  return `uploads/${path}`;
}

const create = (body: Record<string, unknown>) =>
  fetch(`${server.url}/api/v1/training-jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

async function expectStatus(name: string, status: string, timeoutMs = 120_000) {
  const job = await client.trainingJobs.waitFor(name, { intervalMs: 250, timeoutMs });
  expect(job.status, `${job.failureReason ?? ''}\n${await client.trainingJobs.logs(name)}\n${cluster.logs()}`).toBe(status);
  return job;
}

async function waitForLog(name: string, pattern: RegExp, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = await client.trainingJobs.logs(name);
    if (pattern.test(log)) return;
    const job: TrainingJob = await client.trainingJobs.get(name);
    if (Date.now() > deadline || !['InProgress', 'Stopping'].includes(job.status)) {
      throw new Error(`${name}: no ${pattern} in its log; ${job.status}/${job.secondaryStatus} ${job.failureReason ?? ''}\n${log}\n${cluster.logs()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every host's `rank=R checksum=C` line; DDP keeps the replicas equal. */
function checksums(log: string): Map<string, string> {
  return new Map([...log.matchAll(/^\[(algo-\d)\] rank=\d checksum=(\S+)$/gm)].map((m) => [m[1], m[2]]));
}

/** The parameter sum of a model.tar.gz holding `model.pt` (a state dict), as the script prints it. */
async function savedChecksum(modelArtifact: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ddp-model-'));
  try {
    await client.artifacts.download(modelArtifact.replace(/^.*?training-jobs\//, 'training-jobs/'), join(dir, 'model.tar.gz'));
    await extractArchive(createReadStream(join(dir, 'model.tar.gz')), join(dir, 'x'));
    expect(await readdir(join(dir, 'x'))).toEqual(['model.pt']);
    const code = "import sys, torch; sd = torch.load(sys.argv[1]); print(f'{sum(v.double().sum().item() for v in sd.values()):.12f}')";
    return execFileSync('/usr/bin/python3', ['-c', code, join(dir, 'x', 'model.pt')], { encoding: 'utf8' }).trim();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe.skipIf(unavailable !== undefined)('multi-instance script jobs on Slurm', () => {
  it('trains with PyTorch DDP (gloo) across 3 hosts: world size 3, one rank per host, gradients synchronised', async () => {
    const source = await bundle(join(SCRIPTS, 'ddp'), 'sources/ddp.tar.gz');
    const res = await create({
      name: 'slurm-ddp',
      script: { source, entryPoint: 'train.py' },
      hyperparameters: { steps: 5 },
      inputs: [{ channel: 'train', artifactPrefix: 'uploads/ddp/', distribution: 'ShardedByS3Key' }],
      metricDefinitions: [{ name: 'loss', regex: 'rank=0 step=\\d+ loss=([0-9.]+)' }],
      resources: { instanceType: 'ml.m5.large', instanceCount: 3 },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const job = await expectStatus('slurm-ddp', 'Completed');
    const log = await client.trainingJobs.logs('slurm-ddp');
    const addresses = cluster.hosts.map((h) => h.address);
    for (const [i, host] of ['algo-1', 'algo-2', 'algo-3'].entries()) {
      expect(log).toMatch(new RegExp(`^\\[${host}\\] rank=${i} world_size=3$`, 'm'));
      expect(log).toMatch(new RegExp(`^\\[${host}\\] rank=${i} rows=8$`, 'm')); // its own shard: 2 of 6 files
      expect(log).toMatch(new RegExp(`^\\[${host}\\] rank=${i} step=5 loss=[0-9.]+$`, 'm'));
      // The contract's MASTER_ADDR is algo-1's address in resourceconfig.json, on every host.
      const m = new RegExp(`^\\[${host}\\] rank=${i} host=${host} master=([\\d.]+):(\\d+) env_master=([\\d.]+)$`, 'm').exec(log);
      expect(m, log).not.toBeNull();
      expect(m![3]).toBe(m![1]);
      expect(addresses).toContain(m![1]);
    }
    const sums = checksums(log);
    expect([...sums.keys()].sort()).toEqual(['algo-1', 'algo-2', 'algo-3']);
    expect(new Set(sums.values()).size).toBe(1); // different seeds, different shards: equal only if DDP synchronised
    expect(await savedChecksum(job.modelArtifact!)).toBe(sums.get('algo-1'));
    expect(job.finalMetrics.find((m) => m.name === 'loss')).toBeDefined();
  }, 150_000);

  it('keeps Slurm jobs running across a server restart: the new server watches them, collects the rest of the log, and stops on request', async () => {
    const slow = await bundle(join(SCRIPTS, 'slow'), 'sources/slow.tar.gz');
    const forever = await bundle(join(SCRIPTS, 'forever'), 'sources/forever.tar.gz');
    expect((await create({ name: 'slurm-restart', script: { source: slow, entryPoint: 'train.sh' }, hyperparameters: { lines: 20 }, inputs: [], resources: { instanceType: 'ml.m5.large', instanceCount: 2 } })).status).toBe(201);
    expect((await create({ name: 'slurm-restart-stop', script: { source: forever, entryPoint: 'train.sh' }, inputs: [], resources: { instanceType: 'ml.m5.large', instanceCount: 1 } })).status).toBe(201);
    await waitForLog('slurm-restart', /^\[algo-2\] line 3 of 20 from algo-2$/m);
    await waitForLog('slurm-restart-stop', /^\[algo-1\] tick from algo-1$/m);
    await server.close();
    // The hosts go on printing while no server watches.
    await new Promise((r) => setTimeout(r, 1500));
    await start();
    const running = await client.trainingJobs.get('slurm-restart-stop');
    expect(running.status).toBe('InProgress');
    await waitForLog('slurm-restart-stop', /watching Slurm job \d+ \(attempt 1\) again after a server restart[\s\S]*\[algo-1\] tick from algo-1/);
    await client.trainingJobs.stop('slurm-restart-stop');
    const stopped = await expectStatus('slurm-restart-stop', 'Stopped', 30_000);
    expect(stopped.secondaryStatus).toBe('Stopped');

    const job = await expectStatus('slurm-restart', 'Completed', 90_000);
    expect(job.modelArtifact).toBeDefined();
    const log = await client.trainingJobs.logs('slurm-restart');
    expect(log.match(/submitted as Slurm job \d+/g)).toHaveLength(1); // the same Slurm job, never resubmitted
    expect(log).toMatch(/the server stopped watching Slurm job (\d+)[\s\S]*watching Slurm job \1 \(attempt 1\) again after a server restart/);
    for (const host of ['algo-1', 'algo-2']) {
      const lines = [...log.matchAll(new RegExp(`^\\[${host}\\] line (\\d+) of 20 from ${host}$`, 'gm'))].map((m) => Number(m[1]));
      expect(lines, log).toEqual(Array.from({ length: 20 }, (_, i) => i + 1)); // every line once, in order
    }
  }, 150_000);

  it('runs a 2-instance DDP job created through the SageMaker API (InstanceCount, ShardedByS3Key)', async () => {
    const sm = new SageMakerClient({ endpoint: server.url, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET } });
    await bundle(join(SCRIPTS, 'ddp'), 'sources/ddp-sm.tar.gz');
    await sm.send(new CreateTrainingJobCommand({
      TrainingJobName: 'sm-ddp',
      RoleArn: 'arn:aws:iam::123456789012:role/SageMakerRole',
      AlgorithmSpecification: { TrainingImage: PYTORCH_IMAGE, TrainingInputMode: 'File' },
      HyperParameters: { sagemaker_program: '"train.py"', sagemaker_submit_directory: '"s3://my-bucket/uploads/sources/ddp-sm.tar.gz"', steps: '3' },
      InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://my-bucket/uploads/ddp/', S3DataDistributionType: 'ShardedByS3Key' } } }],
      OutputDataConfig: { S3OutputPath: 's3://my-bucket/output' },
      ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 2, VolumeSizeInGB: 10 },
      StoppingCondition: { MaxRuntimeInSeconds: 600 },
    }));
    await waitUntilTrainingJobCompletedOrStopped({ client: sm, maxWaitTime: 150, minDelay: 1, maxDelay: 1 }, { TrainingJobName: 'sm-ddp' }).catch(() => undefined);
    const d = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: 'sm-ddp' }));
    const log = await client.trainingJobs.logs('sm-ddp');
    expect(d.TrainingJobStatus, `${d.FailureReason ?? ''}\n${log}`).toBe('Completed');
    expect(d.ResourceConfig?.InstanceCount).toBe(2);
    expect(d.ModelArtifacts?.S3ModelArtifacts).toMatch(/model\.tar\.gz$/);
    expect(log).toMatch(/^\[algo-1\] rank=0 world_size=2$/m);
    expect(log).toMatch(/^\[algo-2\] rank=1 world_size=2$/m);
    expect(log).toMatch(/^\[algo-1\] rank=0 rows=12$/m); // 3 of the 6 files each
    expect(log).toMatch(/^\[algo-2\] rank=1 rows=12$/m);
    const sums = checksums(log);
    expect(sums.size).toBe(2);
    expect(new Set(sums.values()).size).toBe(1);
  }, 180_000);
});
