import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessKeyService } from '../../auth/access-key-service.js';
import { SecretBox } from '../../auth/secret-box.js';
import { systemClock } from '../../core/clock.js';
import { createLogger } from '../../core/logger.js';
import { openMetadataStore } from '../../store/open-store.js';
import type { CliIo } from '../context.js';
import { main } from '../main.js';
import { renderStatus, statusWarnings, type ClusterStatus } from './cluster.js';

/* `stratus cluster check` against the local defaults and the PostgreSQL every dev machine and CI has. */
const SERVER_URL = process.env.STRATUS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `stratus_check_${randomBytes(6).toString('hex')}`;
const pgUrl = `${SERVER_URL}?schema=${schema}`;
const dirs: string[] = [];

interface Check {
  check: string;
  status: 'pass' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

async function stratus(args: string[], env: NodeJS.ProcessEnv = {}) {
  const cwd = mkdtempSync(join(tmpdir(), 'stratus-check-'));
  dirs.push(cwd);
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
  return { code, stdout: out.join(''), stderr: err.join(''), cwd };
}

async function check(env: NodeJS.ProcessEnv, ...flags: string[]) {
  const r = await stratus(['--json', 'cluster', 'check', ...flags], env);
  const report = JSON.parse(r.stdout) as { ok: boolean; checks: Check[] };
  const byName = Object.fromEntries(report.checks.map((c) => [c.check, c]));
  return { ...r, report, byName };
}

const key = () => randomBytes(32).toString('base64');

afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
});

describe('stratus cluster check', () => {
  it('passes on the local defaults and says what each role is', async () => {
    const r = await stratus(['cluster', 'check']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^PASS {2}configuration +metadata SQLite \(one node\), artifacts a local folder, executor local/m);
    expect(r.stdout).toMatch(/^PASS {2}metadata store +SQLite at .*stratus\.db \(not created yet\): empty; the first server start applies \d+ migrations/m);
    expect(r.stdout).toMatch(/^PASS {2}artifact store +file:\/\/.*: wrote, read \(whole and a byte range\), listed and deleted a probe object/m);
    expect(r.stdout).toMatch(/^PASS {2}executor +local/m);
    expect(r.stdout).toMatch(/^PASS {2}api url +jobs call the API at http:\/\/127\.0\.0\.1:8080/m);
    expect(r.stdout).toMatch(/6 passed, 0 warning\(s\), 0 failed/);
  });

  it('fails a folder it cannot write and a bad setting, with a fix for each, and exits 1', async () => {
    // A folder below a file: unwritable even for root.
    const file = join(mkdtempSync(join(tmpdir(), 'stratus-check-')), 'a-file');
    dirs.push(dirname(file));
    writeFileSync(file, '');
    const r = await check({ STRATUS_ARTIFACT_URL: `file://${file}/artifacts` });
    expect(r.code).toBe(1);
    expect(r.report.ok).toBe(false);
    expect(r.byName['artifact store']).toMatchObject({ status: 'fail', fix: expect.stringContaining('create the folder') });
    expect(r.byName['artifact store'].detail).toMatch(/\/a-file\/artifacts\/: write failed: .*ENOTDIR/);
    expect(r.stderr).toMatch(/error: 1 of 6 checks failed/);

    const bad = await check({ STRATUS_EXECUTOR: 'kubernetes' });
    expect(bad.code).toBe(1);
    expect(bad.report.checks).toEqual([expect.objectContaining({ check: 'configuration', status: 'fail', detail: "executor must be 'local' or 'slurm', got 'kubernetes'" })]);
  });

  it('fails the Slurm executor when its CLI does not answer, and a loopback URL for its jobs', async () => {
    const r = await check({ STRATUS_EXECUTOR: 'slurm', STRATUS_SLURM_CONF: '/nonexistent/slurm.conf' });
    expect(r.code).toBe(1);
    expect(r.byName.executor).toMatchObject({ status: 'fail', fix: expect.stringContaining('STRATUS_SLURM_CONF') });
    expect(r.byName.executor.detail).toBe('slurm: STRATUS_SLURM_CONF /nonexistent/slurm.conf does not exist');
    expect(r.byName['api url']).toMatchObject({ status: 'fail', detail: 'jobs on Slurm hosts would call the API at http://127.0.0.1:8080: each host itself' });
    expect(r.byName['api url'].fix).toContain('STRATUS_ADVERTISED_URL');

    const advertised = await check({ STRATUS_ADVERTISED_URL: 'http://stratus.invalid:8080' });
    expect(advertised.byName['api url']).toMatchObject({ status: 'fail', detail: expect.stringMatching(/stratus\.invalid does not resolve here/) });
  });
});

