import type { Readable } from 'node:stream';

export interface ArtifactInfo {
  /** Relative POSIX key inside the store. */
  key: string;
  /** Full URI of the artifact (`file:///…/key` or `s3://bucket/prefix/key`). */
  uri: string;
  sizeBytes: number;
  modifiedAt: Date;
}

/**
 * The bucket name of the `s3://` URLs Stratus gives artifacts (the SageMaker-compatible API reads
 * any bucket name as the store's root): `s3://stratus/<key>`.
 */
export const S3_BUCKET = 'stratus';
export const s3UriOfKey = (key: string) => `s3://${S3_BUCKET}/${key}`;

export interface PutOptions {
  signal?: AbortSignal;
  /** Reject the write (PayloadTooLarge) once more than this many bytes arrive. */
  maxBytes?: number;
}

/** What a write killed mid-way left behind (a temp file, an incomplete multipart upload). */
export interface OrphanedWrite {
  /** The temp file's name, or the key and upload id of a multipart upload. */
  name: string;
  startedAt: Date;
}

export interface OrphanSweep {
  removed: OrphanedWrite[];
  /** Why nothing could be swept (the S3 service cannot list multipart uploads); absent when it could. */
  skipped?: string;
}

/**
 * The ArtifactStore seam. Keys are relative POSIX paths; keys that escape the root
 * ('../x', '/abs', 'a/../../b', backslashes, NUL) are rejected with ValidationError.
 * Writes are atomic: a reader sees the whole new object or nothing, never a partial one,
 * even if the process dies mid-write.
 */
export interface ArtifactStore {
  /** URI of the store's root (`file:///…/` or `s3://…/`). */
  readonly rootUri: string;
  /** Writes `body` at `key`, streaming; replaces an existing object atomically. */
  put(key: string, body: Uint8Array | Readable | AsyncIterable<Uint8Array>, opts?: PutOptions): Promise<ArtifactInfo>;
  /** Streams the object; NotFound when absent. */
  get(key: string, opts?: { signal?: AbortSignal; start?: number; end?: number }): Promise<Readable>;
  /** Reads a whole (small) object into memory. */
  getBytes(key: string): Promise<Buffer>;
  stat(key: string): Promise<ArtifactInfo | undefined>;
  /** Every object under `prefix` (a folder-like key prefix), in key order. */
  list(prefix: string): AsyncIterable<ArtifactInfo>;
  /** Deletes the object at `key` and every object under `key/`. Missing keys are not an error. */
  delete(keyOrPrefix: string): Promise<void>;
  /** Copies the object at `key` into a local file path (for job inputs and model loading). */
  download(key: string, localPath: string): Promise<void>;
  /** Maps a URI of this store back to its key; ValidationError for a URI outside this store. */
  keyOf(uri: string): string;
  uriOf(key: string): string;
  /**
   * Removes what writes killed mid-put left (never visible to get/list) that started before
   * `olderThan`. Optional: a store whose writes leave nothing behind has none.
   */
  sweepOrphans?(olderThan: Date): Promise<OrphanSweep>;
  /** Releases connections (an S3 client's sockets); optional, called once at shutdown. */
  close?(): Promise<void>;
}
