import { createHash } from 'node:crypto';
import { constants, existsSync, type Stats } from 'node:fs';
import { chmod, lchown, lstat, mkdir, open, readdir, readlink, realpath, unlink, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { validationError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { checked, configuredUser, findOrCreateUser, JOB_USER_PREFIX, JobUserPool, lookupUser, SharedJobUser, type JobUser, type JobUserSource } from './job-users.js';

export type { JobUser } from './job-users.js';

/** Where local job folders live and who job processes run as. */
export interface JobSandbox {
  /**
   * Who job processes and process replicas run as: a user leased per job or replica from a pool
   * (or one shared user, when configured); undefined: the server's own user (no OS-level isolation).
   */
  readonly users: JobUserSource | undefined;
  /** Folder holding the job folders (and, beside each, its log). */
  readonly jobsDir: string;
}

/** `jobUser` value that keeps jobs on the server's own OS user. */
export const SERVER_USER = 'server';

const isRoot = () => process.getuid?.() === 0;

/** Default folder of job folders when jobs run as their own user: outside the data folder, one per home. */
export const isolatedJobsDir = (home: string) =>
  join(tmpdir(), `stratus-jobs-${createHash('sha256').update(resolve(home)).digest('hex').slice(0, 16)}`);

/** Where the pool's lease files live: root's alone, shared by every server on the machine. */
export const jobUserLeaseDir = () => (existsSync('/run') ? '/run/stratus-job-users' : join(tmpdir(), 'stratus-job-users'));

/**
 * Decides who local jobs run as and prepares the folders for it.
 *
 * As root (unless `jobUser` is `server`): each running job gets a user of its own from a pool
 * (`stratus-job-1`, `stratus-job-2`, …, created with `useradd --system` on first use; see
 * job-users.ts), or every job the configured `jobUser` (`nobody` where useradd fails); the data
 * folder is made 0700 so those users cannot enter it; job folders go under a root-owned 0711
 * `jobsDir` outside it (a job user can reach its own folder there but not list the others).
 *
 * Not root: jobs run as the server's own user, in `<home>/jobs` by default, with a warning.
 */
export async function setUpJobSandbox(config: { home: string; jobUser: string | undefined; jobsDir: string | undefined }, log: Logger): Promise<JobSandbox> {
  const home = resolve(config.home);
  if (!isRoot() || config.jobUser === SERVER_USER) {
    const jobsDir = config.jobsDir ?? join(home, 'jobs');
    await mkdir(jobsDir, { recursive: true });
    const why = !isRoot()
      ? `the server is not root, so it cannot switch users${config.jobUser ? ` (jobUser '${config.jobUser}' is ignored)` : ''}`
      : `jobUser is '${SERVER_USER}'`;
    log.warn({ uid: process.getuid?.(), jobsDir }, `training jobs and inference code run as the server's own OS user (${why}): a script job or inference.py can read the data folder (${home}), including the admin token and the database; run only trusted code, see docs/architecture.md "Script jobs and isolation"`);
    return { users: undefined, jobsDir };
  }
  const users = await jobUsersFor(config.jobUser, log);
  // The data folder (database, tokens, sealing key, artifacts, model cache) is the server's alone.
  await mkdir(home, { recursive: true });
  await chmod(home, 0o700);
  const jobsDir = resolve(config.jobsDir ?? isolatedJobsDir(home));
  const rel = relative(home, jobsDir);
  if (rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep))) {
    throw validationError(`jobsDir (${jobsDir}) must be outside the data folder (${home}): job processes run as unprivileged users, who cannot enter it`);
  }
  await ensureServerDir(jobsDir, 0o711);
  return { users, jobsDir };
}

/** The pool of per-job users, or the one configured user (`nobody` when users cannot be created). */
async function jobUsersFor(name: string | undefined, log: Logger): Promise<JobUserSource> {
  if (name !== undefined) {
    const user = await configuredUser(name);
    log.info({ user: user.name, uid: user.uid }, 'training jobs and inference code run as the configured OS user (shared: jobs running at the same time can read each other\'s folders)');
    return new SharedJobUser(user);
  }
  const first = await findOrCreateUser(`${JOB_USER_PREFIX}1`);
  if (!first) {
    const nobody = await lookupUser('nobody');
    if (!nobody) throw validationError(`cannot create job users (useradd failed) and there is no 'nobody' user: set jobUser`);
    log.warn({ user: 'nobody' }, `could not create the '${JOB_USER_PREFIX}1' user (useradd failed): jobs run as 'nobody', shared by every job and by other software on this machine`);
    return new SharedJobUser(checked({ ...nobody, name: 'nobody', how: 'fallback' }));
  }
  const leaseDir = jobUserLeaseDir();
  await ensureServerDir(leaseDir, 0o700);
  log.info({ users: `${JOB_USER_PREFIX}<n>`, leaseDir }, 'training jobs and inference code run as OS users of their own, one per running job or replica');
  return new JobUserPool(leaseDir);
}

