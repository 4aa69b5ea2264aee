import { execFile } from 'node:child_process';

export interface SlurmCliCall {
  /** SLURM_CONF for the command; absent: Slurm's default. */
  conf?: string;
  /** Written to the command's stdin. */
  input?: string;
  /** Added to the environment (a job's, for sbatch --export=ALL). */
  env?: Record<string, string>;
  /** @defaultValue 30000 */
  timeoutMs?: number;
}

/**
 * Runs a Slurm client command (sbatch, squeue, sinfo, srun, …) in an environment built from
 * nothing (PATH, LANG, SLURM_CONF and `env`), so nothing of the server's own environment (its
 * token, database URL, cloud credentials) reaches a job through `--export=ALL`.
 * @returns stdout. @throws Error `<program> failed: <stderr>` on a non-zero exit or a timeout.
 */
export function runSlurmCli(program: string, args: string[], call: SlurmCliCall = {}): Promise<string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: process.env.LANG ?? 'C.UTF-8',
    ...(call.conf ? { SLURM_CONF: call.conf } : {}),
    ...call.env,
  };
  return new Promise((resolve, reject) => {
    const child = execFile(program, args, { env, timeout: call.timeoutMs ?? 30_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${program} failed: ${(stderr || err.message).trim()}`));
      else resolve(stdout);
    });
    if (call.input !== undefined) child.stdin?.end(call.input);
  });
}
