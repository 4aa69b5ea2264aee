import { mkdtemp, readdir, rm, utimes, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { artifactStoreConformance } from '../../../test/conformance/artifact-store.js';
import { openArtifactStore } from '../uri.js';
import { LocalArtifactStore } from './local-artifact-store.js';

const roots = new Map<string, string>();
afterEach(async () => {
  await Promise.all([...roots.values()].map((dir) => rm(dir, { recursive: true, force: true })));
  roots.clear();
});

async function freshStore(): Promise<LocalArtifactStore> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-artifacts-'));
  const store = new LocalArtifactStore(join(dir, 'root'));
  roots.set(store.rootUri, dir);
  return store;
}

async function tempFiles(store: { rootUri: string }): Promise<number> {
  const dir = join(roots.get(store.rootUri)!, 'root', '.tmp');
  return (await readdir(dir).catch(() => [])).length;
}

artifactStoreConformance('LocalArtifactStore', freshStore, { pendingWrites: tempFiles });

describe('LocalArtifactStore specifics', () => {
  it('is opened from a file:// URL, with the root URI ending in a slash', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stratus-artifacts-'));
    roots.set('open', dir);
    const store = openArtifactStore(pathToFileURL(dir).href);
    expect(store).toBeInstanceOf(LocalArtifactStore);
    expect(store.rootUri).toBe(`${pathToFileURL(dir).href}/`);
  });

  it('refuses a put whose key collides with an existing folder or object', async () => {
    const store = await freshStore();
    await store.put('a/b', Buffer.from('x'));
    await expect(store.put('a', Buffer.from('y'))).rejects.toMatchObject({ code: 'FailedPrecondition' });
    await expect(store.put('a/b/c', Buffer.from('y'))).rejects.toMatchObject({ code: 'FailedPrecondition' });
    expect(await tempFiles(store)).toBe(0);
  });

  it('skips files it could not have written and folders in stat/get', async () => {
    const store = await freshStore();
    await store.put('ok/one', Buffer.from('1'));
    const root = join(roots.get(store.rootUri)!, 'root');
    await writeFile(join(root, 'ok', 'back\\slash'), 'x');
    await mkdir(join(root, 'empty-folder'));
    const keys: string[] = [];
    for await (const info of store.list('')) keys.push(info.key);
    expect(keys).toEqual(['ok/one']);
    expect(await store.stat('ok')).toBeUndefined();
    await expect(store.get('ok')).rejects.toMatchObject({ code: 'NotFound' });
    await expect(store.getBytes('ok')).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('sweeps temp files older than the cutoff and keeps fresh ones', async () => {
    const store = await freshStore();
    expect(await store.sweepOrphans(new Date())).toEqual({ removed: [] }); // no .tmp/ yet
    await store.put('kept', Buffer.from('object'));
    const tmp = join(roots.get(store.rootUri)!, 'root', '.tmp');
    const twoDaysAgo = new Date(Date.now() - 48 * 3600_000);
    await writeFile(join(tmp, 'old.part'), 'killed writer');
    await utimes(join(tmp, 'old.part'), twoDaysAgo, twoDaysAgo);
    await writeFile(join(tmp, 'fresh.part'), 'live writer');
    const sweep = await store.sweepOrphans(new Date(Date.now() - 24 * 3600_000));
    expect(sweep.removed.map((o) => o.name)).toEqual(['old.part']);
    expect(sweep.removed[0].startedAt.getTime()).toBeCloseTo(twoDaysAgo.getTime(), -3);
    expect(await readdir(tmp)).toEqual(['fresh.part']);
    expect((await store.getBytes('kept')).toString()).toBe('object');
  });

  it('prunes folders emptied by delete', async () => {
    const store = await freshStore();
    await store.put('x/y/z', Buffer.from('1'));
    await store.put('x/w', Buffer.from('2'));
    await store.delete('x/y/z');
    expect((await readdir(join(roots.get(store.rootUri)!, 'root'))).sort()).toEqual(['.tmp', 'x']);
    await store.delete('x/w');
    expect(await readdir(join(roots.get(store.rootUri)!, 'root'))).toEqual(['.tmp']);
  });
});

describe('openArtifactStore', () => {
  it('opens s3:// URLs as an S3 store (tested against a server in src/artifacts/s3/)', () => {
    expect(openArtifactStore('s3://bucket/prefix', { s3: { endpoint: 'http://127.0.0.1:1' } }).rootUri).toBe('s3://bucket/prefix/');
  });

  it('rejects unknown schemes and malformed URLs with ValidationError', () => {
    expect(() => openArtifactStore('gs://bucket')).toThrow(expect.objectContaining({ code: 'ValidationError' }));
    expect(() => openArtifactStore('not a url')).toThrow(expect.objectContaining({ code: 'ValidationError' }));
    expect(() => openArtifactStore('file://remote-host/x')).toThrow(expect.objectContaining({ code: 'ValidationError' }));
  });
});
