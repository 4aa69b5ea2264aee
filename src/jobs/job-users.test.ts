import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobUserPool, processesOf, type JobUserLease } from './job-users.js';

const isRoot = process.getuid?.() === 0;
const hasUseradd = spawnSync('useradd', ['--help'], { stdio: 'ignore' }).status === 0;
// Users of their own (created once, kept like the servers' pool users): the servers' pool
// (`stratus-job-<n>`) may be in use by tests running in parallel, and a release kills its processes.
const PREFIX = 'stratus-jobtest-';

describe.skipIf(!isRoot || !hasUseradd)('JobUserPool (root, with useradd)', () => {
  let leaseDir: string;
  let leases: JobUserLease[];

  beforeEach(async () => {
    leaseDir = await mkdtemp(join(tmpdir(), 'job-users-'));
    leases = [];
  });
  afterEach(async () => {
    for (const l of leases) await l.release();
    await rm(leaseDir, { recursive: true, force: true });
  });

  const lease = async (pool: JobUserPool) => {
    const l = await pool.lease();
    leases.push(l);
    return l;
  };

  it('hands each lease a user of its own, across pools, and the lowest free one again after a release', async () => {
    const pool = new JobUserPool(leaseDir, PREFIX);
    const other = new JobUserPool(leaseDir, PREFIX); // a second server on the same machine
    const [a, b, c] = await Promise.all([lease(pool), lease(other), lease(pool)]);
    const names = [a, b, c].map((l) => l.user.name);
    expect(new Set(names).size).toBe(3);
    expect(new Set([a, b, c].map((l) => l.user.uid)).size).toBe(3);
    for (const l of [a, b, c]) {
      expect(l.user.name.startsWith(PREFIX)).toBe(true);
      expect(l.user.uid).not.toBe(0);
      expect(l.user.gid).not.toBe(0);
    }
    const lowest = [a, b, c].sort((x, y) => x.user.name.localeCompare(y.user.name, 'en', { numeric: true }))[0];
    await lowest.release();
    expect((await lease(other)).user.name).toBe(lowest.user.name);
  });

  it('takes over the lease of a holder that died', async () => {
    const dead = spawnSync('true').pid;
    await writeFile(join(leaseDir, `${PREFIX}1`), String(dead));
    const l = await lease(new JobUserPool(leaseDir, PREFIX));
    expect(l.user.name).toBe(`${PREFIX}1`);
    expect((await readFile(join(leaseDir, `${PREFIX}1`), 'utf8')).trim()).toBe(String(process.pid));
  });

  it('kills what still runs as the user when it is returned, even outside the job\'s process group', async () => {
    const l = await lease(new JobUserPool(leaseDir, PREFIX));
    // As a job that daemonized itself would: its own session, out of reach of a group kill.
    const stray = spawn('setsid', ['sleep', '60'], { uid: l.user.uid, gid: l.user.gid, detached: true, stdio: 'ignore' });
    const exited = new Promise((r) => stray.once('exit', r));
    await new Promise((r) => setTimeout(r, 200));
    expect((await processesOf(l.user.uid)).length).toBeGreaterThan(0);
    await l.release();
    await exited;
    expect(await processesOf(l.user.uid)).toEqual([]);
  });
});
