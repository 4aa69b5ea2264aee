/**
 * `stratus cluster check` against a real S3 store (Swift) and a real Slurm cluster, and
 * `stratus cluster status` against running servers (local executor, and Slurm with a drained
 * node and a queued job). The CLI runs in-process, as a user runs it.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../src/artifacts/s3/s3-artifact-store.js';
import type { CliIo } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import type { ClusterStatus } from '../../src/cli/commands/cluster.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { SlurmCluster, slurmUnavailable } from '../fixtures/slurm/slurm-cluster.js';
import { startSwift, type SwiftServer } from '../fixtures/swift/swift-server.js';
import { startTestServer, TEST_TOKEN, type TestServer } from '../helpers/server.js';

interface Check {
  check: string;
  status: 'pass' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

const cwds: string[] = [];

async function stratus(args: string[], env: NodeJS.ProcessEnv = {}) {
  const cwd = await mkdtemp(join(tmpdir(), 'stratus-cluster-cli-'));
  cwds.push(cwd);
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    stdin: Object.assign(Readable.from([]), { isTTY: true }),
    env,
    cwd,
  };
  const code = await main(['node', 'stratus', ...args], io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

async function check(env: NodeJS.ProcessEnv, ...flags: string[]) {
  const r = await stratus(['--json', 'cluster', 'check', ...flags], env);
  const report = JSON.parse(r.stdout) as { ok: boolean; checks: Check[] };
  return { ...r, byName: Object.fromEntries(report.checks.map((c) => [c.check, c])) };
}

afterAll(async () => {
  await Promise.all(cwds.map((d) => rm(d, { recursive: true, force: true })));
});

describe('stratus cluster check: the S3 artifact store (Swift)', () => {
  let swift: SwiftServer;
  let s3Env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    swift = await startSwift();
    s3Env = {
      STRATUS_ARTIFACT_URL: `s3://${swift.bucket}/team/stratus`,
      STRATUS_S3_ENDPOINT: swift.endpoint,
      STRATUS_S3_REGION: swift.region,
      STRATUS_S3_ACCESS_KEY_ID: swift.accessKeyId,
      STRATUS_S3_SECRET_ACCESS_KEY: swift.secretAccessKey,
    };
  }, 60_000);
  afterAll(async () => {
    await swift?.stop();
  });

  it('writes, reads, range-reads, lists and deletes a probe object under the prefix', async () => {
    const r = await check(s3Env);
    expect(r.code, r.stdout).toBe(0);
    expect(r.byName['artifact store']).toEqual({
      check: 'artifact store', status: 'pass',
      detail: `s3://${swift.bucket}/team/stratus/: wrote, read (whole and a byte range), listed and deleted a probe object`,
    });
    const raw = createS3Client({ endpoint: swift.endpoint, region: swift.region, forcePathStyle: true, accessKeyId: swift.accessKeyId, secretAccessKey: swift.secretAccessKey });
    const left = await raw.send(new ListObjectsV2Command({ Bucket: swift.bucket, Prefix: 'team/' }));
    raw.destroy();
    expect(left.Contents ?? []).toEqual([]);
  });

  it('fails a wrong bucket, a wrong endpoint and a wrong secret, each with its own message and fix', async () => {
    const bucket = await check({ ...s3Env, STRATUS_ARTIFACT_URL: 's3://no-such-bucket-here/stratus' });
    expect(bucket.code).toBe(1);
    expect(bucket.byName['artifact store']).toMatchObject({
      status: 'fail',
      detail: "s3://no-such-bucket-here/stratus/: write failed: S3 bucket 'no-such-bucket-here' does not exist; create it, or fix STRATUS_ARTIFACT_URL",
      fix: `create the bucket (aws s3 mb s3://no-such-bucket-here --endpoint-url ${swift.endpoint}), or fix the bucket in STRATUS_ARTIFACT_URL`,
    });
    expect(bucket.stderr).toContain('error: 1 of 6 checks failed');

    const endpoint = await check({ ...s3Env, STRATUS_S3_ENDPOINT: 'http://127.0.0.1:1' });
    expect(endpoint.code).toBe(1);
    expect(endpoint.byName['artifact store']).toMatchObject({
      status: 'fail',
      detail: `s3://${swift.bucket}/team/stratus/: write failed: cannot reach the S3 endpoint (ECONNREFUSED); check STRATUS_S3_ENDPOINT`,
      fix: 'check STRATUS_S3_ENDPOINT (scheme, host and port) and that this machine reaches it',
    });

    const secret = await check({ ...s3Env, STRATUS_S3_SECRET_ACCESS_KEY: 'not-the-secret' });
    expect(secret.code).toBe(1);
    expect(secret.byName['artifact store'].detail).toMatch(/write failed: the S3 artifact store refused the request \(SignatureDoesNotMatch\)/);
    expect(secret.byName['artifact store'].fix).toContain('STRATUS_S3_SECRET_ACCESS_KEY');
  });
});

describe('stratus cluster status: one node, local executor', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('shows the node as leader and the local executor; admin keys only', async () => {
    const r = await stratus(['--url', server.url, '--token', TEST_TOKEN, 'cluster', 'status']);
    expect(r.code, r.stderr).toBe(0);
    const id = server.platform.cluster.id;
    expect(r.stdout).toContain(`API nodes: 1 live, leader ${id}; answered by ${id}`);
    expect(r.stdout).toMatch(new RegExp(`${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +${server.url} +yes +\\d+\\.\\ds ago`));
    expect(r.stdout).toMatch(/Executor: local \(jobs run on the leader node\): \d+ CPUs, \d+ MiB/);
    expect(r.stderr).toBe('');

    const json = JSON.parse((await stratus(['--json', '--url', server.url, '--token', TEST_TOKEN, 'cluster', 'status'])).stdout) as ClusterStatus;
    expect(json.executor).toMatchObject({ kind: 'local', node: id, local: { cpus: server.platform.config.executor.cpus } });
    expect(json.nodes).toEqual([expect.objectContaining({ id, leader: true, self: true })]);

    const reader = (await (await server.api('/api/v1/api-keys', { method: 'POST', json: { role: 'reader' } })).json()) as { token: string };
    const denied = await stratus(['--url', server.url, '--token', reader.token, 'cluster', 'status']);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/needs an admin key/);
  });
});

const unavailable = slurmUnavailable();
if (unavailable) console.warn(`[cluster-cli.test] Slurm part skipped: ${unavailable}`);

describe.skipIf(unavailable !== undefined)('stratus cluster status and check: Slurm', () => {
  let cluster: SlurmCluster;
  let server: RunningServer;
  let home: string;
  let slurmEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    cluster = SlurmCluster.start({ hosts: 3 });
    home = await mkdtemp(join(tmpdir(), 'stratus-cluster-cli-slurm-'));
    await mkdir(join(home, 'hosts'));
    slurmEnv = { STRATUS_EXECUTOR: 'slurm', STRATUS_SLURM_CONF: cluster.conf, STRATUS_SLURM_WORK_DIR: join(home, 'hosts'), STRATUS_HOME: join(home, 'check') };
    server = await startServer({ flags: { home, port: 0, logLevel: 'warn', executor: 'slurm', slurmConf: cluster.conf, slurmWorkDir: join(home, 'hosts') }, env: {} });
    cluster.cli('scontrol', ['update', 'nodename=h2', 'state=drain', 'reason=disk swap']);
    cluster.cli('sbatch', ['--parsable', '--nodes=1', '--cpus-per-task=1', '--mem=64', '--job-name=stratus-held-job', '--chdir=/tmp', '--output=/dev/null', '--wrap', 'sleep 120']);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    cluster?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it("status shows Slurm's partitions, node states with reasons and the queue, as the server sees them", async () => {
    let status: ClusterStatus | undefined;
    // The job needs a moment to start on a host.
    for (let i = 0; i < 50 && status?.executor.slurm?.queue[0]?.state !== 'RUNNING'; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 200));
      const r = await stratus(['--json', '--url', server.url, '--token', server.token, 'cluster', 'status']);
      expect(r.code, r.stderr).toBe(0);
      status = JSON.parse(r.stdout) as ClusterStatus;
    }
    const slurm = status!.executor.slurm!;
    expect(status!.executor.kind).toBe('slurm');
    expect(slurm).toMatchObject({ reachable: true, conf: cluster.conf, workDir: join(home, 'hosts'), capacity: { partition: 'debug', nodes: 3, up: 2, idle: 1 } });
    expect(slurm.version).toMatch(/^slurm/);
    expect(slurm.partitions).toEqual([expect.objectContaining({ name: 'debug', default: true, available: 'up', nodeList: 'h[1-3]' })]);
    expect(slurm.nodes.find((n) => n.name === 'h2')).toMatchObject({ state: 'drained', reason: 'disk swap' });
    expect(slurm.queue).toEqual([expect.objectContaining({ stratusJob: 'held-job', state: 'RUNNING', nodeCount: 1 })]);

    const text = await stratus(['--url', server.url, '--token', server.token, 'cluster', 'status']);
    expect(text.stdout).toContain('Nodes (partition debug: 3 node(s), 2 up, 1 idle)');
    expect(text.stdout).toMatch(/h2 +debug +drained +0\/0\/2\/2 .* disk swap/);
    expect(text.stdout).toMatch(/\d+ +held-job +RUNNING +1 +h[13]/);
  });

  it('check reads the cluster and probes the idle host for what a job needs', async () => {
    const r = await check({ ...slurmEnv, STRATUS_ADVERTISED_URL: server.url });
    expect(r.byName.executor).toMatchObject({ status: 'warn', fix: expect.stringContaining('state=resume') });
    expect(r.byName.executor.detail).toMatch(/^slurm: slurm\S* [\d.]+, partition debug \(the default\): 3 node\(s\), 2 up, 1 idle; 1 job\(s\) in the queue \(1 of Stratus\); not taking jobs: h2 drained \(disk swap\)$/);
    const idle = ['h1', 'h3'].find((h) => r.byName['slurm hosts'].detail.includes(`(${h})`));
    expect(r.byName['slurm hosts']).toEqual({
      check: 'slurm hosts', status: 'pass', detail: `1 idle host(s) (${idle}): Node, the host runner and ${join(home, 'hosts')} in place`,
    });
    // The server listens on loopback: no use to jobs on other hosts.
    expect(r.byName['api url']).toMatchObject({ status: 'fail', detail: `jobs on Slurm hosts would call the API at ${server.url}: each host itself` });

    const noWorkDir = await check({ ...slurmEnv, STRATUS_SLURM_WORK_DIR: join(home, 'no-such-folder') });
    expect(noWorkDir.code).toBe(1);
    expect(noWorkDir.byName['slurm hosts']).toMatchObject({
      status: 'fail',
      detail: `1 idle host(s) (${idle}): ${idle}: slurmWorkDir ${join(home, 'no-such-folder')} is missing or not writable`,
      fix: `create ${join(home, 'no-such-folder')} on every host (node-local disk), writable by the user jobs run as`,
    });

    const skipped = await check(slurmEnv, '--no-host-probe');
    expect(skipped.byName['slurm hosts']).toBeUndefined();
  });
});
