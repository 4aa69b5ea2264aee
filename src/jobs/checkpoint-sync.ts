import { mkdir, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { openJobFile } from './job-sandbox.js';

/** Who may have written the folder: what a synced file may be. */
export interface CheckpointSyncOptions {
  /** Files must really be under this folder (no symlinked folder on the way). @defaultValue the checkpoint folder */
  within?: string;
  /** Files must be owned by this uid (the job user): a hard link to anyone else's file is skipped. */
  owner?: number;
}

/**
 * Mirrors a job's checkpoint folder to an artifact prefix, as SageMaker syncs
 * `/opt/ml/checkpoints` with `CheckpointConfig.S3Uri` (reference §4.6): what the prefix holds is
 * restored into the folder before the job starts; new and changed files are uploaded every few
 * seconds while it runs and once more at the end; files the job deletes are deleted.
 *
 * A file is uploaded once its size and modification time are the same before and after the
 * upload; one still being written is uploaded again on the next round. Scripts should still
 * write a checkpoint under a temporary name and rename it, so a kill mid-write leaves no torn file.
 *
 * The job owns the folder while it runs, so every file is opened without following links
 * (symlinks, FIFOs and the like are skipped, see `openJobFile`): a job cannot make the server
 * upload a file it could not read itself.
 */
export class CheckpointSync {
  /** Relative path → `size:mtime` of the copy the store holds. */
  readonly #synced = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #current: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ArtifactStore,
    /** The local checkpoint folder. */
    readonly dir: string,
    /** The artifact key prefix (no trailing slash). */
    readonly prefix: string,
    /** Told of a file that could not be synced; syncing goes on. */
    private readonly onError: (message: string) => void,
    private readonly options: CheckpointSyncOptions = {},
  ) {}

  /** Copies every object under the prefix into the folder; resolves with how many. */
  async restore(): Promise<number> {
    await mkdir(this.dir, { recursive: true });
    let count = 0;
    for await (const info of this.store.list(this.prefix)) {
      const rel = info.key.slice(this.prefix.length + 1);
      const path = join(this.dir, ...rel.split('/'));
      await this.store.download(info.key, path);
      this.#synced.set(rel, signature(await stat(path)));
      count++;
    }
    return count;
  }

  /** Syncs every `intervalMs` until {@link stop}. */
  start(intervalMs: number): void {
    this.#timer ??= setInterval(() => {
      void this.sync();
    }, intervalMs);
  }

  /** Stops the periodic sync without a last round. */
  async halt(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#current;
  }

  /** Stops the periodic sync and syncs a last time. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.sync();
  }

  /** One round: upload new and changed files, delete the objects of removed ones. Rounds never overlap. */
  sync(): Promise<void> {
    this.#current = this.#current.then(() => this.#round());
    return this.#current;
  }

  async #round(): Promise<void> {
    const seen = new Set<string>();
    for (const path of await filesUnder(this.dir)) {
      const rel = relative(this.dir, path).split(sep).join('/');
      seen.add(rel);
      try {
        const opened = await openJobFile(path, this.options.within ?? this.dir, this.options.owner);
        if (!opened) {
          seen.delete(rel); // a link or special file in the file's place: not a checkpoint
          continue;
        }
        try {
          const before = signature(opened.stats);
          if (this.#synced.get(rel) === before) continue;
          await this.store.put(this.#key(rel), opened.fh.createReadStream({ autoClose: false, start: 0 }));
          const after = signature(await opened.fh.stat());
          if (after === before) this.#synced.set(rel, after);
          else this.#synced.delete(rel);
        } finally {
          await opened.fh.close();
        }
      } catch (e) {
        if (errno(e) === 'ENOENT') continue; // deleted while we looked: next round removes it
        this.onError(`checkpoint ${rel} not synced: ${(e as Error).message}`);
      }
    }
    for (const rel of [...this.#synced.keys()]) {
      if (seen.has(rel)) continue;
      try {
        await this.store.delete(this.#key(rel));
        this.#synced.delete(rel);
      } catch (e) {
        this.onError(`checkpoint ${rel} not deleted from the store: ${(e as Error).message}`);
      }
    }
  }

  #key(rel: string) {
    return `${this.prefix}/${rel}`;
  }
}

const signature = (s: { size: number; mtimeMs: number }) => `${s.size}:${s.mtimeMs}`;
const errno = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code;

/** Regular files under `dir`, recursively (symlinks and other special files are skipped). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((e: unknown) => {
    if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return [];
    throw e;
  });
  const out: string[] = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(path)));
    else if (e.isFile()) out.push(path);
  }
  return out;
}
