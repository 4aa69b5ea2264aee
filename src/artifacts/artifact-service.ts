import type { Readable } from 'node:stream';
import { MAX_UPLOAD_PATH_LENGTH, UPLOADS_PREFIX, type Artifact, type ArtifactList, type ArtifactListQuery } from '../contracts/artifact.js';
import { notFound, PlatformError, validationError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ArtifactInfo, ArtifactStore } from './artifact-store.js';
import { unsafeKeyReason } from './keys.js';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 100;

export interface ArtifactServiceDeps {
  artifacts: ArtifactStore;
  log: Logger;
  /** Largest upload accepted, in bytes (config.maxUploadBytes). */
  maxUploadBytes: number;
}

/**
 * What users may do with the artifact store over the API: read and list any key, and write or
 * delete only under `uploads/`, so that job outputs and dataset files cannot be overwritten.
 */
export class ArtifactService {
  constructor(private readonly deps: ArtifactServiceDeps) {}

  /**
   * Streams `body` to `uploads/<path>`, replacing an object already there atomically.
   * @param declaredBytes the request's Content-Length, when it sent one: a body announced larger
   *   than the limit is refused before a byte is read.
   * @throws PlatformError ValidationError (field `path`) for an unsafe path; PayloadTooLarge past
   *   maxUploadBytes (nothing is stored then); FailedPrecondition when the path collides with a folder.
   */
  async upload(path: string, body: Readable, opts: { declaredBytes?: number; signal?: AbortSignal } = {}): Promise<Artifact> {
    const key = uploadKey(path);
    const { maxUploadBytes } = this.deps;
    if (opts.declaredBytes !== undefined && opts.declaredBytes > maxUploadBytes) throw tooLarge(maxUploadBytes);
    const info = await this.deps.artifacts.put(key, body, { maxBytes: maxUploadBytes, signal: opts.signal });
    this.deps.log.info({ key, sizeBytes: info.sizeBytes }, 'artifact uploaded');
    return toArtifact(info);
  }

  /**
   * One page of the objects whose key starts with `prefix` (a plain string prefix, as S3 has it:
   * `uploads/mod` matches `uploads/model.tar.gz`), in key order.
   */
  async list(q: ArtifactListQuery): Promise<ArtifactList> {
    const prefix = q.prefix ?? '';
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    if (folder !== '') checked(folder, 'prefix');
    const limit = Math.min(q.limit ?? DEFAULT_LIMIT, MAX_LIMIT);
    const after = q.nextToken === undefined ? undefined : decodeToken(q.nextToken);
    const items: Artifact[] = [];
    // The store lists by folder, in key order; the page starts after the token's key.
    for await (const info of this.deps.artifacts.list(folder)) {
      if (!info.key.startsWith(prefix) || (after !== undefined && info.key <= after)) continue;
      if (items.length === limit) return { items, nextToken: encodeToken(items[items.length - 1].key) };
      items.push(toArtifact(info));
    }
    return { items };
  }

  /** The object's description and a stream of its bytes; NotFound when absent. */
  async open(key: string, opts: { signal?: AbortSignal } = {}): Promise<{ info: Artifact; body: Readable }> {
    checked(key, 'key');
    const info = await this.deps.artifacts.stat(key);
    if (!info) throw missing(key);
    return { info: toArtifact(info), body: await this.deps.artifacts.get(key, { signal: opts.signal }) };
  }

  /** Deletes `uploads/<path>` (an object, or a folder of them); NotFound when nothing is there. */
  async delete(path: string): Promise<void> {
    const key = uploadKey(path);
    const store = this.deps.artifacts;
    if (!(await store.stat(key)) && !(await hasAny(store.list(key)))) throw missing(key);
    await store.delete(key);
    this.deps.log.info({ key }, 'artifact deleted');
  }

  /** Refuses a write to a key outside `uploads/`. */
  refuseWrite(key: string): never {
    throw new PlatformError('Forbidden', `artifact '${key}' is read-only: only keys under ${UPLOADS_PREFIX} can be written or deleted (PUT /api/v1/artifacts/${UPLOADS_PREFIX}<path>)`, { key });
  }
}

/** The store key of an upload path, checked: relative, no `.`/`..`/empty segments, bounded length. */
export function uploadKey(path: string): string {
  if (path.length > MAX_UPLOAD_PATH_LENGTH) {
    throw validationError(`path is longer than ${MAX_UPLOAD_PATH_LENGTH} characters`, { field: 'path' });
  }
  return checked(`${UPLOADS_PREFIX}${path}`, 'path', path);
}

/** `key` if the store would accept it, else a ValidationError naming `field`. */
function checked(key: string, field: string, shown = key): string {
  const why = unsafeKeyReason(key);
  if (why) throw validationError(`${field} '${JSON.stringify(shown).slice(1, -1)}' is not a valid artifact path: ${why}`, { field });
  return key;
}

const missing = (key: string) => {
  const e = notFound('artifact', key);
  return new PlatformError('NotFound', `${e.message}; list what exists with GET /api/v1/artifacts?prefix=…`, e.details);
};

const tooLarge = (maxBytes: number) =>
  new PlatformError('PayloadTooLarge', `upload is larger than the limit of ${maxBytes} bytes (STRATUS_MAX_UPLOAD_BYTES)`, { maxBytes });

async function hasAny(items: AsyncIterable<unknown>): Promise<boolean> {
  for await (const _ of items) return true;
  return false;
}

const toArtifact = (i: ArtifactInfo): Artifact => ({ key: i.key, uri: i.uri, sizeBytes: i.sizeBytes, modifiedAt: i.modifiedAt.toISOString() });

const encodeToken = (key: string) => Buffer.from(JSON.stringify({ after: key })).toString('base64url');

function decodeToken(token: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    const after = (parsed as { after?: unknown } | null)?.after;
    if (typeof after === 'string') return after;
  } catch {
    // falls through to the validation error
  }
  throw validationError('nextToken is not valid; pass the nextToken of a previous page', { field: 'nextToken' });
}
