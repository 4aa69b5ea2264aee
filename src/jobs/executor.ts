/** What a job process needs to start. */
export interface LaunchSpec {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Run as this OS user and group (the job user, when the server is root); absent: the server's. */
  uid?: number;
  gid?: number;
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

/** One multi-host job for a cluster scheduler: `command` runs once on each of `nodes` hosts, all allocated together. */
export interface ClusterJobRequest {
  name: string;
  nodes: number;
  cpusPerNode: number;
  memoryMiBPerNode: number;
  /** Wall-clock limit, rounded up to whole minutes by Slurm. */
  timeLimitSeconds: number;
  /** The per-host program and its arguments. */
  command: string[];
  /** The job's whole environment (nothing of the server's own environment is added). */
  env: Record<string, string>;
}

/** What the scheduler says about a job: its raw state (e.g. PENDING, RUNNING, NODE_FAIL), the reason, its nodes. */
export interface ClusterJobState {
  state: string;
  reason: string;
  nodes: string;
}

/**
 * The cluster side of the Executor seam (Slurm): the job's hosts build their own job folders
 * from the artifact store, so the server only submits, watches and cancels.
 */
export interface ClusterExecutor {
  readonly kind: string;
  submit(job: ClusterJobRequest): Promise<string>;
  /** Undefined when the scheduler no longer knows the job. */
  state(id: string): Promise<ClusterJobState | undefined>;
  cancel(id: string): Promise<void>;
  /** Which of a job's nodes (a Slurm node list such as `h[1-3]`) are down or not responding. */
  failedNodes(nodes: string): Promise<string[]>;
}
