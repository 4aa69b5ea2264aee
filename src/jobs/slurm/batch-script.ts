import { join } from 'node:path';
import type { ClusterJobRequest } from '../executor.js';

/**
 * sbatch's options for a job: N whole hosts allocated together (gang), one task per host with the
 * instance type's CPUs and memory, the time limit, no requeue by Slurm (Stratus resubmits itself,
 * so a retry gets a new Slurm job and restores its checkpoints), and the job's environment
 * exported as given.
 */
export function sbatchArgs(job: ClusterJobRequest, opts: { partition?: string; outputDir: string }): string[] {
  return [
    '--parsable',
    `--job-name=${job.name}`,
    `--nodes=${job.nodes}`,
    '--ntasks-per-node=1',
    `--cpus-per-task=${job.cpusPerNode}`,
    `--mem=${job.memoryMiBPerNode}`,
    `--time=${Math.max(1, Math.ceil(job.timeLimitSeconds / 60))}`,
    '--no-requeue',
    '--export=ALL',
    // The server's working folder need not exist on the hosts; the work folder must.
    `--chdir=${opts.outputDir}`,
    `--output=${join(opts.outputDir, 'stratus-slurm-%j.out')}`,
    ...(opts.partition ? [`--partition=${opts.partition}`] : []),
  ];
}

/** POSIX shell quoting. */
export const shellQuote = (s: string) => (/^[A-Za-z0-9_\/.,:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * The batch script (runs on the first host): collects every host's address from Slurm
 * (`STRATUS_HOST_ADDRS`, `node=addr,…` in node order), then starts the host runner once per host
 * with srun; one host's non-zero exit ends the others (`--kill-on-bad-exit`).
 */
export function batchScript(job: ClusterJobRequest): string {
  return [
    '#!/bin/sh',
    'STRATUS_HOST_ADDRS=""',
    'for n in $(scontrol show hostnames "$SLURM_JOB_NODELIST"); do',
    `  a=$(scontrol show node "$n" | sed -n 's/.*NodeAddr=\\([^ ]*\\).*/\\1/p')`,
    '  STRATUS_HOST_ADDRS="$STRATUS_HOST_ADDRS$n=$a,"',
    'done',
    'export STRATUS_HOST_ADDRS',
    `exec srun --kill-on-bad-exit=1 --ntasks-per-node=1 --cpus-per-task=${job.cpusPerNode} ${job.command.map(shellQuote).join(' ')}`,
    '',
  ].join('\n');
}
