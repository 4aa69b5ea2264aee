import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { listAll } from '../paginate.js';
import type { Transport } from '../transport.js';
import { uploadBody, type ProgressCallback } from '../upload-body.js';
import type { Artifact, ArtifactList, ArtifactListOptions } from '../types.js';

const BASE = '/api/v1/artifacts';

/** Options of {@link ArtifactsApi.upload}. */
export interface ArtifactUploadOptions {
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

/**
 * The artifact store: upload files under `uploads/` (a model.tar.gz trained elsewhere, a source
 * bundle), list and download any artifact (job outputs included).
 * @example
 * const a = await client.artifacts.upload('models/churn/model.tar.gz', './model.tar.gz');
 * await client.models.create({ name: 'churn', artifactUri: a.uri, algorithm: 'xgboost' });
 */
export class ArtifactsApi {
  constructor(readonly transport: Transport) {}

  /**
   * Streams a file (by path) or bytes to `uploads/<path>`, replacing what is there.
   * @returns the stored artifact; pass its `uri` as a model's `artifactUri`.
   */
  async upload(path: string, source: string | Uint8Array, opts: ArtifactUploadOptions = {}): Promise<Artifact> {
    const { stream, size } = await uploadBody(source, opts.onProgress);
    return this.transport.json<Artifact>({
      method: 'PUT',
      path: `${BASE}/uploads/${encodePath(path)}`,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body: stream,
      signal: opts.signal,
    });
  }

  /** One page of artifacts whose key starts with `prefix`, in key order. */
  list(query: ArtifactListOptions = {}): Promise<ArtifactList> {
    return this.transport.json({ path: BASE, query });
  }

  /** Every artifact under the prefix, page after page. */
  listAll(query: Omit<ArtifactListOptions, 'nextToken'> = {}): AsyncGenerator<Artifact> {
    return listAll((q) => this.list({ ...query, ...q }));
  }

  /**
   * Downloads the artifact at `key` (e.g. `training-jobs/bc-1/output/model.tar.gz`) into a local
   * file, streamed. The file appears whole or not at all.
   */
  async download(key: string, toFile: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    const res = await this.transport.send({ path: `${BASE}/${encodePath(key)}`, headers: { accept: 'application/octet-stream' }, signal: opts.signal });
    const target = resolve(toFile);
    const part = `${target}.part-${process.pid}-${Date.now()}`;
    await mkdir(dirname(target), { recursive: true });
    try {
      const body = res.body ? Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>) : Readable.from([]);
      await pipeline(body, createWriteStream(part), { signal: opts.signal });
      await rename(part, target);
    } catch (err) {
      await rm(part, { force: true });
      throw err;
    }
  }

  /** Deletes `uploads/<path>` (a file, or a folder of them). */
  async delete(path: string): Promise<void> {
    await this.transport.json({ method: 'DELETE', path: `${BASE}/uploads/${encodePath(path)}` });
  }
}

/**
 * A key or path as URL path segments. A path with `.`, `..` or empty segments goes as one
 * encoded segment: a URL parser would silently resolve them, and the server should see (and
 * refuse) what the caller asked for.
 */
function encodePath(path: string): string {
  const segments = path.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return encodeURIComponent(path);
  return segments.map(encodeURIComponent).join('/');
}
