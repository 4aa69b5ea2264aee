import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { packDirectory } from '../artifacts/archive.js';
import { CliError, UsageError } from './errors.js';

/** A local file ready to upload: the original, or an archive packed into a temporary folder. */
export interface UploadSource {
  /** Path of the file to send. */
  file: string;
  /** The file name it should have in the store (e.g. `model.tar.gz`). */
  name: string;
  /** Whether it was packed here from a folder or a single file. */
  packed: boolean;
  /** Removes the temporary archive, if one was made. */
  cleanup(): Promise<void>;
}

/** Whether a file name says it is already a tar archive (SageMaker model.tar.gz and friends). */
export const isArchiveName = (path: string) => /\.(tar\.gz|tgz|tar)$/i.test(path);

/** A local path as the user gave it: a file or a folder that exists, else a usage error. */
export async function localKind(path: string): Promise<'file' | 'folder'> {
  try {
    const s = await stat(path);
    if (s.isDirectory()) return 'folder';
    if (s.isFile()) return 'file';
  } catch {
    // reported below
  }
  throw new UsageError(`'${path}' is not a file or folder here`);
}

/**
 * What to upload for `path`: a folder is packed as a .tar.gz with its files at the archive root
 * (like `tar -czf x.tar.gz -C folder .`); a file goes as it is.
 */
export async function uploadSourceOf(path: string): Promise<UploadSource> {
  const full = resolve(path);
  const name = basename(full);
  if ((await localKind(full)) === 'file') return { file: full, name, packed: false, cleanup: async () => undefined };
  return packInto(`${name}.tar.gz`, async (out) => writePack(full, out));
}

/**
 * Packs one file as a model.tar.gz holding it under `entryName` (e.g. an XGBoost model file as
 * `xgboost-model`, the name SageMaker's XGBoost container loads).
 */
export async function packSingleFile(path: string, entryName: string): Promise<UploadSource> {
  return packInto('model.tar.gz', async (out, work) => {
    const staging = join(work, 'staging');
    await mkdir(staging);
    await copyFile(path, join(staging, entryName));
    await writePack(staging, out);
  });
}

async function packInto(name: string, write: (out: string, work: string) => Promise<void>): Promise<UploadSource> {
  const work = await mkdtemp(join(tmpdir(), 'stratus-pack-'));
  const cleanup = () => rm(work, { recursive: true, force: true });
  const file = join(work, name);
  try {
    await write(file, work);
  } catch (e) {
    await cleanup();
    throw new CliError(`could not pack ${name}: ${(e as Error).message}`);
  }
  return { file, name, packed: true, cleanup };
}

const writePack = (dir: string, out: string) => pipeline(packDirectory(dir), createWriteStream(out));
