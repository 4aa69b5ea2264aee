import type { ClusterExecutor, ClusterJobRequest, ClusterJobState } from '../executor.js';
import { batchScript, sbatchArgs } from './batch-script.js';
import { runSlurmCli } from './slurm-cli.js';

export interface SlurmCliOptions {
  /** SLURM_CONF for the CLI; absent: Slurm's default. */
  conf?: string;
  partition?: string;
  /** Where Slurm writes a job's own messages (srun errors), on the job's first host. */
  outputDir: string;
}

/**
 * The Slurm executor over the Slurm CLI (`sbatch --parsable`, `squeue`, `scancel`, `sinfo`):
 * every command gets an environment built from nothing (PATH, LANG, SLURM_CONF), so nothing of
 * the server's own (its token, database URL) reaches a job through `sbatch --export=ALL`.
 */
export class SlurmExecutor implements ClusterExecutor {
  readonly kind = 'slurm';

  constructor(private readonly opts: SlurmCliOptions) {}

  async submit(job: ClusterJobRequest): Promise<string> {
    const args = sbatchArgs(job, { partition: this.opts.partition, outputDir: this.opts.outputDir });
    const out = await this.#cli('sbatch', args, { input: batchScript(job), env: job.env });
    const id = out.trim().split(';')[0];
    if (!/^\d+$/.test(id)) throw new Error(`sbatch printed no job id: ${out.trim()}`);
    return id;
  }

  async state(id: string): Promise<ClusterJobState | undefined> {
    // squeue shows finished jobs too (-t all) for MinJobAge seconds; sacct is the fallback after.
    const q = await this.#cli('squeue', ['-h', '-t', 'all', '-j', id, '-o', '%T|%r|%N']).catch(() => '');
    const line = q.split('\n').find((l) => l.includes('|'));
    if (line) return parse(line);
    const a = await this.#cli('sacct', ['-n', '-P', '-X', '-j', id, '-o', 'State,Reason,NodeList']).catch(() => '');
    const row = a.split('\n').find((l) => l.includes('|'));
    return row ? parse(row) : undefined;
  }

  async cancel(id: string): Promise<void> {
    await this.#cli('scancel', [id]);
  }

  async failedNodes(nodes: string): Promise<string[]> {
    if (!nodes) return [];
    const out = await this.#cli('sinfo', ['-h', '-N', '-n', nodes, '-o', '%N|%t']).catch(() => '');
    const failed = new Set<string>();
    for (const l of out.split('\n')) {
      const [node, state] = l.trim().split('|');
      // down, fail(ing), or '*': not responding.
      if (node && state && /down|fail|\*/.test(state)) failed.add(node);
    }
    return [...failed];
  }

  #cli(program: string, args: string[], extra: { input?: string; env?: Record<string, string> } = {}): Promise<string> {
    return runSlurmCli(program, args, { ...extra, ...(this.opts.conf ? { conf: this.opts.conf } : {}) });
  }
}

function parse(line: string): ClusterJobState {
  const [state = '', reason = '', nodes = ''] = line.trim().split('|');
  // sacct writes e.g. "CANCELLED by 0".
  return { state: state.split(' ')[0], reason: reason === 'None' ? '' : reason, nodes: nodes === 'None assigned' ? '' : nodes };
}
