import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../../src/artifacts/artifact-store.js';
import type { ArtifactStoreOptions } from '../../src/artifacts/uri.js';
import { isPlatformError, type ErrorCode } from '../../src/core/errors.js';

/** Optional probes into an implementation's internals. */
export interface ArtifactStoreConformanceOptions {
  /** How many in-flight writes the store holds (temp files, open multipart uploads). */
  pendingWrites?: (store: ArtifactStore) => Promise<number>;
  /** What the crash test's child process passes to `openArtifactStore` with the root URI. */
  openOptions?: ArtifactStoreOptions;
}

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CRASH_CHILD = fileURLToPath(new URL('../fixtures/artifact-put-forever.ts', import.meta.url));

const UNSAFE_KEYS = ['../x', '/abs', 'a/../../b', '', 'a\\b', '..\\x', 'a\0b', '.tmp/x', '.', '..', 'a//b', 'a/./b', './a'];

/** Runs the ArtifactStore contract against the store `make` builds (a fresh, empty one per test). */
export function artifactStoreConformance(
  name: string,
  make: () => Promise<ArtifactStore>,
  options: ArtifactStoreConformanceOptions = {},
): void {
  describe(`${name}: ArtifactStore`, () => {
    let store: ArtifactStore;
    beforeEach(async () => {
      store = await make();
    });

    basicReadWrite(() => store);
    listingAndDeletion(() => store);
    atomicity(() => store, options);
    keySafety(() => store);
  });
}

