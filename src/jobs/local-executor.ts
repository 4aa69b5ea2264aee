import { spawn } from 'node:child_process';
import { readlink } from 'node:fs/promises';
import type { Executor, LaunchSpec, ProcessExit, RunningProcess } from './executor.js';
import { LineSplitter } from './line-splitter.js';

/**
 * Runs each job as a child process in its own process group on this machine, so a crashing job
 * cannot take the server down and a stop reaches every process the job started. When the job's
 * process ends, any process still in its group is killed.
 */
export class LocalExecutor implements Executor {
  constructor(readonly capacity: { cpus: number; memoryMiB: number }) {}

  launch(spec: LaunchSpec): RunningProcess {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      ...(spec.uid !== undefined ? { uid: spec.uid } : {}),
      ...(spec.gid !== undefined ? { gid: spec.gid } : {}),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = new LineSplitter((l) => spec.onLine(l, 'stdout'));
    const err = new LineSplitter((l) => spec.onLine(l, 'stderr'));
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const exited = new Promise<ProcessExit>((resolve) => {
      child.on('error', (e) => {
        spec.onLine(`failed to start ${spec.command}: ${e.message}`, 'stderr');
        resolve({ code: 127, signal: null });
      });
      child.on('close', (code, signal) => {
        out.end();
        err.end();
        // Whatever the job left behind in its process group (a background child, a data loader
        // worker) ends with it. A process that left the group (setsid) is out of reach here.
        signalGroup(child.pid, 'SIGKILL');
        resolve({ code, signal });
      });
    });
    const pid = child.pid;
    return {
      handle: { executor: 'local', pid },
      exited,
      kill: (signal) => signalGroup(pid, signal),
    };
  }

  async killOrphan(handle: Record<string, unknown>, marker: string): Promise<boolean> {
    const pid = Number(handle.pid);
    if (handle.executor !== 'local' || !Number.isInteger(pid) || pid <= 1) return false;
    // The pid may have been reused since: only a process still working in the job's folder (or
    // below it, as a script in code/) is ours.
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => undefined);
    if (cwd === undefined || (cwd !== marker && !cwd.startsWith(`${marker}/`))) return false;
    signalGroup(pid, 'SIGKILL');
    return true;
  }
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals) {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}
