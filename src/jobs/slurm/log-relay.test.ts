import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../../artifacts/artifact-store.js';
import { openArtifactStore } from '../../artifacts/uri.js';
import { LogCollector, LogShipper } from './log-relay.js';

let dir: string;
let store: ArtifactStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'log-relay-'));
  store = openArtifactStore(pathToFileURL(dir).href);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function ship(host: string, chunks: string[][]) {
  const shipper = new LogShipper(store, `p/${host}`);
  for (const lines of chunks) {
    for (const l of lines) shipper.add(l);
    await shipper.flush();
  }
}

describe('host logs through the store', () => {
  it('hands on every line of every host once, in order per host', async () => {
    await ship('algo-1', [['a1', 'a2'], ['a3']]);
    await ship('algo-2', [['b1']]);
    const got: string[] = [];
    const collector = new LogCollector(store, 'p', (h, l) => got.push(`${h}:${l}`));
    await collector.poll();
    await collector.poll();
    expect(got).toEqual(['algo-1:a1', 'algo-1:a2', 'algo-1:a3', 'algo-2:b1']);
  });

  it('skips the lines a resumed watch already has, across chunk boundaries', async () => {
    await ship('algo-1', [['a1', 'a2'], ['a3', 'a4']]);
    await ship('algo-2', [['b1', 'b2']]);
    const got: string[] = [];
    const collector = new LogCollector(store, 'p', (h, l) => got.push(`${h}:${l}`), new Map([['algo-1', 3], ['algo-2', 2]]));
    await collector.poll();
    expect(got).toEqual(['algo-1:a4']);
  });
});
