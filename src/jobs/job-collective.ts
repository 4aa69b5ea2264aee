/**
 * The collective of a multi-instance job's training process: its hosts from the job contract
 * (`input/config/resourceconfig.json`: `hosts`, `current_host`, and Stratus's `host_addresses`),
 * the port from the Slurm executor (`STRATUS_COLLECTIVE_PORT`, chosen at random per attempt),
 * the job's name to tell its hosts from strays.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Collective } from '../algorithms/distributed/collective.js';
import { connectCollective } from '../algorithms/distributed/tcp-collective.js';

/** The training process's environment variable carrying the collective's port (a Stratus addition to the contract). */
export const COLLECTIVE_PORT_ENV = 'STRATUS_COLLECTIVE_PORT';

/** How long a host waits for the others to join: they start training after downloading their shares, not at once. */
export const JOIN_TIMEOUT_MS = 300_000;

export interface JobHosts {
  hosts: string[];
  currentHost: string;
  hostAddresses?: Record<string, string>;
}

/** The hosts of the job from resourceconfig.json. */
export async function readJobHosts(configDir: string): Promise<JobHosts> {
  const rc = JSON.parse(await readFile(join(configDir, 'resourceconfig.json'), 'utf8')) as { hosts?: string[]; current_host?: string; host_addresses?: Record<string, string> };
  const hosts = rc.hosts ?? ['algo-1'];
  return { hosts, currentHost: rc.current_host ?? hosts[0], ...(rc.host_addresses ? { hostAddresses: rc.host_addresses } : {}) };
}

/**
 * Joins the job's other hosts.
 * @throws Error when the contract lacks the addresses or the port (a multi-host job started by
 *   something other than the Slurm executor), or when the hosts do not all join in time.
 */
export async function connectJobCollective(placement: JobHosts, env: NodeJS.ProcessEnv, timeoutMs = JOIN_TIMEOUT_MS): Promise<Collective> {
  const port = Number(env[COLLECTIVE_PORT_ENV]);
  if (!placement.hostAddresses) throw new Error('data-parallel training needs host_addresses in resourceconfig.json (the Slurm executor writes them)');
  if (!Number.isInteger(port) || port <= 0) throw new Error(`data-parallel training needs ${COLLECTIVE_PORT_ENV} (the Slurm executor sets it)`);
  return connectCollective({ ...placement, hostAddresses: placement.hostAddresses, port, timeoutMs, group: env.TRAINING_JOB_NAME ?? '' });
}
