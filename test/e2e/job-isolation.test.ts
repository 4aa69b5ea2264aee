/**
 * Script jobs and inference code against the platform's secrets, when the server runs as root (as
 * `stratus server` in production and CI do): each job runs as an unprivileged user of its own
 * (leased from the `stratus-job-<n>` pool) and cannot read the data folder (admin token,
 * database, artifacts), other jobs' folders or logs, or the list of jobs; symlinks it plants where
 * the server reads job files (output/failure, model/, checkpoints/) do not make the server copy a
 * secret into a failure reason, model.tar.gz or the checkpoint store; and an inference.py model
 * serves predictions as such a user, unable to read the database or the token.
 * See docs/architecture.md, "Script jobs and isolation".
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packDirectory } from '../../src/artifacts/archive.js';
import { adminTokenFile } from '../../src/auth/auth-service.js';
import { replicaRoot } from '../../src/serving/runtimes/replica-sandbox.js';
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
    source = await uploadTarGz(join(FIXTURES, 'isolation-probe'), 'sources/isolation-probe.tar.gz');
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
  const uploadTarGz = async (dir: string, key: string) => {
    const chunks: Buffer[] = [];
    for await (const c of packDirectory(dir)) chunks.push(c as Buffer);
    const res = await fetch(`${server.url}/api/v1/artifacts/uploads/${key}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: Buffer.concat(chunks),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { uri: string }).uri;
  };
  /** Processes (pids) working in a folder under `root`. */
  const processesIn = (root: string) =>
    readdirSync('/proc').filter((e) => /^\d+$/.test(e)).filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/cwd`).startsWith(`${root}/`);
      } catch {
        return false;
      }
    });
  const uidOf = (pid: string) => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  const poolUserOf = (uid: number) => execFileSync('id', ['-nu', String(uid)]).toString().trim();
  const reportOf = async (name: string) => JSON.parse(/^PROBE=(.*)$/m.exec(await client.trainingJobs.logs(name))![1]) as Record<string, string | number>;
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

  it('runs jobs as users of a pool, with the data folder closed to them', () => {
    const { users, jobsDir } = server.platform.jobSandbox;
    expect(users?.kind).toBe('pool');
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(jobsDir).mode & 0o777).toBe(0o711);
    expect(jobsDir.startsWith(home)).toBe(false);
  });

  it('a script reading the token file, the database, the artifacts and other jobs is denied, and still trains', async () => {
    const { jobsDir } = server.platform.jobSandbox;
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
    const report = await reportOf('iso-probe');
    expect(report.uid).not.toBe(0);
    expect(poolUserOf(report.uid as number)).toMatch(/^stratus-job-\d+$/);
    for (const label of Object.keys(probes)) expect(report[label], `${label}: ${JSON.stringify(report)}`).toBe('denied');
    // A job running at the same time has a user of its own: its folder is closed too.
    expect(report['other-folder'], JSON.stringify(report)).toBe('denied');
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

  it('two script jobs running at the same time have users of their own and cannot read each other\'s folders', async () => {
    const { jobsDir } = server.platform.jobSandbox;
    // Each waits until the other's folder is handed over to the other's user, probes it, and
    // lingers, so both are running while each tries the other.
    const peerOf = (peer: string) => ({
      PEER: join(jobsDir, peer),
      LINGER: '3',
      PROBES: JSON.stringify({
        'list:peer': join(jobsDir, peer),
        'peer-config': join(jobsDir, peer, 'input', 'config', 'hyperparameters.json'),
        'list:peer-data': join(jobsDir, peer, 'input', 'data', 'train'),
      }),
    });
    await create('iso-a', peerOf('iso-b'));
    await create('iso-b', peerOf('iso-a'));
    const [a, b] = await Promise.all([waitEnded('iso-a'), waitEnded('iso-b')]);
    expect(a.status, await context(a)).toBe('Completed');
    expect(b.status, await context(b)).toBe('Completed');
    const [ra, rb] = [await reportOf('iso-a'), await reportOf('iso-b')];
    expect(ra.uid).not.toBe(rb.uid);
    for (const r of [ra, rb]) {
      expect(r.uid).not.toBe(0);
      expect(poolUserOf(r.uid as number)).toMatch(/^stratus-job-\d+$/);
    }
    // Each saw the other's folder owned by the other's user, and was refused (EACCES) inside it.
    expect(ra.peer_uid).toBe(rb.uid);
    expect(rb.peer_uid).toBe(ra.uid);
    for (const r of [ra, rb]) {
      for (const label of ['list:peer', 'peer-config', 'list:peer-data']) expect(r[label], `${label}: ${JSON.stringify(r)}`).toBe('denied');
    }
  }, 120_000);

  it('an inference.py model runs as a pool user: it serves predictions and cannot read the database or the token', async () => {
    const work = await mkdtemp(join(tmpdir(), 'iso-model-'));
    try {
      mkdirSync(join(work, 'code'));
      writeFileSync(join(work, 'weights.json'), '[1, 10, 100]');
      writeFileSync(join(work, 'code', 'inference.py'), INFERENCE_PROBE);
      const artifactUri = await uploadTarGz(work, 'models/iso-py/model.tar.gz');
      const probes = {
        token: adminTokenFile(home),
        db: join(home, 'stratus.db'),
        'list:home': home,
        'list:model-cache': join(home, 'model-cache'),
        'list:replicas': replicaRoot(server.platform.jobSandbox.jobsDir, home),
      };
      await client.models.create({ name: 'iso-py', artifactUri, runtime: 'python', environment: { PROBES: JSON.stringify(probes) } });
      await client.endpointConfigs.create({ name: 'iso-py', variants: [{ name: 'AllTraffic', model: 'iso-py', instanceCount: 2 }] });
      await client.endpoints.create({ name: 'iso-py', config: 'iso-py' });
      await client.endpoints.waitFor('iso-py', 'InService', { timeoutMs: 60_000 });
      for (let i = 0; i < 4; i++) {
        const res = await client.endpoints.invoke('iso-py', '1,2,3\n0,0,1');
        const body = JSON.parse(res.body) as { scores: number[]; uid: number; report: Record<string, string> };
        expect(body.scores).toEqual([321, 100]);
        expect(poolUserOf(body.uid)).toMatch(/^stratus-job-\d+$/);
        for (const label of Object.keys(probes)) expect(body.report[label], `${label}: ${JSON.stringify(body.report)}`).toBe('denied');
      }
      // Two replicas, two users: each replica's server runs in a folder of its own under the replica root.
      const root = replicaRoot(server.platform.jobSandbox.jobsDir, home);
      const replicaUids = processesIn(root).map(uidOf);
      expect(replicaUids).toHaveLength(2);
      expect(new Set(replicaUids).size).toBe(2);
      for (const uid of replicaUids) expect(poolUserOf(uid)).toMatch(/^stratus-job-\d+$/);
      await client.endpoints.delete('iso-py');
      // Its replicas' folders (copies of the model) go with them, and their users return to the pool.
      const deadline = Date.now() + 30_000;
      while (readdirSync(root).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(readdirSync(root)).toEqual([]);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
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

/** inference.py handlers that probe PROBES ({label: path}) on every request, and score rows with SM_MODEL_DIR/weights.json. */
const INFERENCE_PROBE = `import json, os

def probe():
    report = {}
    for label, path in json.loads(os.environ.get('PROBES', '{}')).items():
        try:
            if label.startswith('list:'):
                report[label] = 'READ:' + ','.join(sorted(os.listdir(path)))
            else:
                with open(path, 'rb') as f:
                    report[label] = 'READ:' + f.read(100).decode('latin1')
        except PermissionError:
            report[label] = 'denied'
        except OSError as e:
            report[label] = 'error:' + type(e).__name__
    return report

def model_fn(model_dir):
    with open(os.path.join(model_dir, 'weights.json')) as f:
        return json.load(f)

def transform_fn(weights, body, content_type, accept):
    text = body.decode('utf-8') if isinstance(body, bytes) else body
    rows = [[float(v) for v in line.split(',')] for line in text.splitlines() if line.strip()]
    scores = [sum(w * v for w, v in zip(weights, row)) for row in rows]
    return json.dumps({'scores': scores, 'uid': os.getuid(), 'report': probe()}), 'application/json'
`;
