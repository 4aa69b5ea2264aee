import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { addAbortSignal, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { validationError } from '../../core/errors.js';
import type { ArtifactInfo, ArtifactStore, OrphanedWrite, OrphanSweep, PutOptions } from '../artifact-store.js';
import { assertRange, assertSafeKey, payloadTooLarge, prefixKey, unsafeKeyReason } from '../keys.js';
import { addContentMd5ToDeleteObjects, isS3NotFound, translateS3Error } from './s3-errors.js';

/** How to reach an S3-compatible service. Unset fields fall back to the AWS SDK's defaults. */
export interface S3ConnectionOptions {
  /** e.g. `http://127.0.0.1:8080` for Swift or MinIO. @defaultValue AWS S3 */
  endpoint?: string;
  /** @defaultValue the SDK's (AWS_REGION, ~/.aws/config); `us-east-1` when `endpoint` is set */
  region?: string;
  /** Both or neither. @defaultValue the SDK's default credential chain (AWS_* env, ~/.aws, IMDS) */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Address buckets as `endpoint/bucket` (most S3-compatible servers) instead of `bucket.endpoint`. */
  forcePathStyle?: boolean;
}

/** Tuning knobs; the defaults suit AWS. */
export interface S3ArtifactStoreTuning {
  /** Bodies up to this size go in one PutObject; larger ones in parts of this size. @defaultValue 8 MiB (S3's minimum part is 5 MiB) */
  partSize?: number;
  /** Parts uploaded at once per put (memory: about partSize × queueSize). @defaultValue 4 */
  queueSize?: number;
  /** Keys per ListObjectsV2 page. @defaultValue 1000 (S3's maximum) */
  listPageSize?: number;
  /** Keys per DeleteObjects call. @defaultValue 1000 (S3's maximum) */
  deleteBatchSize?: number;
}

/** Everything {@link S3ArtifactStore} is built from: where the store lives, how to reach it, tuning. */
export interface S3ArtifactStoreConfig extends S3ConnectionOptions, S3ArtifactStoreTuning {
  bucket: string;
  /** Key prefix of the store inside the bucket, without slashes at either end; '' for the bucket root. */
  prefix: string;
  /** A client to use instead of building one from the connection options (tests, custom middleware). */
  client?: S3Client;
}

/** An object left by a multipart upload that was neither completed nor aborted. */
export interface IncompleteUpload {
  key: string;
  uploadId: string;
  initiatedAt: Date | undefined;
}

const MiB = 1024 * 1024;
const BUCKET_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]{1,254}$/;