/** Creates (or checks) a folder owned by the server with `mode`; refuses one someone else planted. */
export async function ensureServerDir(dir: string, mode: number) {
  await mkdir(dir, { recursive: true, mode });
  const st = await lstat(dir);
  // In a world-writable /tmp anyone could have made it first (or put a symlink there).
  if (!st.isDirectory() || st.uid !== process.getuid?.()) {
    throw validationError(`${dir} exists but is not a folder owned by the server's user (uid ${st.uid}); remove it or set jobsDir`);
  }
  await chmod(dir, mode);
}

/**
 * Gives a prepared job folder (inputs, code, restored checkpoints: written by the server) to the
 * job user. Bottom-up with lchown (links are not followed), the folder itself last and 0700, so
 * no process of that user can get in before everything below is handed over.
 */
export async function handOverJobFolder(root: string, user: JobUser): Promise<void> {
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) await walk(path);
      await lchown(path, user.uid, user.gid);
    }
  };
  await walk(root);
  await chmod(root, 0o700);
  await lchown(root, user.uid, user.gid);
}

/**
 * Takes a job folder back once the job's process has ended, before the server reads anything in
 * it (failure reason, model, output, last checkpoints). Top-down, every folder becomes the
 * server's and 0700 before its entries are looked at, so a process the job left behind cannot
 * change the tree any more. Files stay the job user's; a regular file owned by anyone else (a
 * hard link to a file the job could not read by name) and special files (FIFOs, sockets,
 * devices) are removed. Symbolic links stay: every later read refuses to follow them.
 */
export async function sealJobFolder(root: string, user: JobUser): Promise<void> {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const walk = async (dir: string) => {
    await lchown(dir, uid, gid);
    await chmod(dir, 0o700); // dir is no symlink: checked by the caller, and its parent is sealed
    for (const name of await readdir(dir)) {
      const path = join(dir, name);
      const st = await lstat(path);
      if (st.isDirectory()) await walk(path);
      else if (st.isSymbolicLink()) continue;
      else if (!st.isFile() || st.uid !== user.uid) await unlink(path);
    }
  };
  const top = await lstat(root);
  if (!top.isDirectory()) throw new Error(`job folder ${root} is not a folder`);
  await walk(root);
}

/**
 * Opens a file of a job folder that the job controls, for reading, without following links: the
 * last component must not be a symlink (O_NOFOLLOW), the file must be a regular file (a FIFO
 * cannot block: O_NONBLOCK) owned by `owner` when given, and where it really is
 * (`/proc/self/fd`) must be under `within` (no symlinked folder on the way).
 * @returns undefined when it does not exist or is refused.
 */
export async function openJobFile(path: string, within: string, owner?: number): Promise<{ fh: FileHandle; stats: Stats } | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR' || code === 'EACCES' || code === 'ENXIO') return undefined;
    throw e;
  }
  try {
    const stats = await fh.stat();
    if (!stats.isFile() || (owner !== undefined && stats.uid !== owner)) throw new Refused();
    const real = await readlink(`/proc/self/fd/${fh.fd}`).catch(() => undefined);
    const base = await realpath(within);
    if (real !== undefined && !real.startsWith(base + sep)) throw new Refused();
    return { fh, stats };
  } catch (e) {
    await fh.close();
    if (e instanceof Refused) return undefined;
    throw e;
  }
}

class Refused extends Error {}

/** The first `maxBytes` of a job-controlled text file (see {@link openJobFile}); undefined when absent or refused. */
export async function readJobText(path: string, within: string, owner: number | undefined, maxBytes: number): Promise<string | undefined> {
  const opened = await openJobFile(path, within, owner);
  if (!opened) return undefined;
  try {
    const buf = Buffer.alloc(Math.min(maxBytes, Math.max(0, opened.stats.size)));
    const { bytesRead } = await opened.fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await opened.fh.close();
  }
}

/** Whether `dir` is a real folder under `root`, with no symlink on the way from `root`. */
export async function isRealDirUnder(root: string, dir: string): Promise<boolean> {
  const rel = relative(root, dir);
  if (rel.startsWith('..') || rel.startsWith(sep)) return false;
  let path = root;
  for (const part of ['', ...rel.split(sep).filter(Boolean)]) {
    path = part ? join(path, part) : path;
    const st = await lstat(path).catch(() => undefined);
    if (!st?.isDirectory()) return false;
  }
  return true;
}
