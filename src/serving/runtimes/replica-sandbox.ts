/**
 * Process replicas (your inference code) as a leased job user when the server is root: each
 * replica gets a user of its own (jobs/job-users.ts) and a folder of its own under `root`
 * (`<jobsDir>/.replicas-<hash of home>`, outside the 0700 data folder) holding a copy of the model and code and
 * its HOME, 0700 and owned by that user. The process can read its model and nothing of the
 * server's data folder (database, tokens, artifacts, the shared model cache), nor another
 * replica's or job's folder.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { cp, mkdir, readdir, rm } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { randomSuffix } from '../../core/ids.js';
import { ensureServerDir, handOverJobFolder } from '../../jobs/job-sandbox.js';
import type { JobUserSource } from '../../jobs/job-users.js';
import type { ProcessLaunch } from './process-replica.js';

/** Who process replicas run as and where their folders go. */
export interface ReplicaSandbox {
  users: JobUserSource;
  /** Folder of the replica folders: the server's, outside the data folder. */
  root: string;
}

/** Where a replica finds its model and code, and its HOME. */
export interface ReplicaPaths {
  modelDir: string;
  codeDir: string;
  home: string;
}

/**
 * The folder of one server's replica folders under a jobs folder (job names never start with
 * '.'), named after its data folder: at start a server clears its own, never another's.
 */
export const replicaRoot = (jobsDir: string, home: string) =>
  join(jobsDir, `.replicas-${createHash('sha256').update(resolve(home)).digest('hex').slice(0, 12)}`);

/**
 * Leases a user, copies the model (and code, when it is not inside the model) into a new folder
 * handed over to that user, and builds the launch for those paths. The launch's `release` kills
 * what still runs as the user, removes the folder and returns the user.
 */
export async function sandboxedLaunch(sandbox: ReplicaSandbox, id: string, source: Omit<ReplicaPaths, 'home'>, build: (paths: ReplicaPaths) => ProcessLaunch): Promise<ProcessLaunch> {
  const lease = await sandbox.users.lease();
  const dir = join(sandbox.root, `${id}-${randomSuffix()}`);
  const release = async () => {
    await lease.stopProcesses();
    await rm(dir, { recursive: true, force: true });
    await lease.release();
  };
  try {
    await ensureServerDir(sandbox.root, 0o711);
    await mkdir(dir, { mode: 0o700 });
    const paths = await copyModel(source, dir);
    await handOverJobFolder(dir, lease.user);
    return { ...build(paths), uid: lease.user.uid, gid: lease.user.gid, release };
  } catch (e) {
    await release().catch(() => undefined);
    throw e;
  }
}

/** Copies without following links (a link keeps its target, which the user may not be allowed to read); clones blocks where the filesystem can. */
async function copyModel(source: Omit<ReplicaPaths, 'home'>, dir: string): Promise<ReplicaPaths> {
  const copy = (from: string, to: string) => cp(from, to, { recursive: true, verbatimSymlinks: true, mode: constants.COPYFILE_FICLONE });
  const modelDir = join(dir, 'model');
  await copy(source.modelDir, modelDir);
  const rel = relative(source.modelDir, source.codeDir);
  const inModel = rel === '' || !(rel === '..' || rel.startsWith(`..${sep}`) || rel.startsWith(sep));
  const codeDir = inModel ? join(modelDir, rel) : join(dir, 'code');
  if (!inModel) await copy(source.codeDir, codeDir);
  const home = join(dir, 'home');
  await mkdir(home, { recursive: true });
  return { modelDir, codeDir, home };
}

/** Removes replica folders an earlier run of the server left (at start, once their processes are killed). */
export async function clearReplicaFolders(root: string): Promise<void> {
  for (const name of await readdir(root).catch(() => [] as string[])) await rm(join(root, name), { recursive: true, force: true });
}
