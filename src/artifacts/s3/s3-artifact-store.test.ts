// The S3 store against a real S3-compatible server: OpenStack Swift with its s3api layer, started
// by this file (test/fixtures/swift/) and shared by its tests. It checks signatures, so the
// wrong-credentials case is real.
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { CreateMultipartUploadCommand, HeadObjectCommand, ListMultipartUploadsCommand, PutObjectCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactStoreConformance } from '../../../test/conformance/artifact-store.js';
import { startSwift, type SwiftServer } from '../../../test/fixtures/swift/swift-server.js';
import type { ArtifactStore } from '../artifact-store.js';
import { openArtifactStore, type ArtifactStoreOptions } from '../uri.js';
import { createS3Client, S3ArtifactStore, type S3ArtifactStoreTuning } from './s3-artifact-store.js';

const MiB = 1024 * 1024;
let swift: SwiftServer;
let raw: S3Client;

beforeAll(async () => {
  swift = await startSwift();
  raw = createS3Client({ ...connection(), accessKeyId: swift.accessKeyId, secretAccessKey: swift.secretAccessKey });
}, 60_000);
afterAll(async () => {
  raw?.destroy();
  await swift?.stop();
});

function connection() {
  return { endpoint: swift.endpoint, region: swift.region, forcePathStyle: true };
}

function openOptions(tuning: S3ArtifactStoreTuning = {}): ArtifactStoreOptions {
  return { s3: { ...connection(), accessKeyId: swift.accessKeyId, secretAccessKey: swift.secretAccessKey, ...tuning } };
}

/** A store on a fresh prefix of the shared bucket. */
function freshStore(tuning: S3ArtifactStoreTuning = {}): S3ArtifactStore {
  return openArtifactStore(`s3://${swift.bucket}/t/${randomUUID()}`, openOptions(tuning)) as S3ArtifactStore;
}

const pendingWrites = async (store: ArtifactStore) => (await (store as S3ArtifactStore).incompleteUploads()).length;

artifactStoreConformance('S3ArtifactStore on Swift s3api', async () => freshStore(), {
  pendingWrites,
  // Read when the crash test runs, after Swift has started.
  get openOptions() {
    return openOptions();
  },
});

