import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, lstat, mkdir, open, readdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { failedPrecondition, notFound, validationError } from '../../core/errors.js';
import type { ArtifactInfo, ArtifactStore, OrphanedWrite, OrphanSweep, PutOptions } from '../artifact-store.js';
import { assertRange, assertSafeKey, payloadTooLarge, prefixKey, printable, TEMP_DIR, unsafeKeyReason } from '../keys.js';

const errnoOf = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code;
const isMissing = (e: unknown) => ['ENOENT', 'ENOTDIR', 'EISDIR'].includes(errnoOf(e) ?? '');

/**
 * An ArtifactStore over a local folder (`file://` root URI).
 *
 * Writes stream into `<root>/.tmp/`, are fsynced, then renamed onto the key, so a reader sees a
 * whole object or none even when the writer is killed. A killed writer leaves its temp file in
 * `.tmp/`, which is never listed and which {@link sweepOrphans} removes once it is old enough. Objects and folders share one namespace here: with an object at
 * `a`, a put of `a/b` fails with FailedPrecondition (and vice versa).
 */
export class LocalArtifactStore implements ArtifactStore {
  readonly rootUri: string;
  readonly #root: string;

  /** @param root the store's folder; created on first write. */
  constructor(root: string) {
    this.#root = resolve(root);
    this.rootUri = pathToFileURL(this.#root).href.replace(/\/?$/, '/');
  }

  async put(key: string, body: Uint8Array | Readable | AsyncIterable<Uint8Array>, opts: PutOptions = {}): Promise<ArtifactInfo> {
    const target = this.#pathOf(key);
    const temp = await this.#writeTemp(body, opts);
    try {
      await this.#publish(key, temp, target);
    } catch (e) {
      await rm(temp, { force: true });
      throw e;
    }
    return this.#info(key, await stat(target));
  }

  async get(key: string, opts: { signal?: AbortSignal; start?: number; end?: number } = {}): Promise<Readable> {
    const path = this.#pathOf(key);
    assertRange(opts.start, opts.end);
    const handle = await this.#openObject(key, path);
    return createReadStream(path, { fd: handle, start: opts.start, end: opts.end, signal: opts.signal });
  }

  async getBytes(key: string): Promise<Buffer> {
    try {
      return await readFile(this.#pathOf(key));
    } catch (e) {
      throw isMissing(e) ? notFound('artifact', key) : e;
    }
  }

  async stat(key: string): Promise<ArtifactInfo | undefined> {
    try {
      const s = await stat(this.#pathOf(key));
      return s.isFile() ? this.#info(key, s) : undefined;
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  }

  async *list(prefix: string): AsyncIterable<ArtifactInfo> {
    const key = prefixKey(prefix, true);
    if (key !== '') {
      const self = await this.stat(key);
      if (self) yield self;
    }
    yield* this.#walk(key);
  }

  async delete(keyOrPrefix: string): Promise<void> {
    const key = prefixKey(keyOrPrefix, false);
    const path = this.#pathOf(key);
    await rm(path, { recursive: true, force: true });
    await this.#pruneEmptyParents(dirname(path));
  }

  async download(key: string, localPath: string): Promise<void> {
    const source = this.#pathOf(key);
    await mkdir(dirname(resolve(localPath)), { recursive: true });
    try {
      await copyFile(source, localPath);
    } catch (e) {
      throw isMissing(e) && !(await this.stat(key)) ? notFound('artifact', key) : e;
    }
  }

  /**
   * Removes temp files in `.tmp/` last written before `olderThan`. A live writer keeps touching
   * its file, so only a slow writer idle for longer than the cutoff could lose its put.
   */
  async sweepOrphans(olderThan: Date): Promise<OrphanSweep> {
    const dir = join(this.#root, TEMP_DIR);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (e) {
      if (isMissing(e)) return { removed: [] };
      throw e;
    }
    const removed: OrphanedWrite[] = [];
    for (const name of names) {
      const orphan = await removeIfOlder(join(dir, name), olderThan);
      if (orphan) removed.push({ name, startedAt: orphan });
    }
    return { removed };
  }

  keyOf(uri: string): string {
    let path: string;
    try {
      path = fileURLToPath(uri);
    } catch {
      throw validationError(`'${uri}' is not a file:// URI of this store (${this.rootUri})`, { uri });
    }
    const rel = relative(this.#root, path).split(sep).join('/');
    if (unsafeKeyReason(rel)) {
      throw validationError(`'${uri}' is not inside this store (${this.rootUri})`, { uri });
    }
    return rel;
  }

  uriOf(key: string): string {
    return pathToFileURL(this.#pathOf(key)).href;
  }

  #pathOf(key: string): string {
    assertSafeKey(key);
    const path = join(this.#root, ...key.split('/'));
    // Defence in depth: assertSafeKey already rules out every escaping key.
    if (!path.startsWith(this.#root + sep)) throw validationError(`invalid artifact key '${printable(key)}'`);
    return path;
  }

  async #writeTemp(body: Uint8Array | Readable | AsyncIterable<Uint8Array>, opts: PutOptions): Promise<string> {
    const dir = join(this.#root, TEMP_DIR);
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `${randomUUID()}.part`);
    const handle = await open(temp, 'wx');
    try {
      const source = body instanceof Uint8Array ? Readable.from([body]) : body;
      await pipeline(source, fileSink(handle, opts.maxBytes), { signal: opts.signal });
      await handle.sync();
      await handle.close();
      return temp;
    } catch (e) {
      await handle.close().catch(() => undefined);
      await rm(temp, { force: true });
      throw e;
    }
  }

  async #publish(key: string, temp: string, target: string): Promise<void> {
    // A concurrent delete may prune the freshly made parent folder; one retry covers that race.
    for (let attempt = 0; ; attempt++) {
      try {
        await mkdir(dirname(target), { recursive: true });
        await rename(temp, target);
        await syncDir(dirname(target));
        return;
      } catch (e) {
        const code = errnoOf(e);
        if (code === 'ENOENT' && attempt === 0) continue;
        if (code === 'EISDIR' || code === 'ENOTDIR' || code === 'EEXIST' || code === 'ENOTEMPTY') {
          throw failedPrecondition(`artifact key '${key}' collides with an existing object or folder`, { key });
        }
        throw e;
      }
    }
  }

  async #openObject(key: string, path: string): Promise<FileHandle> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (e) {
      throw isMissing(e) ? notFound('artifact', key) : e;
    }
    if (!(await handle.stat()).isFile()) {
      await handle.close();
      throw notFound('artifact', key);
    }
    return handle;
  }

  async *#walk(key: string): AsyncGenerator<ArtifactInfo> {
    const dir = key === '' ? this.#root : join(this.#root, ...key.split('/'));
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (isMissing(e)) return;
      throw e;
    }
    // Sorting folders as 'name/' makes a depth-first walk come out in global key order.
    // Names a key could not have (made outside the store, or '.tmp' at the root) are skipped.
    const named = entries
      .map((d) => ({ dirent: d, child: key === '' ? d.name : `${key}/${d.name}` }))
      .filter(({ dirent, child }) => (dirent.isFile() || dirent.isDirectory()) && !unsafeKeyReason(child))
      .map((e) => ({ ...e, sortKey: e.dirent.isDirectory() ? `${e.dirent.name}/` : e.dirent.name }))
      .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    for (const { dirent, child } of named) {
      if (dirent.isDirectory()) {
        yield* this.#walk(child);
        continue;
      }
      const info = await this.stat(child);
      if (info) yield info;
    }
  }

  async #pruneEmptyParents(dir: string): Promise<void> {
    for (let d = dir; d.startsWith(this.#root + sep); d = dirname(d)) {
      try {
        await rmdir(d);
      } catch {
        return;
      }
    }
  }

  #info(key: string, s: { size: number; mtime: Date }): ArtifactInfo {
    return { key, uri: this.uriOf(key), sizeBytes: s.size, modifiedAt: s.mtime };
  }
}

/**
 * Writes into an open handle, failing with PayloadTooLarge past `maxBytes`. Hand-rolled because
 * `handle.createWriteStream({ autoClose: false })` keeps the handle referenced and its close() hangs.
 */
function fileSink(handle: FileHandle, maxBytes: number | undefined): Writable {
  let seen = 0;
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (maxBytes !== undefined && seen > maxBytes) return done(payloadTooLarge(maxBytes));
      writeFully(handle, chunk).then(() => done(), done);
    },
  });
}

async function writeFully(handle: FileHandle, chunk: Buffer): Promise<void> {
  for (let offset = 0; offset < chunk.length; ) {
    offset += (await handle.write(chunk, offset, chunk.length - offset)).bytesWritten;
  }
}

/** Removes the plain file at `path` if it was last modified before `cutoff`; gives its mtime when it did. */
async function removeIfOlder(path: string, cutoff: Date): Promise<Date | undefined> {
  try {
    const s = await lstat(path);
    if (!s.isFile() || s.mtime >= cutoff) return undefined;
    await rm(path);
    return s.mtime;
  } catch (e) {
    // Published or removed by its writer since the listing.
    if (isMissing(e)) return undefined;
    throw e;
  }
}

/** Makes a rename durable: without it a power cut can lose the new directory entry. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
