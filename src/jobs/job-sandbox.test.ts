import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { chown, link, lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../artifacts/local/local-artifact-store.js';
import { processFailureReason, uploadOutputs } from '../training/host-io.js';
import { CheckpointSync } from './checkpoint-sync.js';
import { jobFolder, type JobFolder } from './job-folder.js';
import { handOverJobFolder, isolatedJobsDir, isRealDirUnder, openJobFile, readJobText, sealJobFolder, type JobUser } from './job-sandbox.js';

const SECRET = 'stx_SERVER-ADMIN-TOKEN-never-leak';
const isRoot = process.getuid?.() === 0;

let work: string;
let secretFile: string;
let folder: JobFolder;
let store: LocalArtifactStore;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'sandbox-'));
  // Stands for <home>: the admin token and the database the job must never get at.
  await mkdir(join(work, 'home'));
  secretFile = join(work, 'home', 'admin-token');
  await writeFile(secretFile, SECRET);
  await writeFile(join(work, 'home', 'stratus.db'), `SQLite format 3 ${SECRET}`);
  folder = jobFolder(join(work, 'job'));
  for (const d of [folder.modelDir, folder.outputDataDir, folder.checkpointsDir, folder.codeDir]) await mkdir(d, { recursive: true });
  store = new LocalArtifactStore(join(work, 'store'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function storedBytes(): Promise<string> {
  const all: Buffer[] = [];
  for await (const info of store.list('')) {
    const bytes = await store.getBytes(info.key);
    all.push(info.key.endsWith('.gz') ? gunzipSync(bytes) : bytes);
  }
  return Buffer.concat(all).toString('latin1');
}

describe('reading files a job controls', () => {
  it('a failure file that is a symlink to the token file does not become the failure reason', async () => {
    await symlink(secretFile, folder.failureFile);
    const reason = await processFailureReason(folder, { code: 1, signal: null }, ['Traceback: boom']);
    expect(reason).not.toContain(SECRET);
    expect(reason).toContain('exited with code 1');
    expect(await readJobText(folder.failureFile, folder.root, undefined, 1024)).toBeUndefined();
  });

  it('output/ replaced by a symlink to the data folder is not followed either', async () => {
    await rm(folder.outputDir, { recursive: true });
    await writeFile(join(work, 'home', 'failure'), SECRET);
    await symlink(join(work, 'home'), folder.outputDir);
    const reason = await processFailureReason(folder, { code: 2, signal: null }, []);
    expect(reason).not.toContain(SECRET);
    expect(await uploadOutputs(store, folder, { model: 'm/model.tar.gz', output: 'm/output.tar.gz' })).toEqual({});
  });

  it('a real failure file is still read; a FIFO does not block the server', async () => {
    await writeFile(folder.failureFile, 'ValueError: bad data\n');
    expect(await processFailureReason(folder, { code: 1, signal: null }, [])).toBe('ValueError: bad data');
    await rm(folder.failureFile);
    execFileSync('mkfifo', [folder.failureFile]);
    expect(await readJobText(folder.failureFile, folder.root, undefined, 1024)).toBeUndefined();
  });

  it('a file owned by someone else than the job user (a hard link) is refused when an owner is required', async () => {
    await writeFile(join(folder.root, 'mine'), 'x');
    const owner = (await stat(join(folder.root, 'mine'))).uid;
    expect(await openJobFile(join(folder.root, 'mine'), folder.root, owner + 1)).toBeUndefined();
    const ok = await openJobFile(join(folder.root, 'mine'), folder.root, owner);
    expect(ok).toBeDefined();
    await ok!.fh.close();
  });

  it('a model folder with a symlink to the database is packed with the link, never the database', async () => {
    await writeFile(join(folder.modelDir, 'model.pkl'), 'weights');
    await symlink(join(work, 'home', 'stratus.db'), join(folder.modelDir, 'db.sqlite'));
    await symlink(join(work, 'home'), join(folder.modelDir, 'home'));
    const out = await uploadOutputs(store, folder, { model: 'm/model.tar.gz', output: 'm/output.tar.gz' });
    expect(out.modelArtifactUri).toBeDefined();
    const text = await storedBytes();
    expect(text).toContain('weights');
    expect(text).not.toContain(SECRET);
  });

  it('model/ itself a symlink to the data folder: nothing is packed', async () => {
    await rm(folder.modelDir, { recursive: true });
    await symlink(join(work, 'home'), folder.modelDir);
    expect(await isRealDirUnder(folder.root, folder.modelDir)).toBe(false);
    expect(await uploadOutputs(store, folder, { model: 'm/model.tar.gz', output: 'm/output.tar.gz' })).toEqual({});
    expect(await storedBytes()).not.toContain(SECRET);
  });

  it('checkpoint sync skips a symlink to the token file and a symlinked folder', async () => {
    const errors: string[] = [];
    const sync = new CheckpointSync(store, folder.checkpointsDir, 'checkpoints/j', (m) => errors.push(m), { within: folder.root });
    await writeFile(join(folder.checkpointsDir, 'epoch-1.pt'), 'epoch one');
    await symlink(secretFile, join(folder.checkpointsDir, 'epoch-2.pt'));
    await symlink(join(work, 'home'), join(folder.checkpointsDir, 'stolen'));
    await sync.sync();
    const keys: string[] = [];
    for await (const i of store.list('checkpoints/j')) keys.push(i.key);
    expect(keys).toEqual(['checkpoints/j/epoch-1.pt']);
    expect(await storedBytes()).not.toContain(SECRET);
    // A synced file later swapped for a link is not uploaded again (and is removed from the store).
    await rm(join(folder.checkpointsDir, 'epoch-1.pt'));
    await symlink(secretFile, join(folder.checkpointsDir, 'epoch-1.pt'));
    await sync.stop();
    expect(await storedBytes()).not.toContain(SECRET);
    expect(errors).toEqual([]);
  });
});

describe('the job folder changes hands', () => {
  it('the default jobs folder is outside the data folder and depends on it', () => {
    expect(isolatedJobsDir('/srv/a')).not.toBe(isolatedJobsDir('/srv/b'));
    expect(isolatedJobsDir('/srv/a').startsWith(tmpdir())).toBe(true);
  });

  it.skipIf(!isRoot)('is handed to the job user before the job and taken back after, dropping hard links and FIFOs', async () => {
    const nobody = Number(execFileSync('id', ['-u', 'nobody']).toString());
    const user: JobUser = { name: 'nobody', uid: nobody, gid: Number(execFileSync('id', ['-g', 'nobody']).toString()), how: 'fallback' };
    await writeFile(join(folder.codeDir, 'train.py'), 'print(1)');
    await symlink('/etc', join(folder.root, 'etc-link'));
    await handOverJobFolder(folder.root, user);
    expect((await lstat(folder.root)).uid).toBe(nobody);
    expect((await lstat(folder.root)).mode & 0o777).toBe(0o700);
    expect((await lstat(join(folder.codeDir, 'train.py'))).uid).toBe(nobody);
    expect((await stat('/etc')).uid).toBe(0); // the link was not followed
    // What a job might leave: a hard link to a file it does not own, a FIFO, its own files.
    await writeFile(join(folder.modelDir, 'model.bin'), 'w');
    await chown(join(folder.modelDir, 'model.bin'), nobody, user.gid);
    await link(secretFile, join(folder.modelDir, 'hard'));
    execFileSync('mkfifo', [join(folder.outputDir, 'pipe')]);
    await sealJobFolder(folder.root, user);
    expect((await lstat(folder.root)).uid).toBe(0);
    expect((await lstat(folder.modelDir)).uid).toBe(0);
    expect((await lstat(folder.modelDir)).mode & 0o777).toBe(0o700);
    await expect(lstat(join(folder.modelDir, 'hard'))).rejects.toThrow();
    await expect(lstat(join(folder.outputDir, 'pipe'))).rejects.toThrow();
    expect(await readFile(join(folder.modelDir, 'model.bin'), 'utf8')).toBe('w');
    expect(await readFile(secretFile, 'utf8')).toBe(SECRET);
    const archive = join(work, 'x.tar.gz');
    const { packDirectory } = await import('../artifacts/archive.js');
    await pipeline(packDirectory(folder.modelDir), createWriteStream(archive));
    expect(gunzipSync(await readFile(archive)).includes(SECRET)).toBe(false);
  });
});
