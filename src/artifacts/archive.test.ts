import { createWriteStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { Header, list, type types } from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractArchive, packDirectory } from './archive.js';

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'stratus-archive-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function modelDir(): Promise<string> {
  const dir = join(work, 'model');
  await mkdir(join(dir, 'code'), { recursive: true });
  await mkdir(join(dir, 'empty'));
  await writeFile(join(dir, 'manifest.json'), '{"format":"stratus.linear"}');
  await writeFile(join(dir, 'code', 'inference.py'), 'def model_fn(d): pass\n');
  await writeFile(join(dir, 'weights.bin'), Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 256)));
  await symlink('weights.bin', join(dir, 'latest.bin'));
  return dir;
}

interface RawEntry {
  path: string;
  type?: types.EntryTypeName;
  body?: string;
  linkpath?: string;
}

/** A tar.gz built header by header, so it can hold entries no well-behaved packer writes. */
function rawArchive(entries: RawEntry[]): Readable {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '');
    const block = Buffer.alloc(512);
    const type = e.type ?? 'File';
    new Header({ path: e.path, type, size: body.length, mode: 0o644, mtime: new Date(0), linkpath: e.linkpath }).encode(block, 0);
    blocks.push(block, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Readable.from([gzipSync(Buffer.concat(blocks))]);
}

describe('packDirectory / extractArchive', () => {
  it('round-trips a folder, files at the archive root, symlinks kept', async () => {
    const archive = join(work, 'model.tar.gz');
    await pipeline(packDirectory(await modelDir()), createWriteStream(archive));
    const paths: string[] = [];
    await list({ file: archive, onReadEntry: (e) => paths.push(e.path) });
    expect(paths).toContain('./manifest.json');
    expect(paths).toContain('./code/inference.py');
    expect(paths.every((p) => p.startsWith('./'))).toBe(true);

    const out = join(work, 'out');
    await extractArchive(archive, out);
    expect((await readdir(out)).sort()).toEqual(['code', 'empty', 'latest.bin', 'manifest.json', 'weights.bin']);
    expect(await readFile(join(out, 'code', 'inference.py'), 'utf8')).toBe('def model_fn(d): pass\n');
    const [copied, original] = await Promise.all([readFile(join(out, 'weights.bin')), readFile(join(work, 'model', 'weights.bin'))]);
    expect(copied.equals(original)).toBe(true);
    expect((await lstat(join(out, 'latest.bin'))).isSymbolicLink()).toBe(true);
    expect(await readlink(join(out, 'latest.bin'))).toBe('weights.bin');
  });

  it('extracts straight from a stream, including links that stay inside', async () => {
    const out = join(work, 'streamed');
    await extractArchive(packDirectory(await modelDir()), out);
    expect(await readFile(join(out, 'manifest.json'), 'utf8')).toContain('stratus.linear');
    await extractArchive(
      rawArchive([
        { path: 'a/file.txt', body: 'x' },
        { path: 'a/up', type: 'SymbolicLink', linkpath: '../a/file.txt' },
        { path: 'hard', type: 'Link', linkpath: 'a/file.txt' },
      ]),
      join(work, 'links'),
    );
    expect(await readFile(join(work, 'links', 'a', 'up'), 'utf8')).toBe('x');
    expect(await readFile(join(work, 'links', 'hard'), 'utf8')).toBe('x');
  });

  it('stores a symlink to a file outside the folder as a link, never its content (a job cannot pack the server secrets)', async () => {
    const secret = join(work, 'secret-token');
    await writeFile(secret, 'TOP-SECRET-TOKEN-VALUE');
    const dir = join(work, 'job-model');
    await mkdir(join(dir, 'sub'), { recursive: true });
    await writeFile(join(dir, 'model.bin'), 'weights');
    await symlink(secret, join(dir, 'stolen.txt'));
    await symlink(work, join(dir, 'sub', 'outside'));
    const archive = join(work, 'evil.tar.gz');
    await pipeline(packDirectory(dir), createWriteStream(archive));
    const entries: Array<{ path: string; type: string; linkpath?: string }> = [];
    await list({ file: archive, onReadEntry: (e) => entries.push({ path: e.path, type: e.type, linkpath: e.linkpath }) });
    expect(entries).toContainEqual({ path: './stolen.txt', type: 'SymbolicLink', linkpath: secret });
    expect(entries).toContainEqual({ path: './sub/outside', type: 'SymbolicLink', linkpath: work });
    // Nothing under the linked folder was walked into.
    expect(entries.filter((e) => e.path.startsWith('./sub/outside/'))).toEqual([]);
    const { gunzipSync } = await import('node:zlib');
    expect(gunzipSync(await readFile(archive)).includes('TOP-SECRET-TOKEN-VALUE')).toBe(false);
  });

  it('fails on a folder that does not exist', async () => {
    await expect(extractArchive(packDirectory(join(work, 'nope')), join(work, 'out'))).rejects.toThrow();
  });
});

describe('extractArchive refuses entries that escape the destination', () => {
  const cases: Array<[string, RawEntry[]]> = [
    ['a ../ path', [{ path: '../evil.txt', body: 'x' }]],
    ['a nested ../ path', [{ path: 'a/../../evil.txt', body: 'x' }]],
    ['an absolute path', [{ path: '/tmp/stratus-evil.txt', body: 'x' }]],
    ['a symlink pointing up and out', [{ path: 'link', type: 'SymbolicLink', linkpath: '../../etc' }]],
    ['an absolute symlink', [{ path: 'link', type: 'SymbolicLink', linkpath: '/etc/passwd' }]],
    ['a hardlink to outside', [{ path: 'hard', type: 'Link', linkpath: '../outside.txt' }]],
    ['a hardlink to an absolute path', [{ path: 'hard', type: 'Link', linkpath: '/etc/passwd' }]],
    [
      'a symlink climbing out through another symlink',
      [
        { path: 'b', type: 'SymbolicLink', linkpath: '.' },
        { path: 'a', type: 'SymbolicLink', linkpath: 'b/..' },
      ],
    ],
    [
      'a symlink made after a link that climbs out of it',
      [
        { path: 'a', type: 'SymbolicLink', linkpath: 'b/..' },
        { path: 'b', type: 'SymbolicLink', linkpath: '.' },
      ],
    ],
    ['a device file', [{ path: 'dev', type: 'CharacterDevice' }]],
  ];

  for (const [label, entries] of cases) {
    it(`refuses ${label}`, async () => {
      const dest = join(work, 'dest');
      const before = await readdir(work);
      const err = await extractArchive(rawArchive([{ path: 'ok.txt', body: 'fine' }, ...entries]), dest).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ValidationError', message: expect.stringContaining('refused') });
      expect((await readdir(work)).sort()).toEqual([...before, 'dest'].sort());
    });
  }

  it('reports a corrupt or truncated archive as ValidationError', async () => {
    const junk = Readable.from([Buffer.from('this is not an archive at all, not even close'.repeat(20))]);
    await expect(extractArchive(junk, join(work, 'junk'))).rejects.toMatchObject({ code: 'ValidationError' });
    const full = gzipSync(Buffer.concat([Buffer.alloc(512, 1), Buffer.alloc(4096)]));
    await expect(extractArchive(Readable.from([full.subarray(0, 40)]), join(work, 'cut'))).rejects.toMatchObject({
      code: 'ValidationError',
    });
  });
});
