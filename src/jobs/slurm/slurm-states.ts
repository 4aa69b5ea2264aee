/**
 * Slurm job states (squeue %T / sacct State) as Stratus sees them. `waiting`: not placed yet;
 * `running`; the rest are final.
 */
export type SlurmPhase =
  | { phase: 'waiting' }
  | { phase: 'running' }
  | { phase: 'completed' }
  | { phase: 'failed'; reason: string }
  | { phase: 'node-failed' }
  | { phase: 'cancelled' }
  | { phase: 'timeout' };

export function slurmPhase(state: string, reason = ''): SlurmPhase {
  switch (state) {
    case 'PENDING':
    case 'CONFIGURING':
    case 'REQUEUED':
    case 'REQUEUE_HOLD':
    case 'REQUEUE_FED':
    case 'RESV_DEL_HOLD':
    case 'SUSPENDED':
    case 'STOPPED':
      return { phase: 'waiting' };
    case 'RUNNING':
    case 'COMPLETING':
    case 'SIGNALING':
    case 'STAGE_OUT':
    case 'RESIZING':
      return { phase: 'running' };
    case 'COMPLETED':
      return { phase: 'completed' };
    case 'NODE_FAIL':
      return { phase: 'node-failed' };
    case 'CANCELLED':
    case 'PREEMPTED':
    case 'DEADLINE':
      return { phase: 'cancelled' };
    case 'TIMEOUT':
      return { phase: 'timeout' };
    case 'OUT_OF_MEMORY':
      return { phase: 'failed', reason: 'OutOfMemory: Slurm ended the job for using more memory than its instance type has (--mem)' };
    case 'BOOT_FAIL':
      return { phase: 'failed', reason: 'Slurm could not boot the nodes of the job (BOOT_FAIL)' };
    case 'FAILED':
      return { phase: 'failed', reason: `the Slurm job failed${reason && reason !== 'NonZeroExitCode' ? ` (${reason})` : ''}` };
    default:
      return { phase: 'failed', reason: `the Slurm job ended in state ${state || 'unknown'}${reason ? ` (${reason})` : ''}` };
  }
}

/** squeue's pending reasons in words, for the job's status message. */
export function pendingMessage(nodes: number, reason: string): string {
  const why: Record<string, string> = {
    Resources: 'not enough free hosts or resources yet',
    Priority: 'jobs of higher priority are queued first',
    ReqNodeNotAvail: 'a requested host is not available (down or drained)',
    PartitionNodeLimit: 'the partition has fewer hosts than the job needs',
    BeginTime: 'its start time has not come (requeued)',
  };
  const r = reason || 'None';
  return `Waiting for Slurm to allocate ${nodes} host(s) together: ${r}${why[r.split(',')[0]] ? ` (${why[r.split(',')[0]]})` : ''}`;
}
