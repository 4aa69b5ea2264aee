/**
 * The unprivileged OS users that local job processes and process replicas run as when the server
 * is root (see job-sandbox.ts). By default each running job or replica leases a user of its own
 * from a pool (`stratus-job-1`, `stratus-job-2`, …, created on demand), so two that run at the
 * same time have different uids and cannot enter each other's 0700 folders.
 *
 * A lease is a file `<leaseDir>/<user>` holding the holder's pid, so servers sharing the machine
 * (or the same process) never hand out one user twice; a lease whose pid is gone (a server that
 * crashed) is taken over. Before a user is handed out and when it is returned, every process
 * still running as it is killed: a process that left its job's group (setsid) cannot outlive the
 * lease and read the next job's folder.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PlatformError, validationError } from '../core/errors.js';

const run = promisify(execFile);

/** An unprivileged OS user that local job processes run as. */
export interface JobUser {
  name: string;
  uid: number;
  gid: number;
  /** How it was chosen: named in config, a pool user found or created, or `nobody` as a fallback. */
  how: 'configured' | 'existing' | 'created' | 'fallback';
}

/** One job's (or replica's) hold on a user. */
export interface JobUserLease {
  readonly user: JobUser;
  /** Kills every process still running as the user (nothing for a shared user). */
  stopProcesses(): Promise<void>;
  /** Stops the user's processes, then returns it to the pool. Call once the user's folders are taken back or removed. */
  release(): Promise<void>;
}

/** Where jobs get their user from. */
export interface JobUserSource {
  /** `pool`: a user of its own per lease; `shared`: every lease gets the same user. */
  readonly kind: 'pool' | 'shared';
  /** @throws PlatformError LimitExceeded when every pool user is in use; Internal when one cannot be created. */
  lease(): Promise<JobUserLease>;
}

/** Prefix of the pool's users: `stratus-job-1`, `stratus-job-2`, … */
export const JOB_USER_PREFIX = 'stratus-job-';
/** Most pool users: they come from the system uid range, which is small (typically 100–999). */
export const MAX_POOL_USERS = 256;
/** A lock of the lease folder older than this was left by a process that died holding it. */
const STALE_LOCK_MS = 10_000;

/** Every lease gets the same user: a configured `jobUser`, or `nobody` where users cannot be created. */
export class SharedJobUser implements JobUserSource {
  readonly kind = 'shared';
  constructor(readonly user: JobUser) {}

  async lease(): Promise<JobUserLease> {
    const noop = async () => undefined;
    return { user: this.user, stopProcesses: noop, release: noop };
  }
}

/** Users `<prefix><n>` (`stratus-job-<n>`), one per lease, created with useradd on first use. */
export class JobUserPool implements JobUserSource {
  readonly kind = 'pool';
  readonly #known = new Map<string, JobUser>();
  #acquiring: Promise<unknown> = Promise.resolve();

  /**
   * @param leaseDir a folder only the server's user (root) can write: the lease files.
   * @param prefix of the users' names; every pool of one prefix on a machine must share `leaseDir`.
   */
  constructor(
    private readonly leaseDir: string,
    private readonly prefix = JOB_USER_PREFIX,
  ) {}

  async lease(): Promise<JobUserLease> {
    // One claim at a time in this process; the lock folder orders them across processes.
    const claimed = this.#acquiring.then(() => this.#claimName());
    this.#acquiring = claimed.catch(() => undefined);
    const name = await claimed;
    const file = join(this.leaseDir, name);
    try {
      const user = await this.#user(name);
      // A stale lease, or a user someone ran processes as outside the pool: nothing of it may run on.
      await killProcessesOf(user.uid);
      return this.#leaseOf(user, file);
    } catch (e) {
      await unlink(file).catch(() => undefined);
      throw e;
    }
  }

  #leaseOf(user: JobUser, file: string): JobUserLease {
    let released: Promise<void> | undefined;
    return {
      user,
      stopProcesses: () => killProcessesOf(user.uid),
      release: () =>
        (released ??= killProcessesOf(user.uid).then(() => unlink(file).catch(() => undefined))),
    };
  }

  /** The first pool name with no live lease, its lease file written with this process's pid. */
  async #claimName(): Promise<string> {
    await mkdir(this.leaseDir, { recursive: true, mode: 0o700 });
    const unlock = await lockFolder(join(this.leaseDir, '.lock'));
    try {
      for (let n = 1; n <= MAX_POOL_USERS; n++) {
        const name = `${this.prefix}${n}`;
        const file = join(this.leaseDir, name);
        const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
        if (holder > 0 && isAlive(holder)) continue;
        await writeFile(file, String(process.pid), { mode: 0o600 });
        return name;
      }
    } finally {
      await unlock();
    }
    throw new PlatformError('LimitExceeded', `all ${MAX_POOL_USERS} job users (${this.prefix}1…) are in use by running jobs and replicas; wait for some to end`);
  }

  async #user(name: string): Promise<JobUser> {
    const known = this.#known.get(name);
    if (known) return known;
    const user = await findOrCreateUser(name);
    if (!user) throw new PlatformError('Internal', `cannot create the job user '${name}' (useradd failed or is missing)`);
    this.#known.set(name, user);
    return user;
  }
}

/** The user named `name`, created with `useradd --system` when missing; undefined when it cannot be. */
export async function findOrCreateUser(name: string): Promise<JobUser | undefined> {
  const existing = await lookupUser(name);
  if (existing) return checked({ ...existing, name, how: 'existing' });
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // no useradd here
      // Another server may be creating users right now (the user exists, or /etc/passwd is locked).
    }
    const created = await lookupUser(name);
    if (created) return checked({ ...created, name, how: 'created' });
    await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
  }
  return undefined;
}

/** A configured user: it must exist and be unprivileged. */
export async function configuredUser(name: string): Promise<JobUser> {
  const found = await lookupUser(name);
  if (!found) throw validationError(`jobUser '${name}' does not exist on this machine`);
  return checked({ ...found, name, how: 'configured' });
}

export function checked(user: JobUser): JobUser {
  if (user.uid === 0 || user.gid === 0) throw validationError(`jobUser '${user.name}' is root (uid ${user.uid}, gid ${user.gid}): jobs need an unprivileged user`);
  return user;
}

export async function lookupUser(name: string): Promise<{ uid: number; gid: number } | undefined> {
  try {
    const uid = Number((await run('id', ['-u', name])).stdout.trim());
    const gid = Number((await run('id', ['-g', name])).stdout.trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Holds the folder `path` as a lock (mkdir is atomic); breaks one left by a dead holder. */
async function lockFolder(path: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await mkdir(path);
      return () => rmdir(path).catch(() => undefined);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const since = await stat(path).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (since > STALE_LOCK_MS) await rmdir(path).catch(() => undefined);
    else if (Date.now() > deadline) throw new PlatformError('Unavailable', `the job user pool is locked (${path}); remove that folder if no server is starting a job`);
    else await new Promise((r) => setTimeout(r, 10 + Math.random() * 20));
  }
}

/** Live processes whose real, effective, saved or filesystem uid is `uid` (from /proc; none off Linux). Zombies are left out. */
export async function processesOf(uid: number): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    const uids = /^Uid:\s+(.*)$/m.exec(status)?.[1].trim().split(/\s+/).map(Number);
    if (uids?.includes(uid) && !/^State:\s+Z/m.test(status)) pids.push(pid);
  }
  return pids;
}

/** SIGKILLs every process of `uid` until none is left (a process may fork while others die). */
export async function killProcessesOf(uid: number): Promise<void> {
  for (let round = 0; round < 50; round++) {
    const pids = await processesOf(uid);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
