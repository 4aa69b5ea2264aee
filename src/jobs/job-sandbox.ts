import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { chmod, lchown, lstat, mkdir, open, readdir, readlink, realpath, unlink, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { validationError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

const run = promisify(execFile);

/** The unprivileged OS user that local job processes run as (see {@link setUpJobSandbox}). */
export interface JobUser {
  name: string;
  uid: number;
  gid: number;
  /** How it was chosen: named in config, the default user found or created, or `nobody` as a fallback. */
  how: 'configured' | 'existing' | 'created' | 'fallback';
}

/** Where local job folders live and who job processes run as. */
export interface JobSandbox {
  /** The user job processes run as; undefined: the server's own user (no OS-level isolation). */
  readonly user: JobUser | undefined;
  /** Folder holding the job folders (and, beside each, its log). */
  readonly jobsDir: string;
}

export const DEFAULT_JOB_USER = 'stratus-job';
/** `jobUser` value that keeps jobs on the server's own OS user. */
export const SERVER_USER = 'server';

const isRoot = () => process.getuid?.() === 0;

/** Default folder of job folders when jobs run as their own user: outside the data folder, one per home. */
export const isolatedJobsDir = (home: string) =>
  join(tmpdir(), `stratus-jobs-${createHash('sha256').update(resolve(home)).digest('hex').slice(0, 16)}`);

/**
 * Decides who local jobs run as and prepares the folders for it.
 *
 * As root (unless `jobUser` is `server`): jobs run as `jobUser` (default `stratus-job`, created
 * with `useradd --system` on first use, `nobody` where that fails); the data folder is made 0700
 * so that user cannot enter it; job folders go under a root-owned 0711 `jobsDir` outside it (the
 * job user can reach its own folder there but not list the others).
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
    log.warn({ uid: process.getuid?.(), jobsDir }, `training jobs run as the server's own OS user (${why}): a script job can read the data folder (${home}), including the admin token and the database; run only trusted code, see docs/architecture.md "Script jobs and isolation"`);
    return { user: undefined, jobsDir };
  }
  const user = await jobUserFor(config.jobUser);
  if (user.how === 'fallback') log.warn({ user: user.name }, `could not create the '${DEFAULT_JOB_USER}' user (useradd failed): jobs run as '${user.name}', which other software on this machine may share`);
  else log.info({ user: user.name, uid: user.uid, how: user.how }, 'training jobs run as their own OS user');
  // The data folder (database, tokens, sealing key, artifacts, model cache) is the server's alone.
  await mkdir(home, { recursive: true });
  await chmod(home, 0o700);
  const jobsDir = resolve(config.jobsDir ?? isolatedJobsDir(home));
  const rel = relative(home, jobsDir);
  if (rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep))) {
    throw validationError(`jobsDir (${jobsDir}) must be outside the data folder (${home}): job processes run as '${user.name}', who cannot enter it`);
  }
  await ensureServerDir(jobsDir, 0o711);
  return { user, jobsDir };
}

/** Creates (or checks) a folder owned by the server with `mode`; refuses one someone else planted. */
async function ensureServerDir(dir: string, mode: number) {
  await mkdir(dir, { recursive: true, mode });
  const st = await lstat(dir);
  // In a world-writable /tmp anyone could have made it first (or put a symlink there).
  if (!st.isDirectory() || st.uid !== process.getuid?.()) {
    throw validationError(`jobsDir ${dir} exists but is not a folder owned by the server's user (uid ${st.uid}); remove it or set jobsDir`);
  }
  await chmod(dir, mode);
}

let defaultUser: Promise<JobUser> | undefined;

/** The configured user, or the default one (created on first use; `nobody` when it cannot be). */
export async function jobUserFor(name: string | undefined): Promise<JobUser> {
  if (name !== undefined) {
    const found = await lookupUser(name);
    if (!found) throw validationError(`jobUser '${name}' does not exist on this machine`);
    return checked({ ...found, name, how: 'configured' });
  }
  return (defaultUser ??= defaultJobUser().catch((e: unknown) => {
    defaultUser = undefined;
    throw e;
  }));
}

async function defaultJobUser(): Promise<JobUser> {
  const existing = await lookupUser(DEFAULT_JOB_USER);
  if (existing) return checked({ ...existing, name: DEFAULT_JOB_USER, how: 'existing' });
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', DEFAULT_JOB_USER]);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') break; // no useradd here
      // Another server may be creating it right now (the user exists, or /etc/passwd is locked).
    }
    const created = await lookupUser(DEFAULT_JOB_USER);
    if (created) return checked({ ...created, name: DEFAULT_JOB_USER, how: 'created' });
    await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
  }
  const nobody = await lookupUser('nobody');
  if (!nobody) throw validationError(`cannot create the '${DEFAULT_JOB_USER}' user and there is no 'nobody' user: set jobUser`);
  return checked({ ...nobody, name: 'nobody', how: 'fallback' });
}

function checked(user: JobUser): JobUser {
  if (user.uid === 0 || user.gid === 0) throw validationError(`jobUser '${user.name}' is root (uid ${user.uid}, gid ${user.gid}): jobs need an unprivileged user`);
  return user;
}

async function lookupUser(name: string): Promise<{ uid: number; gid: number } | undefined> {
  try {
    const uid = Number((await run('id', ['-u', name])).stdout.trim());
    const gid = Number((await run('id', ['-g', name])).stdout.trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
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