describe('S3ArtifactStore specifics (Swift s3api)', () => {
  it('uploads a large body in parts of partSize, and reads ranges across part boundaries', async () => {
    const store = freshStore({ partSize: 5 * MiB });
    const body = pattern(12 * MiB + 3);
    const info = await store.put('big/model.bin', Readable.from(slices(body, 100_000)));
    expect(info.sizeBytes).toBe(body.length);
    const head = await raw.send(new HeadObjectCommand({ Bucket: swift.bucket, Key: objectKeyOf(store, 'big/model.bin') }));
    expect(head.ETag).toMatch(/-3"$/); // an S3 multipart ETag: md5-of-part-md5s, dash, part count
    expect(sha256(await store.getBytes('big/model.bin'))).toBe(sha256(body));
    const from = 5 * MiB - 10;
    const ranged = await collect(await store.get('big/model.bin', { start: from, end: from + 19 }));
    expect(ranged.equals(body.subarray(from, from + 20))).toBe(true);
    expect((await collect(await store.get('big/model.bin', { start: body.length - 2 }))).equals(body.subarray(-2))).toBe(true);
    expect(await pendingWrites(store)).toBe(0);
  });

  it('sends a body smaller than a part as one PutObject', async () => {
    const store = freshStore();
    await store.put('small', Buffer.alloc(1000, 1));
    const head = await raw.send(new HeadObjectCommand({ Bucket: swift.bucket, Key: objectKeyOf(store, 'small') }));
    expect(head.ETag).not.toContain('-');
  });

  it('stops a multipart upload at maxBytes with PayloadTooLarge and aborts it, leaving nothing', async () => {
    const store = freshStore({ partSize: 5 * MiB });
    const err = await store.put('limited', Readable.from(slices(pattern(16 * MiB), 256 * 1024)), { maxBytes: 11 * MiB }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PayloadTooLarge' });
    expect(await store.stat('limited')).toBeUndefined();
    expect(await pendingWrites(store)).toBe(0);
  });

  it('aborts a multipart upload in flight when the signal fires, leaving nothing', async () => {
    const store = freshStore({ partSize: 5 * MiB });
    const controller = new AbortController();
    async function* slow(): AsyncGenerator<Uint8Array> {
      for (let i = 0; ; i++) {
        yield Buffer.alloc(MiB, i);
        if (i === 11) setTimeout(() => controller.abort(), 0);
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    await expect(store.put('aborted', slow(), { signal: controller.signal })).rejects.toThrow();
    expect(await store.stat('aborted')).toBeUndefined();
    expect(await pendingWrites(store)).toBe(0);
  });

  it('sweeps incomplete multipart uploads started before the cutoff, and keeps younger ones', async () => {
    const store = freshStore();
    const other = freshStore();
    const started = async (s: S3ArtifactStore, key: string) => {
      const { UploadId } = await raw.send(new CreateMultipartUploadCommand({ Bucket: swift.bucket, Key: objectKeyOf(s, key) }));
      await raw.send(new UploadPartCommand({ Bucket: swift.bucket, Key: objectKeyOf(s, key), UploadId, PartNumber: 1, Body: Buffer.alloc(1024, 7) }));
      return UploadId!;
    };
    const orphan = await started(store, 'models/orphan.tar.gz');
    const outside = await started(other, 'not-this-store');
    const uploadsUnder = async (s: S3ArtifactStore) =>
      (await raw.send(new ListMultipartUploadsCommand({ Bucket: swift.bucket, Prefix: objectKeyOf(s, '') }))).Uploads ?? [];

    expect(await store.sweepOrphans(new Date(Date.now() - 3600_000))).toEqual({ removed: [] });
    expect((await uploadsUnder(store)).map((u) => u.UploadId)).toEqual([orphan]);

    const sweep = await store.sweepOrphans(new Date(Date.now() + 60_000));
    expect(sweep.skipped).toBeUndefined();
    expect(sweep.removed.map((o) => o.name)).toEqual([`models/orphan.tar.gz (upload ${orphan})`]);
    expect(await uploadsUnder(store)).toEqual([]);
    // Another store's prefix is not this store's to sweep.
    expect((await uploadsUnder(other)).map((u) => u.UploadId)).toEqual([outside]);
    await other.sweepOrphans(new Date(Date.now() + 60_000));
    expect(await uploadsUnder(other)).toEqual([]);
  });

  it('lists and deletes more than 1000 keys, across ListObjectsV2 pages and DeleteObjects batches', async () => {
    const store = freshStore();
    const keys = Array.from({ length: 1003 }, (_, i) => `many/${String(i).padStart(4, '0')}`);
    // Written straight to the bucket, 16 at a time: 1003 puts through one client, ~10 s here.
    await inParallel(keys, 16, (key) => raw.send(new PutObjectCommand({ Bucket: swift.bucket, Key: objectKeyOf(store, key), Body: key })));
    await store.put('many-other', Buffer.from('x'));
    const listed = await keysOf(store.list('many'));
    expect(listed).toEqual(keys);
    await store.delete('many');
    expect(await keysOf(store.list(''))).toEqual(['many-other']);
  }, 120_000);

  it('follows continuation tokens page by page, and deletes in batches, with small pages', async () => {
    const store = freshStore({ listPageSize: 7, deleteBatchSize: 5 });
    const keys = Array.from({ length: 23 }, (_, i) => `p/${String(i).padStart(2, '0')}`);
    for (const key of keys) await store.put(key, Buffer.from(key));
    expect(await keysOf(store.list('p'))).toEqual(keys);
    expect(await keysOf(store.list(''))).toEqual(keys);
    await store.delete('p/');
    expect(await keysOf(store.list(''))).toEqual([]);
  });

  it('skips objects in the bucket that have no valid key', async () => {
    const store = freshStore();
    await store.put('ok/one', Buffer.from('1'));
    for (const bad of ['ok//double', '.tmp/x', 'ok/./dot']) {
      await raw.send(new PutObjectCommand({ Bucket: swift.bucket, Key: objectKeyOf(store, bad), Body: 'x' }));
    }
    expect(await keysOf(store.list(''))).toEqual(['ok/one']);
  });

  it('keeps both an object and objects under its name, as S3 allows', async () => {
    const store = freshStore();
    await store.put('a', Buffer.from('file'));
    await store.put('a/b', Buffer.from('nested'));
    expect(await keysOf(store.list('a'))).toEqual(['a', 'a/b']);
    await store.delete('a');
    expect(await keysOf(store.list(''))).toEqual([]);
  });

  it('says clearly when the credentials are wrong, without the secret', async () => {
    const store = openArtifactStore(`s3://${swift.bucket}/t/${randomUUID()}`, {
      s3: { ...connection(), accessKeyId: swift.accessKeyId, secretAccessKey: 'not-the-secret' },
    });
    const attempts = [() => store.put('x', Buffer.from('x')), () => store.getBytes('x'), () => store.stat('x'), () => keysOf(store.list(''))];
    for (const attempt of attempts) {
      const err = (await attempt().catch((e: unknown) => e)) as Error & { code?: string };
      expect(err).toMatchObject({ code: 'Unavailable' });
      expect(err.message, err.message).toMatch(/refused the request \((SignatureDoesNotMatch|HTTP 403|Forbidden)\).*check the S3 credentials/);
      expect(err.message).not.toContain('not-the-secret');
    }
    const unknownUser = openArtifactStore(`s3://${swift.bucket}/x`, { s3: { ...connection(), accessKeyId: 'nobody:none', secretAccessKey: 'x' } });
    await expect(unknownUser.stat('x')).rejects.toMatchObject({ code: 'Unavailable' });
  });

  it('says clearly when the bucket does not exist', async () => {
    const store = openArtifactStore('s3://no-such-bucket-here/p', openOptions());
    await expect(store.put('x', Buffer.from('x'))).rejects.toMatchObject({ code: 'Unavailable', message: expect.stringMatching(/bucket 'no-such-bucket-here' does not exist/) });
    await expect(keysOf(store.list(''))).rejects.toMatchObject({ code: 'Unavailable' });
  });
});

describe('opening s3:// URLs', () => {
  const options = { s3: { endpoint: 'http://127.0.0.1:1', accessKeyId: 'a', secretAccessKey: 'b' } };

  it('gives a root URI of the bucket and prefix, ending in a slash', () => {
    expect(openArtifactStore('s3://bucket', options).rootUri).toBe('s3://bucket/');
    expect(openArtifactStore('s3://bucket/', options).rootUri).toBe('s3://bucket/');
    const store = openArtifactStore('s3://bucket/some/prefix/', options);
    expect(store).toBeInstanceOf(S3ArtifactStore);
    expect(store.rootUri).toBe('s3://bucket/some/prefix/');
    expect(store.uriOf('a b/c')).toBe('s3://bucket/some/prefix/a%20b/c');
    expect(store.keyOf('s3://bucket/some/prefix/a%20b/c')).toBe('a b/c');
    expect(() => store.keyOf('s3://bucket/some/other/x')).toThrow(expect.objectContaining({ code: 'ValidationError' }));
    expect(() => store.keyOf('s3://bucket/some/prefix/%E0%A4%A')).toThrow(expect.objectContaining({ code: 'ValidationError' }));
  });

  it('rejects URLs with credentials, ports, queries, bad buckets or unsafe prefixes', () => {
    for (const url of ['s3://user:pw@bucket/p', 's3://bucket:9000/p', 's3://bucket/p?x=1', 's3://bucket/p#f', 's3://b/p', 's3://bucket/a%2F..%2F..', 's3://bucket/.tmp/x', 's3://bucket/a%5Cb']) {
      expect(() => openArtifactStore(url, options), url).toThrow(expect.objectContaining({ code: 'ValidationError' }));
    }
    expect(() => openArtifactStore('s3://user:secret@bucket/p', options)).toThrow(expect.not.objectContaining({ message: expect.stringContaining('secret') }));
  });

  it('wants both halves of a key pair', () => {
    expect(() => openArtifactStore('s3://bucket/p', { s3: { accessKeyId: 'a' } })).toThrow(expect.objectContaining({ code: 'ValidationError' }));
  });
});

describe('sweeping on a service without ListMultipartUploads', () => {
  it('skips, saying why, instead of failing', async () => {
    const notImplemented = Object.assign(new Error('not implemented'), { name: 'NotImplemented', $metadata: { httpStatusCode: 501 } });
    const client = { send: () => Promise.reject(notImplemented) } as unknown as S3Client;
    const store = new S3ArtifactStore({ bucket: 'bucket', prefix: 'p', client });
    expect(await store.sweepOrphans(new Date())).toEqual({ removed: [], skipped: expect.stringContaining('ListMultipartUploads') });
    const denied = Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    const refusing = new S3ArtifactStore({ bucket: 'bucket', prefix: 'p', client: { send: () => Promise.reject(denied) } as unknown as S3Client });
    await expect(refusing.sweepOrphans(new Date())).rejects.toMatchObject({ code: 'Unavailable' });
  });
});

function objectKeyOf(store: S3ArtifactStore, key: string): string {
  return `${store.rootUri.slice(`s3://${store.bucket}/`.length)}${key}`;
}

function pattern(size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 7 + (i >> 12)) & 0xff;
  return b;
}

function* slices(b: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

async function inParallel<T>(items: T[], width: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

async function keysOf(items: AsyncIterable<{ key: string }>): Promise<string[]> {
  const out: string[] = [];
  for await (const item of items) out.push(item.key);
  return out;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
