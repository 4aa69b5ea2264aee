import { describe, expect, it } from 'vitest';
import { batchScript, sbatchArgs, shellQuote } from './batch-script.js';
import { pendingMessage, slurmPhase } from './slurm-states.js';

describe('Slurm states', () => {
  it('maps Slurm job states to phases', () => {
    expect(slurmPhase('PENDING')).toEqual({ phase: 'waiting' });
    expect(slurmPhase('RUNNING')).toEqual({ phase: 'running' });
    expect(slurmPhase('COMPLETED')).toEqual({ phase: 'completed' });
    expect(slurmPhase('NODE_FAIL')).toEqual({ phase: 'node-failed' });
    expect(slurmPhase('CANCELLED')).toEqual({ phase: 'cancelled' });
    expect(slurmPhase('TIMEOUT')).toEqual({ phase: 'timeout' });
    expect(slurmPhase('OUT_OF_MEMORY')).toMatchObject({ phase: 'failed', reason: expect.stringMatching(/^OutOfMemory/) });
    expect(slurmPhase('FAILED', 'JobLaunchFailure')).toEqual({ phase: 'failed', reason: 'the Slurm job failed (JobLaunchFailure)' });
    expect(slurmPhase('WEIRD')).toMatchObject({ phase: 'failed' });
  });

  it('says why a job waits', () => {
    expect(pendingMessage(3, 'Resources')).toBe('Waiting for Slurm to allocate 3 host(s) together: Resources (not enough free hosts or resources yet)');
    expect(pendingMessage(1, '')).toBe('Waiting for Slurm to allocate 1 host(s) together: None');
  });
});

describe('sbatch', () => {
  const job = { name: 'stratus-j', nodes: 3, cpusPerNode: 2, memoryMiBPerNode: 8192, timeLimitSeconds: 61, command: ['/usr/bin/node', "a b'c"], env: {} };

  it('asks for N whole hosts together, the instance type per host, and the time limit in minutes', () => {
    const args = sbatchArgs(job, { outputDir: '/tmp', partition: 'gpu' });
    expect(args).toEqual(expect.arrayContaining(['--nodes=3', '--ntasks-per-node=1', '--cpus-per-task=2', '--mem=8192', '--time=2', '--no-requeue', '--partition=gpu', '--chdir=/tmp']));
  });

  it('runs the command once per host with srun, quoted', () => {
    expect(shellQuote("a b'c")).toBe(`'a b'\\''c'`);
    expect(batchScript(job)).toContain(`exec srun --kill-on-bad-exit=1 --ntasks-per-node=1 --cpus-per-task=2 /usr/bin/node 'a b'\\''c'`);
  });
});
