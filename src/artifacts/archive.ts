import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { posix, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { create, extract, type ReadEntry } from 'tar';
import { PlatformError, validationError } from '../core/errors.js';

/**
 * Packs the contents of `dir` as a gzip'd tar with the files at the archive root, like
 * `tar -czf model.tar.gz -C dir .` (the SageMaker `model.tar.gz` layout). Symlinks are stored
 * as symlinks. An unreadable `dir` surfaces as an error on the returned stream.
 */
export function packDirectory(dir: string): Readable {
  const pack = create({ gzip: true, cwd: dir, portable: true }, ['.']);
  const out = Readable.from(pack);
  // A missing folder is an 'error' event on the pack, possibly before anyone reads; unheard, it would crash.
  pack.on('error', (e: unknown) => out.destroy(e instanceof Error ? e : new Error(String(e))));
  return out;
}

const EXTRACTABLE = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);

/**
 * Extracts a tar or tar.gz (a stream, or a path to one) into `destDir`, creating it.
 *
 * Refuses (ValidationError) an archive with an entry that is absolute, has a `..` segment, is a
 * device or FIFO, or is a symlink or hardlink whose target resolves outside `destDir` (also via
 * another symlink in the archive). Entries before the refused one may already be written, so
 * extract into a fresh folder and remove it on failure.
 *
 * @throws PlatformError ValidationError for a refused entry or a corrupt archive.
 */
export async function extractArchive(source: Readable | string, destDir: string): Promise<void> {
  const input = typeof source === 'string' ? createReadStream(source) : source;
  // An error emitted while the folder is made would be uncaught; pipeline still reports it.
  input.on('error', () => undefined);
  const dest = resolve(destDir);
  await mkdir(dest, { recursive: true });
  const guard = new EntryGuard();
  const unpack = extract({ cwd: dest, strict: true, filter: (_path, entry) => guard.admit(entry as ReadEntry) });
  try {
    await pipeline(input, unpack);
  } catch (e) {
    throw guard.refusal ?? asArchiveError(e);
  }
  if (guard.refusal) throw guard.refusal;
}

/**
 * Decides entry by entry what may be extracted. Link targets are resolved lexically; a `..` right
 * after a symlink of the archive is refused, since on disk it would climb from the link's target.
 */
class EntryGuard {
  refusal: PlatformError | undefined;
  readonly #symlinks = new Set<string>();
  /** Paths that some link target climbed out of with `..`; none may later become a symlink. */
  readonly #climbed = new Set<string>();

  admit(entry: ReadEntry): boolean {
    if (this.refusal) return false;
    const why = this.#reason(entry);
    if (!why) return true;
    this.refusal = validationError(`archive entry '${entry.path}' refused: ${why}`, { entry: entry.path });
    return false;
  }

  #reason(entry: ReadEntry): string | undefined {
    if (!EXTRACTABLE.has(entry.type)) return `entries of type ${entry.type} are not allowed`;
    const raw = entry.path;
    if (raw.startsWith('/') || raw.split('/').includes('..')) return 'its path escapes the destination folder';
    const path = posix.normalize(raw).replace(/\/$/, '');
    if (entry.type !== 'SymbolicLink' && entry.type !== 'Link') return undefined;
    const link = entry.linkpath ?? '';
    // Symlink targets are relative to the link's folder; hardlink targets to the archive root.
    const base = entry.type === 'SymbolicLink' ? posix.dirname(path) : '';
    if (link.startsWith('/') || this.#resolve(`${base}/${link}`) === undefined) {
      return `its link target '${link}' is outside the destination folder`;
    }
    if (entry.type === 'SymbolicLink') {
      if (this.#climbed.has(path)) return 'an earlier link target climbs out of it with ..';
      this.#symlinks.add(path);
    }
    return undefined;
  }

  #resolve(rel: string): string | undefined {
    const out: string[] = [];
    for (const part of rel.split('/')) {
      if (part === '' || part === '.') continue;
      if (part !== '..') {
        out.push(part);
        continue;
      }
      const from = out.join('/');
      if (out.length === 0 || this.#symlinks.has(from)) return undefined;
      this.#climbed.add(from);
      out.pop();
    }
    return out.join('/');
  }
}

function asArchiveError(e: unknown): unknown {
  const code = (e as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && (code.startsWith('TAR_') || code.startsWith('Z_'))) {
    return new PlatformError('ValidationError', `not a valid tar or tar.gz archive: ${(e as Error).message}`, { code }, { cause: e });
  }
  return e;
}
