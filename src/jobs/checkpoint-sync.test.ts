import { mkdtempSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../artifacts/local/local-artifact-store.js';
import { CheckpointSync } from './checkpoint-sync.js';

async function keys(store: LocalArtifactStore, prefix: string) {
  const out: string[] = [];
  for await (const i of store.list(prefix)) out.push(i.key);
  return out;
}

describe('CheckpointSync', () => {
  it('uploads new and changed files, mirrors deletions, and restores into a fresh folder', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ckpt-'));
    const store = new LocalArtifactStore(join(root, 'store'));
    const errors: string[] = [];
    const a = new CheckpointSync(store, join(root, 'job-a'), 'checkpoints/j', (m) => errors.push(m));
    expect(await a.restore()).toBe(0);
    await writeFile(join(a.dir, 'epoch-1.pt'), 'one');
    await mkdir(join(a.dir, 'sub'));
    await writeFile(join(a.dir, 'sub', 'state.json'), '{"epoch":1}');
    await a.sync();
    expect(await keys(store, 'checkpoints/j')).toEqual(['checkpoints/j/epoch-1.pt', 'checkpoints/j/sub/state.json']);

    await writeFile(join(a.dir, 'sub', 'state.json'), '{"epoch":2}');
    await writeFile(join(a.dir, 'epoch-2.pt'), 'two');
    await rm(join(a.dir, 'epoch-1.pt'));
    await a.stop();
    expect(await keys(store, 'checkpoints/j')).toEqual(['checkpoints/j/epoch-2.pt', 'checkpoints/j/sub/state.json']);
    expect((await store.getBytes('checkpoints/j/sub/state.json')).toString()).toBe('{"epoch":2}');

    const b = new CheckpointSync(store, join(root, 'job-b'), 'checkpoints/j', (m) => errors.push(m));
    expect(await b.restore()).toBe(2);
    expect(readFileSync(join(b.dir, 'sub', 'state.json'), 'utf8')).toBe('{"epoch":2}');
    await b.stop(); // nothing changed: nothing is uploaded or deleted
    expect(await keys(store, 'checkpoints/j')).toHaveLength(2);
    expect(errors).toEqual([]);
  });
});