/**
 * An ArtifactStore over an S3 bucket, or a prefix inside one (`s3://bucket/prefix/` root URI),
 * on AWS or any S3-compatible server (tested against OpenStack Swift's s3api).
 *
 * Atomicity comes from S3 itself, not from a temp-and-rename dance: an object appears under its
 * key only when the request that creates it succeeds. A PutObject whose body is cut short (the
 * writer crashed, the connection dropped) does not match its Content-Length and is discarded
 * whole; a multipart upload's parts live outside the bucket's key space until
 * CompleteMultipartUpload, which this store sends only after the last part was uploaded, so a
 * writer killed mid-upload leaves an *incomplete upload* (invisible to GET and LIST, see
 * {@link incompleteUploads}) and never a half-written object. Overwrites are atomic the same way:
 * readers see the old object until the new one is complete. A put that fails or is aborted
 * aborts its multipart upload, so nothing is left; only a killed process leaves one behind, for
 * {@link sweepOrphans} or a bucket lifecycle rule (AbortIncompleteMultipartUpload) to reclaim.
 *
 * Unlike the local store, `a` and `a/b` may both exist (S3 has no folders).
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly rootUri: string;
  readonly bucket: string;
  /** '' or the key prefix ending in '/'. */
  readonly #prefix: string;
  readonly #client: S3Client;
  readonly #ownsClient: boolean;
  readonly #tuning: Required<S3ArtifactStoreTuning>;

  constructor(config: S3ArtifactStoreConfig) {
    if (!BUCKET_NAME.test(config.bucket)) throw validationError(`'${config.bucket}' is not a valid S3 bucket name`);
    if (config.prefix !== '') assertSafeKey(config.prefix);
    this.bucket = config.bucket;
    this.#prefix = config.prefix === '' ? '' : `${config.prefix}/`;
    this.rootUri = `s3://${config.bucket}/${encodeKey(this.#prefix)}`;
    this.#client = config.client ?? createS3Client(config);
    this.#ownsClient = config.client === undefined;
    this.#tuning = {
      partSize: Math.max(config.partSize ?? 8 * MiB, 5 * MiB),
      queueSize: config.queueSize ?? 4,
      listPageSize: Math.min(config.listPageSize ?? 1000, 1000),
      deleteBatchSize: Math.min(config.deleteBatchSize ?? 1000, 1000),
    };
  }

  /**
   * Opens `s3://bucket[/prefix]`.
   * @throws ValidationError for credentials, a port, a query or a fragment in the URL, a bad
   *   bucket name or an unsafe prefix.
   */
  static fromUrl(url: URL, options: S3ConnectionOptions & S3ArtifactStoreTuning = {}): S3ArtifactStore {
    if (url.protocol !== 's3:' || url.username || url.password || url.port || url.search || url.hash || !url.hostname) {
      throw validationError('an S3 artifact store URL looks like s3://bucket or s3://bucket/prefix (no credentials, port, query or fragment; set the endpoint with STRATUS_S3_ENDPOINT)');
    }
    let prefix: string;
    try {
      prefix = decodeKey(url.pathname.replace(/^\/+|\/+$/g, ''));
    } catch {
      throw validationError(`the prefix of '${url.href}' is not valid percent-encoding`);
    }
    const why = prefix === '' ? undefined : unsafeKeyReason(prefix);
    if (why) throw validationError(`the prefix of artifact store URL '${url.href}' is not a valid key: ${why}`);
    return new S3ArtifactStore({ ...options, bucket: url.hostname, prefix });
  }

  async put(key: string, body: Uint8Array | Readable | AsyncIterable<Uint8Array>, opts: PutOptions = {}): Promise<ArtifactInfo> {
    const objectKey = this.#objectKey(key);
    const { maxBytes, signal } = opts;
    signal?.throwIfAborted();
    if (body instanceof Uint8Array && maxBytes !== undefined && body.byteLength > maxBytes) throw payloadTooLarge(maxBytes);
    // Every body goes through a Transform the store owns: it counts (and limits) bytes while
    // streaming, and destroying it (abort, limit, a failed source) makes lib-storage fail,
    // which then aborts its multipart upload before done() settles.
    let size = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (maxBytes !== undefined && size > maxBytes) done(payloadTooLarge(maxBytes));
        else done(null, chunk);
      },
    });
    const source = body instanceof Uint8Array ? Readable.from([Buffer.from(body.buffer, body.byteOffset, body.byteLength)]) : body;
    pipeline(source, counted, { signal }).catch((e: unknown) => counted.destroy(e as Error));
    const upload = new Upload({
      client: this.#client,
      params: { Bucket: this.bucket, Key: objectKey, Body: counted },
      partSize: this.#tuning.partSize,
      queueSize: this.#tuning.queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (e) {
      throw translateS3Error(e, { key, bucket: this.bucket });
    } finally {
      counted.destroy();
    }
    return this.#info(key, size, new Date());
  }

  async get(key: string, opts: { signal?: AbortSignal; start?: number; end?: number } = {}): Promise<Readable> {
    const objectKey = this.#objectKey(key);
    assertRange(opts.start, opts.end);
    const range = opts.start !== undefined || opts.end !== undefined ? `bytes=${opts.start ?? 0}-${opts.end ?? ''}` : undefined;
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey, Range: range }), {
        abortSignal: opts.signal,
      });
      const stream = out.Body as Readable;
      return opts.signal ? addAbortSignal(opts.signal, stream) : stream;
    } catch (e) {
      // A range starting past the end: the local store gives an empty stream, and so does this one.
      if (errorName(e) === 'InvalidRange') return Readable.from([]);
      throw translateS3Error(e, { key, bucket: this.bucket });
    }
  }

  async getBytes(key: string): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const part of await this.get(key)) parts.push(part as Buffer);
    return Buffer.concat(parts);
  }

  async stat(key: string): Promise<ArtifactInfo | undefined> {
    const objectKey = this.#objectKey(key);
    try {
      const out = await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      return this.#info(key, out.ContentLength ?? 0, out.LastModified ?? new Date(0));
    } catch (e) {
      if (isS3NotFound(e)) return undefined;
      throw translateS3Error(e, { key, bucket: this.bucket });
    }
  }

  async *list(prefix: string): AsyncIterable<ArtifactInfo> {
    const key = prefixKey(prefix, true);
    if (key !== '') {
      const self = await this.stat(key);
      if (self) yield self;
    }
    for await (const page of this.#pages(key === '' ? this.#prefix : `${this.#prefix}${key}/`)) {
      for (const o of page) {
        const rel = o.Key!.slice(this.#prefix.length);
        // Objects written around the store ('a//b', '.tmp/x', …) have no valid key: skip them.
        if (unsafeKeyReason(rel)) continue;
        yield this.#info(rel, o.Size ?? 0, o.LastModified ?? new Date(0));
      }
    }
  }

  async delete(keyOrPrefix: string): Promise<void> {
    const key = prefixKey(keyOrPrefix, false);
    const exact = `${this.#prefix}${key}`;
    let batch: string[] = [exact];
    // Pages are deleted as they are listed: ListObjectsV2 continues after the last key it
    // returned, so deleting what came before does not disturb it.
    for await (const page of this.#pages(`${exact}/`)) {
      for (const o of page) {
        batch.push(o.Key!);
        if (batch.length === this.#tuning.deleteBatchSize) {
          await this.#deleteBatch(batch, key);
          batch = [];
        }
      }
    }
    if (batch.length > 0) await this.#deleteBatch(batch, key);
  }

  async download(key: string, localPath: string): Promise<void> {
    const target = resolve(localPath);
    const body = await this.get(key);
    // Into a temporary name next to the target, then renamed: a reader of `localPath` never sees
    // a partly downloaded file, and a failed download leaves nothing.
    const temp = join(dirname(target), `.${basename(target)}.${randomUUID()}.part`);
    try {
      await mkdir(dirname(target), { recursive: true });
      await pipeline(body, createWriteStream(temp, { flags: 'wx' }));
      await rename(temp, target);
    } catch (e) {
      body.destroy();
      await rm(temp, { force: true });
      throw translateS3Error(e, { key, bucket: this.bucket });
    }
  }

  keyOf(uri: string): string {
    const outside = () => validationError(`'${uri}' is not inside this store (${this.rootUri})`, { uri });
    if (typeof uri !== 'string' || !uri.startsWith(this.rootUri)) throw outside();
    let key: string;
    try {
      key = decodeKey(uri.slice(this.rootUri.length));
    } catch {
      throw outside();
    }
    if (unsafeKeyReason(key)) throw outside();
    return key;
  }

  uriOf(key: string): string {
    assertSafeKey(key);
    return this.rootUri + encodeKey(key);
  }

  /**
   * Multipart uploads under this store's prefix that were started and never completed or
   * aborted: what a writer killed mid-put leaves (invisible to get/list), until
   * {@link sweepOrphans} or a bucket lifecycle rule (AbortIncompleteMultipartUpload) reclaims them.
   */
  async incompleteUploads(): Promise<IncompleteUpload[]> {
    try {
      return await this.#listUploads();
    } catch (e) {
      throw translateS3Error(e, { bucket: this.bucket });
    }
  }

  /**
   * Aborts the incomplete multipart uploads under this store's prefix initiated before
   * `olderThan` (their parts are billed until then). Uploads with no initiation time are kept.
   * A service that cannot list multipart uploads (HTTP 501 NotImplemented) is skipped, not an error.
   */
  async sweepOrphans(olderThan: Date): Promise<OrphanSweep> {
    let uploads: IncompleteUpload[];
    try {
      uploads = await this.#listUploads();
    } catch (e) {
      if (isNotImplemented(e)) return { removed: [], skipped: `the S3 service does not implement ListMultipartUploads (${errorName(e)})` };
      throw translateS3Error(e, { bucket: this.bucket });
    }
    const removed: OrphanedWrite[] = [];
    for (const u of uploads) {
      if (!u.initiatedAt || u.initiatedAt >= olderThan) continue;
      if (await this.#abortUpload(u)) removed.push({ name: `${u.key} (upload ${u.uploadId})`, startedAt: u.initiatedAt });
    }
    return { removed };
  }

  async #listUploads(): Promise<IncompleteUpload[]> {
    const out: IncompleteUpload[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await this.#client.send(
        new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: this.#prefix || undefined, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
      );
      for (const u of page.Uploads ?? []) {
        out.push({ key: u.Key!.slice(this.#prefix.length), uploadId: u.UploadId!, initiatedAt: u.Initiated });
      }
      if (!page.IsTruncated) return out;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  }

  /** Aborts one upload; false when it was completed or aborted since it was listed. */
  async #abortUpload(u: IncompleteUpload): Promise<boolean> {
    try {
      await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: `${this.#prefix}${u.key}`, UploadId: u.uploadId }));
      return true;
    } catch (e) {
      if (errorName(e) === 'NoSuchUpload') return false;
      throw translateS3Error(e, { key: u.key, bucket: this.bucket });
    }
  }

  /** Closes the client's idle connections (only a client this store built). */
  async close(): Promise<void> {
    if (this.#ownsClient) this.#client.destroy();
  }

  /** Every page of objects whose key starts with `prefix` (a raw bucket key prefix), in key order. */
  async *#pages(prefix: string): AsyncGenerator<{ Key?: string; Size?: number; LastModified?: Date }[]> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.#client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix || undefined, ContinuationToken: token, MaxKeys: this.#tuning.listPageSize }),
        );
      } catch (e) {
        throw translateS3Error(e, { bucket: this.bucket });
      }
      yield (page.Contents ?? []).filter((o) => o.Key !== undefined);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async #deleteBatch(keys: string[], key: string): Promise<void> {
    let out;
    try {
      out = await this.#client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }),
      );
    } catch (e) {
      throw translateS3Error(e, { key, bucket: this.bucket });
    }
    const failed = (out.Errors ?? []).filter((err) => err.Code !== 'NoSuchKey');
    if (failed.length > 0) {
      const first = failed[0];
      throw translateS3Error(Object.assign(new Error(first.Message ?? 'delete failed'), { name: first.Code ?? 'DeleteFailed' }), {
        key: first.Key?.slice(this.#prefix.length) ?? key,
        bucket: this.bucket,
      });
    }
  }

  #objectKey(key: string): string {
    assertSafeKey(key);
    return `${this.#prefix}${key}`;
  }

  #info(key: string, sizeBytes: number, modifiedAt: Date): ArtifactInfo {
    return { key, uri: this.uriOf(key), sizeBytes, modifiedAt };
  }
}

/** Builds a client for an S3-compatible service from connection options. */
export function createS3Client(options: S3ConnectionOptions): S3Client {
  const { endpoint, region, accessKeyId, secretAccessKey, forcePathStyle } = options;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw validationError('set both the S3 access key id and the S3 secret access key, or neither');
  }
  const config: S3ClientConfig = {
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : endpoint ? { region: 'us-east-1' } : {}),
    ...(forcePathStyle !== undefined ? { forcePathStyle } : {}),
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
    // Checksums only where S3 requires them: the SDK's newer default (CRC32 trailers in
    // aws-chunked bodies) is refused by S3-compatible servers such as Swift's s3api.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
  const client = new S3Client(config);
  addContentMd5ToDeleteObjects(client);
  return client;
}

/** Percent-encodes each segment of a key (keys with `#`, `?`, `%` or spaces stay valid in a URI). */
const encodeKey = (key: string) => key.split('/').map(encodeURIComponent).join('/');
const decodeKey = (path: string) => path.split('/').map(decodeURIComponent).join('/');
const errorName = (e: unknown) => (e as { name?: string } | undefined)?.name;
const isNotImplemented = (e: unknown) =>
  errorName(e) === 'NotImplemented' || (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode === 501;
