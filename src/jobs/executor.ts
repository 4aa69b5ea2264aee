/** What a job process needs to start. */
export interface LaunchSpec {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Called once per complete line of the process's stdout or stderr. */
  onLine(line: string, stream: 'stdout' | 'stderr'): void;
}

export interface ProcessExit {
  code: number | null;
  signal: string | null;
}

export interface RunningProcess {
  /** Handle kept in the metadata store so a restarted server can find (and clean up) the process. */
  readonly handle: Record<string, unknown>;
  readonly exited: Promise<ProcessExit>;
  /** Signals the whole process group. */
  kill(signal: NodeJS.Signals): void;
}

/** The Executor seam: where job processes run (local child processes now; Slurm later). */
export interface Executor {
  readonly capacity: { cpus: number; memoryMiB: number };
  launch(spec: LaunchSpec): RunningProcess;
  /** Ends a process left by an earlier server run, if it still exists; true when one was found. */
  killOrphan(handle: Record<string, unknown>, marker: string): Promise<boolean>;
}