describe('stratus cluster check on PostgreSQL', () => {
  let sealing: string;

  beforeAll(() => {
    sealing = key();
  });

  it('reads a fresh schema without creating it, and fails without a sealing key', async () => {
    const r = await check({ STRATUS_DATABASE_URL: pgUrl });
    expect(r.code).toBe(1);
    expect(r.byName['metadata store']).toMatchObject({ status: 'pass' });
    expect(r.byName['metadata store'].detail).toMatch(new RegExp(`^PostgreSQL \\d+\\.\\d+ at 127\\.0\\.0\\.1:5432/test as postgres, schema ${schema}: empty; the first server start applies \\d+ migrations; 0 API node\\(s\\) heartbeating$`));
    expect(r.byName['sealing key']).toMatchObject({ status: 'fail', fix: expect.stringContaining('openssl rand -base64 32') });
    // A folder store is one path on every node: a warning, not a failure.
    expect(r.byName['artifact store'].status).toBe('warn');
    const client = new pg.Client({ connectionString: SERVER_URL });
    await client.connect();
    const { rowCount } = await client.query('select 1 from pg_namespace where nspname = $1', [schema]);
    await client.end();
    expect(rowCount).toBe(0);

    const withKey = await check({ STRATUS_DATABASE_URL: pgUrl, STRATUS_SEALING_KEY: sealing });
    expect(withKey.code, JSON.stringify(withKey.report)).toBe(0);
    expect(withKey.byName['sealing key']).toMatchObject({ status: 'pass', detail: expect.stringContaining('no access keys stored yet') });
  });

  it('compares the sealing key with the stored access keys, and the migrations with this build', async () => {
    const store = await openMetadataStore(pgUrl, { log: createLogger({ level: 'silent' }) });
    const accessKeys = new AccessKeyService({ store, clock: systemClock, box: SecretBox.fromKey(Buffer.from(sealing, 'base64')) });
    await accessKeys.ensureConfigured('AKIACHECK0000000001', 'secret-of-the-check-test');
    await store.close();

    const right = await check({ STRATUS_DATABASE_URL: pgUrl, STRATUS_SEALING_KEY: sealing });
    expect(right.code, JSON.stringify(right.report)).toBe(0);
    expect(right.byName['metadata store'].detail).toMatch(/: (\d+) of \1 migrations applied; 0 API node\(s\) heartbeating$/);
    expect(right.byName['sealing key'].detail).toContain('opens all 1 stored access key(s)');

    const wrong = await check({ STRATUS_DATABASE_URL: pgUrl, STRATUS_SEALING_KEY: key() });
    expect(wrong.code).toBe(1);
    expect(wrong.byName['sealing key']).toMatchObject({ status: 'fail', detail: '1 of 1 access key(s) in the database (AKIACHECK0000000001) were sealed under another key' });

    const client = new pg.Client({ connectionString: SERVER_URL });
    await client.connect();
    await client.query(`insert into ${schema}.kysely_migration (name, timestamp) values ('9999_from_the_future', '2099-01-01T00:00:00Z')`);
    await client.end();
    const newer = await check({ STRATUS_DATABASE_URL: pgUrl, STRATUS_SEALING_KEY: sealing });
    expect(newer.code).toBe(1);
    expect(newer.byName['metadata store']).toMatchObject({ status: 'fail', fix: expect.stringContaining('same Stratus version on every node') });
    expect(newer.byName['metadata store'].detail).toContain('(9999_from_the_future): a newer version set it up');
  });

  it('fails an unreachable PostgreSQL with the address and a fix', async () => {
    const r = await check({ STRATUS_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test', STRATUS_SEALING_KEY: sealing });
    expect(r.code).toBe(1);
    expect(r.byName['metadata store']).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^cannot connect to PostgreSQL at 127\.0\.0\.1:1\/test as postgres: .*ECONNREFUSED/) });
    expect(r.byName['metadata store'].fix).toContain('listen_addresses');
    expect(r.byName['sealing key'].status).toBe('warn');
  });
});

describe('stratus cluster status rendering', () => {
  const node = (id: string, leader: boolean, self: boolean, jobs: string[] = []) => ({
    id, url: `http://${id.split(':')[0]}:8080`, leader, self, startedAt: '2025-01-01T00:00:00.000Z', heartbeatAt: '2025-01-01T00:10:00.000Z', jobs,
  });

  it('prints the nodes and the Slurm view, and warns when nothing can start jobs', () => {
    const status: ClusterStatus = {
      nodes: [node('a:8080:1', false, true), node('b:8080:2', false, false, ['bc-1', 'transform:t'])],
      executor: {
        kind: 'slurm', node: 'a:8080:1',
        slurm: {
          workDir: '/scratch', reachable: true, version: 'slurm-wlm 22.05.8', queueTotal: 1,
          partitions: [{ name: 'debug', default: true, available: 'up', timeLimit: 'infinite', nodes: { allocated: 0, idle: 0, other: 1, total: 1 }, nodeList: 'h1' }],
          nodes: [{ name: 'h1', partitions: ['debug'], state: 'drained', cpus: { allocated: 0, idle: 0, other: 2, total: 2 }, memoryMiB: 8000, freeMemoryMiB: null, cpuLoad: null, reason: 'disk' }],
          queue: [{ id: '7', name: 'stratus-bc-1', stratusJob: 'bc-1', user: 'stratus', state: 'PENDING', reason: 'ReqNodeNotAvail', nodeCount: 1, nodes: '', elapsed: '0:00', timeLimit: '5:00', partition: 'debug', submitTime: '' }],
          capacity: { partition: 'debug', nodes: 1, up: 0, idle: 0 },
        },
      },
    };
    const text = renderStatus(status, Date.parse('2025-01-01T00:10:01.500Z'));
    expect(text).toMatch(/^API nodes: 2 live, leader none; answered by a:8080:1/);
    expect(text).toMatch(/b:8080:2 +http:\/\/b:8080 +no +1\.5s ago +2025-01-01 00:00:00Z +2: bc-1, transform:t/);
    expect(text).toContain('Executor: slurm (slurm-wlm 22.05.8), as node a:8080:1 sees it: partition (default), work folder /scratch');
    expect(text).toMatch(/debug\* +up +0\/0\/1\/1 +infinite +h1/);
    expect(text).toContain('Nodes (partition debug: 1 node(s), 0 up, 0 idle)');
    expect(text).toMatch(/h1 +debug +drained +0\/0\/2\/2 +8000 +- +- +disk/);
    expect(text).toMatch(/7 +bc-1 +PENDING +1 +- +0:00 +5:00 +stratus +ReqNodeNotAvail/);
    expect(statusWarnings(status)).toEqual([
      expect.stringContaining('no live node holds the dispatcher lease'),
      'no node of partition debug takes jobs: every job waits',
    ]);
  });
});
