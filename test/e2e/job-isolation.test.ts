/**
 * Script jobs against the platform's secrets, when the server runs as root (as `stratus server`
 * in production and CI do): the job runs as the unprivileged job user and cannot read the data
 * folder (admin token, database, artifacts), other jobs' logs or the list of jobs; and symlinks it
 * plants where the server reads job files (output/failure, model/, checkpoints/) do not make the
 * server copy a secret into a failure reason, model.tar.gz or the checkpoint store.
 * See docs/architecture.md, "Script jobs and isolation".
 */
import { readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packDirectory } from '../../src/artifacts/archive.js';
import { adminTokenFile } from '../../src/auth/auth-service.js';
import { StratusClient, type TrainingJob } from '../../src/sdk/index.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { DATASETS } from '../helpers/shared.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/script-jobs/', import.meta.url));
const IS_ROOT = process.getuid?.() === 0;
if (!IS_ROOT) {
  console.warn('job-isolation.test.ts skipped: the server is not root here, so jobs run as its own user (no OS-level isolation to test)');
}

let server: RunningServer;
let home: string;
let client: StratusClient;
let token: string;
let source: string;

describe.skipIf(!IS_ROOT)('script jobs cannot read the platform\'s secrets (server running as root)', () => {
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'stratus-isolation-'));
    // A generated admin token, kept in <home>/admin-token as `stratus server` does.
    server = await startServer({ flags: { home, port: 0, logLevel: 'warn', python: '/usr/bin/python3', executorCpus: 64 }, env: {} });
    token = server.token;
    client = new StratusClient({ url: server.url, token });
    await client.datasets.upload('bc', join(DATASETS, 'breast_cancer.csv'));
    const chunks: Buffer[] = [];
    for await (const c of packDirectory(join(FIXTURES, 'isolation-probe'))) chunks.push(c as Buffer);
    const res = await fetch(`${server.url}/api/v1/artifacts/uploads/sources/isolation-probe.tar.gz`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: Buffer.concat(chunks),
    });
    expect(res.status).toBe(201);
    source = ((await res.json()) as { uri: string }).uri;
  });
  afterAll(async () => {
    await server?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  const create = (name: string, environment: Record<string, string>, extra: Record<string, unknown> = {}) =>
    client.trainingJobs.create({
      name,
      script: { source, entryPoint: 'train.py' },
      inputs: [{ channel: 'train', dataset: 'bc' }],
      checkpointConfig: {},
      environment,
      ...extra,
    });
  const waitEnded = (name: string) => client.trainingJobs.waitFor(name, { intervalMs: 200, timeoutMs: 90_000 });
  const context = async (job: TrainingJob) => `${job.status} ${job.failureReason ?? ''}\n${await client.trainingJobs.logs(job.name)}`;
  const bytesOf = async (key: string) => {
    const raw = Buffer.from(await (await fetch(`${server.url}/api/v1/artifacts/${key}`, { headers: { authorization: `Bearer ${token}` } })).arrayBuffer());
    return key.endsWith('.gz') ? gunzipSync(raw) : raw;
  };
  const firstFileUnder = (dir: string): string | undefined => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isFile()) return p;
      const below = e.isDirectory() ? firstFileUnder(p) : undefined;
      if (below) return below;
    }
    return undefined;
  };

  it('runs as the job user, with the data folder closed to it', () => {
    const { user, jobsDir } = server.platform.jobSandbox;
    expect(user).toBeDefined();
    expect(user!.uid).not.toBe(0);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(jobsDir).mode & 0o777).toBe(0o711);
    expect(jobsDir.startsWith(home)).toBe(false);
  });

  it('a script reading the token file, the database, the artifacts and other jobs is denied, and still trains', async () => {
    const { jobsDir, user } = server.platform.jobSandbox;
    // Another job running meanwhile: its log sits beside its folder.
    await create('iso-other', { SLEEP: '60' });
    await waitForStatus('iso-other', 'Training');
    const dataset = firstFileUnder(join(home, 'artifacts', 'datasets')) ?? firstFileUnder(join(home, 'artifacts'))!;
    const probes = {
      token: adminTokenFile(home),
      db: join(home, 'stratus.db'),
      'list:home': home,
      'list:artifacts': join(home, 'artifacts'),
      dataset,
      'list:jobs': jobsDir,
      'other-log': join(jobsDir, 'iso-other.log'),
    };
    const gaps = { 'other-folder': join(jobsDir, 'iso-other', 'input', 'config', 'hyperparameters.json') };
    await create('iso-probe', { PROBES: JSON.stringify({ ...probes, ...gaps }) });
    const job = await waitEnded('iso-probe');
    expect(job.status, await context(job)).toBe('Completed');
    const log = await client.trainingJobs.logs('iso-probe');
    const report = JSON.parse(/^PROBE=(.*)$/m.exec(log)![1]) as Record<string, string | number>;
    expect(report.uid).toBe(user!.uid);
    for (const label of Object.keys(probes)) expect(report[label], `${label}: ${JSON.stringify(report)}`).toBe('denied');
    // Known gap (docs/architecture.md): jobs running at the same time share the job user, so one
    // that knows another's name can read that job's folder while both run. Recorded, not hidden.
    expect(report['other-folder']).toMatch(/^READ:/);
    // It read its input and wrote a model and a checkpoint.
    expect(report.train_rows).toBeGreaterThan(100);
    const model = (await bytesOf('training-jobs/iso-probe/output/model.tar.gz')).toString('latin1');
    expect(model).toContain('rows=');
    expect(model).not.toContain(token);
    expect((await bytesOf('checkpoints/iso-probe/state.json')).toString()).toContain('rows');
    await client.trainingJobs.stop('iso-other');
    await waitEnded('iso-other');
  }, 120_000);

  it('symlinks to the token and the database in model/, checkpoints/ and output/failure leak nothing', async () => {
    const secrets = [adminTokenFile(home), join(home, 'stratus.db')];
    // A job that completes: its model.tar.gz and checkpoints must hold links at most, never the files.
    await create('iso-links', { ATTACK: '1', SECRET_PATHS: JSON.stringify(secrets) });
    const ok = await waitEnded('iso-links');
    expect(ok.status, await context(ok)).toBe('Completed');
    const model = (await bytesOf('training-jobs/iso-links/output/model.tar.gz')).toString('latin1');
    expect(model).toContain('rows=');
    expect(model).not.toContain(token);
    expect(model).not.toContain('SQLite format 3');
    const keys: string[] = [];
    for (const o of (await client.artifacts.list({ prefix: 'checkpoints/iso-links/' })).items) keys.push(o.key);
    expect(keys).toEqual(['checkpoints/iso-links/state.json']);
    // A job that fails with output/failure linked to the token file.
    await create('iso-fail', { ATTACK: '1', FAIL: '1', SECRET_PATHS: JSON.stringify(secrets) });
    const failed = await waitEnded('iso-fail');
    expect(failed.status).toBe('Failed');
    expect(failed.failureReason).toContain('exited with code 1');
    expect(failed.failureReason).not.toContain(token);
    expect(await client.trainingJobs.logs('iso-fail')).not.toContain(token);
  }, 120_000);

  async function waitForStatus(name: string, secondary: string) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const job = await client.trainingJobs.get(name);
      if (job.secondaryStatus === secondary) return;
      if (job.status !== 'InProgress' || Date.now() > deadline) throw new Error(`${name} never reached ${secondary}: ${await context(job)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
});
