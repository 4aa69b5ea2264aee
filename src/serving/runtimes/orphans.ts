import { readdir, readlink } from 'node:fs/promises';
import { sep } from 'node:path';
import type { Logger } from '../../core/logger.js';

/**
 * Kills the process groups of model servers a previous run of this server left behind (it was
 * SIGKILLed, so its `container`/`python` replicas were never stopped). Such a process works in a
 * folder of this server's model cache, or of its sandboxed replica folders (`roots`); at startup
 * no replica of this run exists yet, so every process found there is an orphan. Returns how many
 * groups were signalled.
 */
export async function killOrphanReplicas(roots: readonly string[], log: Logger): Promise<number> {
  if (process.platform !== 'linux') return 0;
  const prefixes = roots.map((r) => (r.endsWith(sep) ? r : r + sep));
  const groups = new Set<number>();
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => undefined);
    if (cwd && prefixes.some((p) => (cwd + sep).startsWith(p))) groups.add(pid);
  }
  let killed = 0;
  for (const pid of groups) {
    try {
      // Replicas start detached, each leading its own group; fall back to the pid alone.
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        process.kill(pid, 'SIGKILL');
      }
      killed++;
    } catch {
      // Gone already, or not ours to signal.
    }
  }
  if (killed > 0) log.warn({ killed }, 'killed model server processes left by an earlier run');
  return killed;
}
