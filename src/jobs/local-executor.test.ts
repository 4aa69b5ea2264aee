import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalExecutor } from './local-executor.js';

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));

async function gone(pid: number, ms = 3000) {
  const deadline = Date.now() + ms;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return !alive(pid);
}

describe('LocalExecutor', () => {
  it('kills what a job left running in its process group when the job exits', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'exec-'));
    const lines: string[] = [];
    const proc = new LocalExecutor({ cpus: 1, memoryMiB: 100 }).launch({
      command: '/bin/sh',
      args: ['-c', 'sleep 300 >/dev/null 2>&1 & echo "child=$!"; exit 0'],
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      onLine: (l) => lines.push(l),
    });
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    const child = Number(/child=(\d+)/.exec(lines.join('\n'))?.[1]);
    expect(child).toBeGreaterThan(1);
    expect(await gone(child)).toBe(true);
  });

  it('stops the whole group: a child that ignores SIGTERM dies by SIGKILL', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'exec-'));
    const lines: string[] = [];
    const proc = new LocalExecutor({ cpus: 1, memoryMiB: 100 }).launch({
      command: '/bin/sh',
      args: ['-c', `sh -c 'trap "" TERM; sleep 300' & echo "child=$!"; wait`],
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      onLine: (l) => lines.push(l),
    });
    while (!lines.some((l) => l.startsWith('child='))) await new Promise((r) => setTimeout(r, 10));
    const child = Number(/child=(\d+)/.exec(lines.join('\n'))?.[1]);
    proc.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    expect(alive(child)).toBe(true); // it ignores SIGTERM
    proc.kill('SIGKILL');
    await proc.exited;
    expect(await gone(child)).toBe(true);
  });

  it('ends an orphan working in the job folder or below it, and nothing else', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'exec-'));
    const executor = new LocalExecutor({ cpus: 1, memoryMiB: 100 });
    const code = join(folder, 'code');
    mkdirSync(code);
    const proc = executor.launch({ command: '/bin/sh', args: ['-c', 'sleep 300'], cwd: code, env: {}, onLine: () => undefined });
    const pid = Number(proc.handle.pid);
    expect(await executor.killOrphan(proc.handle, `${folder}-other`)).toBe(false);
    expect(alive(pid)).toBe(true);
    expect(await executor.killOrphan(proc.handle, folder)).toBe(true);
    await proc.exited;
    expect(await gone(pid)).toBe(true);
  });
});
