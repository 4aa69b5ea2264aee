import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, waitFor } from '../../test/helpers/server.js';
import type { ArtifactStore, OrphanSweep } from './artifact-store.js';
import { LocalArtifactStore } from './local/local-artifact-store.js';
import { OrphanSweeper } from './orphan-sweeper.js';

const HOUR = 3600_000;
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function capturingLog() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info', base: undefined }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, lines };
}

function manualClock(start: number) {
  let now = start;
  return { now: () => new Date(now), advance: (ms: number) => (now += ms) };
}

async function storeWithTempFiles(ages: Record<string, number>): Promise<{ store: LocalArtifactStore; tmp: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-sweep-'));
  dirs.push(dir);
  const tmp = join(dir, '.tmp');
  await mkdir(tmp);
  for (const [name, ageMs] of Object.entries(ages)) {
    await writeFile(join(tmp, name), 'x');
    const at = new Date(Date.now() - ageMs);
    await utimes(join(tmp, name), at, at);
  }
  return { store: new LocalArtifactStore(dir), tmp };
}

describe('OrphanSweeper', () => {
  it('removes orphans past the maximum age and logs them', async () => {
    const { store, tmp } = await storeWithTempFiles({ 'old.part': 25 * HOUR, 'young.part': 23 * HOUR });
    const { log, lines } = capturingLog();
    await new OrphanSweeper({ artifacts: store, log }).sweep();
    expect(await readdir(tmp)).toEqual(['young.part']);
    expect(lines).toEqual([expect.objectContaining({ level: 30, removed: ['old.part'], store: store.rootUri, msg: 'removed 1 orphaned artifact write(s)' })]);
  });

  it('runs at most once per interval, and at once when started', async () => {
    const calls: Date[] = [];
    const store = { rootUri: 'file:///x/', sweepOrphans: async (d: Date): Promise<OrphanSweep> => (calls.push(d), { removed: [] }) } as unknown as ArtifactStore;
    const clock = manualClock(Date.UTC(2026, 0, 2));
    const sweeper = new OrphanSweeper({ artifacts: store, log: capturingLog().log, clock, intervalMs: HOUR, maxAgeMs: 24 * HOUR });
    sweeper.start();
    await sweeper.close();
    expect(calls).toEqual([new Date(Date.UTC(2026, 0, 1))]);
    clock.advance(HOUR - 1);
    sweeper.runIfDue();
    await sweeper.close();
    expect(calls).toHaveLength(1);
    clock.advance(1);
    sweeper.runIfDue();
    await sweeper.close();
    expect(calls).toHaveLength(2);
  });

  it('warns once when the store cannot sweep, and logs failures without throwing', async () => {
    let result: () => Promise<OrphanSweep> = async () => ({ removed: [], skipped: 'the S3 service does not implement ListMultipartUploads (NotImplemented)' });
    const store = { rootUri: 's3://b/p/', sweepOrphans: () => result() } as unknown as ArtifactStore;
    const { log, lines } = capturingLog();
    const sweeper = new OrphanSweeper({ artifacts: store, log });
    await sweeper.sweep();
    await sweeper.sweep();
    expect(lines).toEqual([expect.objectContaining({ level: 40, reason: expect.stringContaining('ListMultipartUploads'), msg: expect.stringContaining('skipping') })]);
    result = () => Promise.reject(new Error('bucket unreachable'));
    await expect(sweeper.sweep()).resolves.toBeUndefined();
    expect(lines[1]).toMatchObject({ level: 40, err: expect.objectContaining({ message: 'bucket unreachable' }) });
  });
});

describe('a starting server', () => {
  it('sweeps its artifact store\'s old temp files', async () => {
    const { store, tmp } = await storeWithTempFiles({ 'killed.part': 30 * HOUR, 'recent.part': HOUR });
    const server = await startTestServer({ artifactUrl: store.rootUri });
    try {
      const left = await waitFor(() => readdir(tmp), (names) => !names.includes('killed.part'), 10_000, 20);
      expect(left).toEqual(['recent.part']);
    } finally {
      await server.stop();
    }
  });
});