function basicReadWrite(s: () => ArtifactStore): void {
  it('puts bytes and reads them back through get, getBytes and stat', async () => {
    const body = new TextEncoder().encode('hello, artifacts');
    const info = await s().put('runs/r1/metrics.json', body);
    expect(info).toMatchObject({ key: 'runs/r1/metrics.json', sizeBytes: body.length, uri: s().uriOf('runs/r1/metrics.json') });
    expect(info.modifiedAt).toBeInstanceOf(Date);
    expect((await s().getBytes(info.key)).toString()).toBe('hello, artifacts');
    expect((await collect(await s().get(info.key))).toString()).toBe('hello, artifacts');
    expect(await s().stat(info.key)).toMatchObject({ key: info.key, sizeBytes: body.length, uri: info.uri });
  });

  it('streams a multi-MB body from an async iterable and from a Readable', async () => {
    const size = 12 * 1024 * 1024 + 7;
    const a = await s().put('big/a.bin', chunks(size));
    const b = await s().put('big/b.bin', Readable.from(chunks(size)));
    expect([a.sizeBytes, b.sizeBytes]).toEqual([size, size]);
    const expected = sha256(Buffer.concat(await toArray(chunks(size))));
    expect(sha256(await collect(await s().get('big/a.bin')))).toBe(expected);
    expect(sha256(await s().getBytes('big/b.bin'))).toBe(expected);
  });

  it('reads a byte range, end inclusive', async () => {
    await s().put('range.txt', Buffer.from('0123456789abcdef'));
    expect((await collect(await s().get('range.txt', { start: 3, end: 6 }))).toString()).toBe('3456');
    expect((await collect(await s().get('range.txt', { start: 10 }))).toString()).toBe('abcdef');
    expect((await collect(await s().get('range.txt', { end: 1 }))).toString()).toBe('01');
    await expectCode(s().get('range.txt', { start: 5, end: 2 }), 'ValidationError');
  });

  it('replaces an existing object on put', async () => {
    await s().put('model/weights.bin', Buffer.from('version one, longer'));
    const info = await s().put('model/weights.bin', Buffer.from('v2'));
    expect(info.sizeBytes).toBe(2);
    expect((await s().getBytes('model/weights.bin')).toString()).toBe('v2');
  });

  it('reports a missing key: NotFound from get, getBytes and download; undefined from stat', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stratus-dl-'));
    try {
      await expectCode(s().get('missing/key'), 'NotFound');
      await expectCode(s().getBytes('missing/key'), 'NotFound');
      await expectCode(s().download('missing/key', join(dir, 'x')), 'NotFound');
      expect(await s().stat('missing/key')).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('downloads an object into a local path, creating its folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stratus-dl-'));
    try {
      await s().put('jobs/j1/model.tar.gz', Buffer.from('archive bytes'));
      await s().download('jobs/j1/model.tar.gz', join(dir, 'nested', 'model.tar.gz'));
      expect(await readFile(join(dir, 'nested', 'model.tar.gz'), 'utf8')).toBe('archive bytes');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('maps keys to URIs and back, escaping odd characters', async () => {
    for (const key of ['a b/c%20d.txt', 'ünï/cödé#1?.json', 'x']) {
      const uri = s().uriOf(key);
      expect(uri.startsWith(s().rootUri)).toBe(true);
      expect(s().keyOf(uri)).toBe(key);
      expect((await s().put(key, Buffer.from('k'))).uri).toBe(uri);
    }
    expect(() => s().keyOf('https://example.com/x')).toThrow(expect.objectContaining({ code: 'ValidationError' }));
    expect(() => s().keyOf(s().rootUri)).toThrow(expect.objectContaining({ code: 'ValidationError' }));
    expect(() => s().keyOf(new URL('../elsewhere/x', s().rootUri).href)).toThrow(
      expect.objectContaining({ code: 'ValidationError' }),
    );
  });
}

function listingAndDeletion(s: () => ArtifactStore): void {
  const keys = ['b', 'a/x', 'a/y/z', 'a-b', 'a.txt', 'c/d/e/f'];

  it('lists recursively in key order, everything or under a folder-like prefix', async () => {
    for (const key of keys) await s().put(key, Buffer.from(key));
    expect(await keysOf(s().list(''))).toEqual(['a-b', 'a.txt', 'a/x', 'a/y/z', 'b', 'c/d/e/f']);
    expect(await keysOf(s().list('a'))).toEqual(['a/x', 'a/y/z']);
    expect(await keysOf(s().list('a/'))).toEqual(['a/x', 'a/y/z']);
    expect(await keysOf(s().list('c/d'))).toEqual(['c/d/e/f']);
    expect(await keysOf(s().list('nothing/here'))).toEqual([]);
    const [info] = await toArray(s().list('a/y'));
    expect(info).toMatchObject({ key: 'a/y/z', sizeBytes: 5, uri: s().uriOf('a/y/z') });
  });

  it('deletes one key, or every object under a prefix, and ignores missing keys', async () => {
    for (const key of keys) await s().put(key, Buffer.from(key));
    await s().delete('b');
    await s().delete('a/');
    await s().delete('c');
    await s().delete('never/was');
    expect(await keysOf(s().list(''))).toEqual(['a-b', 'a.txt']);
    expect(await s().stat('a/x')).toBeUndefined();
    await s().put('a/x', Buffer.from('again'));
    expect((await s().getBytes('a/x')).toString()).toBe('again');
  });
}

function atomicity(s: () => ArtifactStore, options: ArtifactStoreConformanceOptions): void {
  it('keeps serving the old object while an overwrite is in flight, and never lists the partial one', async () => {
    await s().put('atomic/obj', Buffer.alloc(1024 * 1024, 0x61));
    const gate = gatedBody(Buffer.alloc(1024 * 1024, 0x62), 4);
    const writing = s().put('atomic/obj', gate.body);
    const freshGate = gatedBody(Buffer.alloc(10), 2);
    const fresh = s().put('atomic/new', freshGate.body);
    await Promise.all([gate.started, freshGate.started]);
    const during = await s().getBytes('atomic/obj');
    expect(during.length).toBe(1024 * 1024);
    expect(during.every((b) => b === 0x61)).toBe(true);
    expect(await s().stat('atomic/new')).toBeUndefined();
    expect(await keysOf(s().list(''))).toEqual(['atomic/obj']);
    gate.release();
    freshGate.release();
    await writing;
    const after = await s().getBytes('atomic/obj');
    expect(after.length).toBe(4 * 1024 * 1024);
    expect(after.every((b) => b === 0x62)).toBe(true);
    expect(await fresh).toMatchObject({ sizeBytes: 20 });
  });

  it('rejects a body over maxBytes with PayloadTooLarge, naming the limit, and keeps nothing', async () => {
    await s().put('limited/old', Buffer.from('old'));
    const err = await expectCode(s().put('limited/old', chunks(5 * 1024 * 1024), { maxBytes: 1024 * 1024 }), 'PayloadTooLarge');
    expect(err.message).toContain('1048576');
    await expectCode(s().put('limited/new', Buffer.alloc(11), { maxBytes: 10 }), 'PayloadTooLarge');
    expect(await s().put('limited/exact', Buffer.alloc(10), { maxBytes: 10 })).toMatchObject({ sizeBytes: 10 });
    expect((await s().getBytes('limited/old')).toString()).toBe('old');
    expect(await keysOf(s().list('limited'))).toEqual(['limited/exact', 'limited/old']);
    if (options.pendingWrites) expect(await options.pendingWrites(s())).toBe(0);
  });

  it('leaves nothing behind when a put is aborted or its body fails', async () => {
    const controller = new AbortController();
    // A client that sends one chunk, then stalls: the abort must not wait for more data.
    const stalled = new PassThrough();
    stalled.write(Buffer.alloc(64 * 1024));
    const aborted = s().put('aborted/key', stalled, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    await expect(aborted).rejects.toThrow();
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(1000);
      throw new Error('upstream connection reset');
    }
    await expect(s().put('failed/key', failing())).rejects.toThrow('upstream connection reset');
    expect(await keysOf(s().list(''))).toEqual([]);
    if (options.pendingWrites) expect(await options.pendingWrites(s())).toBe(0);
  });

  it('leaves no partial object when the writing process is killed mid-put', async () => {
    await s().put('crash/existing', Buffer.from('survivor'));
    await runAndKill(s(), ['crash/existing', 'crash/fresh'], options);
    if (options.pendingWrites) expect(await options.pendingWrites(s())).toBeGreaterThan(0);
    expect((await s().getBytes('crash/existing')).toString()).toBe('survivor');
    expect(await s().stat('crash/fresh')).toBeUndefined();
    expect(await keysOf(s().list(''))).toEqual(['crash/existing']);
    await s().put('crash/fresh', Buffer.from('after'));
    expect(await keysOf(s().list('crash'))).toEqual(['crash/existing', 'crash/fresh']);
  });

  it('sweeps what a killed writer left once it is older than the cutoff', async (ctx) => {
    const store = s();
    if (!store.sweepOrphans || !options.pendingWrites) return ctx.skip();
    await store.put('crash/existing', Buffer.from('survivor'));
    await runAndKill(store, ['crash/fresh'], options);
    const left = await options.pendingWrites(store);
    expect(left).toBeGreaterThan(0);
    expect(await store.sweepOrphans(new Date(Date.now() - 3600_000))).toEqual({ removed: [] });
    expect(await options.pendingWrites(store)).toBe(left);
    const sweep = await store.sweepOrphans(new Date(Date.now() + 60_000));
    expect(sweep.removed).toHaveLength(left);
    expect(await options.pendingWrites(store)).toBe(0);
    expect(await keysOf(store.list(''))).toEqual(['crash/existing']);
  });
}

function keySafety(s: () => ArtifactStore): void {
  it('rejects keys that escape the root or are not canonical, on every method', async () => {
    for (const key of UNSAFE_KEYS) {
      await expectCode(s().put(key, Buffer.from('x')), 'ValidationError', key);
      await expectCode(s().get(key), 'ValidationError', key);
      await expectCode(s().getBytes(key), 'ValidationError', key);
      await expectCode(s().stat(key), 'ValidationError', key);
      await expectCode(s().download(key, join(tmpdir(), 'stratus-never-written')), 'ValidationError', key);
      expect(() => s().uriOf(key), key).toThrow(expect.objectContaining({ code: 'ValidationError' }));
      if (key !== '') {
        await expectCode(s().delete(key), 'ValidationError', key);
        await expectCode(toArray(s().list(key)), 'ValidationError', key);
      }
    }
    await expectCode(s().delete(''), 'ValidationError');
    expect(await keysOf(s().list(''))).toEqual([]);
  });
}

async function* chunks(size: number): AsyncGenerator<Uint8Array> {
  const chunkSize = 64 * 1024;
  for (let offset = 0; offset < size; offset += chunkSize) {
    const chunk = Buffer.alloc(Math.min(chunkSize, size - offset));
    for (let i = 0; i < chunk.length; i++) chunk[i] = (offset + i) % 251;
    yield chunk;
  }
}

/** A body that yields one chunk, then waits for `release()` before yielding the rest. */
function gatedBody(chunk: Buffer, count: number) {
  let release!: () => void;
  let started!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const startedP = new Promise<void>((r) => (started = r));
  async function* body(): AsyncGenerator<Uint8Array> {
    yield chunk;
    started();
    await released;
    for (let i = 1; i < count; i++) yield chunk;
  }
  return { body: body(), release, started: startedP };
}

/**
 * Starts a child that writes `keys` forever and SIGKILLs it mid-write: once it says "ready" and,
 * when the store can report them, once every key has an in-flight write in the store (for S3: a
 * started multipart upload, not just bytes buffered in the child).
 */
function runAndKill(store: ArtifactStore, keys: string[], options: ArtifactStoreConformanceOptions): Promise<void> {
  const args = [CRASH_CHILD, ...(options.openOptions ? [`--options=${JSON.stringify(options.openOptions)}`] : []), store.rootUri, ...keys];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const killWhenWriting = async () => {
      const deadline = Date.now() + 30_000;
      while (options.pendingWrites && (await options.pendingWrites(store)) < keys.length && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill('SIGKILL');
    };
    let ready = false;
    child.stdout.on('data', (d: Buffer) => {
      if (ready || !d.toString().includes('ready')) return;
      ready = true;
      killWhenWriting().catch((e: unknown) => {
        child.kill('SIGKILL');
        reject(e as Error);
      });
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`writer exited with code ${code} before it was killed: ${stderr}`));
    });
  });
}

async function expectCode(p: Promise<unknown>, code: ErrorCode, label = ''): Promise<Error> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isPlatformError(err) ? err.code : err, `${label}: expected ${code}`).toBe(code);
  return err as Error;
}

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

async function toArray<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const keysOf = async (items: AsyncIterable<{ key: string }>) => (await toArray(items)).map((i) => i.key);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
