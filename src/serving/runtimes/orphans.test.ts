import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.js';
import { killOrphanReplicas } from './orphans.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(process.platform !== 'linux')('killOrphanReplicas', () => {
  let root = '';
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('kills the process groups working in the model cache, and nothing else', async () => {
    root = await mkdtemp(join(tmpdir(), 'orphans-'));
    const cache = join(root, 'model-cache');
    await mkdir(join(cache, 'm-1', 'code'), { recursive: true });
    const orphan = spawn('/bin/sh', ['-c', 'sleep 60 & wait'], { cwd: join(cache, 'm-1', 'code'), detached: true, stdio: 'ignore' });
    const bystander = spawn('sleep', ['60'], { cwd: root, detached: true, stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 200));
    const exited = new Promise((r) => orphan.once('exit', r));
    expect(await killOrphanReplicas([cache], createLogger({ level: 'silent' }))).toBeGreaterThanOrEqual(1);
    await exited;
    expect(alive(orphan.pid!)).toBe(false);
    expect(alive(bystander.pid!)).toBe(true);
    process.kill(-bystander.pid!, 'SIGKILL');
  });
});
