import { lookup } from 'node:dns/promises';
import type { StratusConfig } from '../core/config.js';
import { checkArtifacts } from './check-artifacts.js';
import { checkMetadata } from './check-metadata.js';
import { checkExecutor } from './check-slurm.js';

export type CheckStatus = 'pass' | 'warn' | 'fail';

/** One verdict of `stratus cluster check`: what was checked, what was found, and how to fix a failure. */
export interface CheckResult {
  check: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

export interface ClusterCheckOptions {
  /** Run a step on each idle Slurm host to look for Node, the checkout and the work folder. @defaultValue true */
  hostProbe?: boolean;
  /** Deadline of each check that talks to a service. @defaultValue 20000 */
  timeoutMs?: number;
}

/**
 * Checks each role's settings from this machine without a running server, reading the
 * configuration as `stratus server` does: the metadata store (reachable, migrations), the sealing
 * key (configured in cluster mode, opens the stored keys), the artifact store (a probe object),
 * the executor (Slurm answers, nodes up, the hosts have what a job needs) and the URL jobs call.
 * Changes nothing but the probe object (deleted again) and, with the host probe, one short Slurm job.
 */
export async function checkCluster(config: StratusConfig, opts: ClusterCheckOptions = {}): Promise<CheckResult[]> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const [metadata, artifacts, executor, apiUrl] = await Promise.all([
    checkMetadata(config),
    checkArtifacts(config, timeoutMs),
    checkExecutor(config, { hostProbe: opts.hostProbe ?? true, timeoutMs }),
    checkApiUrl(config, Math.min(timeoutMs, 5_000)),
  ]);
  return [rolesOf(config), ...metadata, artifacts, ...executor, apiUrl];
}

function rolesOf(config: StratusConfig): CheckResult {
  const postgres = /^postgres(ql)?:\/\//.test(config.databaseUrl);
  const s3 = config.artifactUrl.startsWith('s3:');
  const roles = `metadata ${postgres ? 'PostgreSQL (cluster mode: several API nodes)' : 'SQLite (one node)'}, artifacts ${s3 ? 'S3' : 'a local folder'}, executor ${config.executor.kind}`;
  return { check: 'configuration', status: 'pass', detail: `${roles}; data folder ${config.home}` };
}

const isLoopback = (host: string) => host === 'localhost' || /^127\./.test(host) || host === '[::1]' || host === '::1';

/**
 * The URL jobs get as STRATUS_API_URL: the advertised URL, else where this node listens. Slurm
 * hosts are other machines, so for them it must name an address they reach (a load balancer's).
 */
export async function checkApiUrl(config: StratusConfig, timeoutMs: number): Promise<CheckResult> {
  const slurm = config.executor.kind === 'slurm';
  const wildcard = config.host === '0.0.0.0' || config.host === '::';
  const listen = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  const url = config.advertisedUrl ?? (wildcard ? `http://127.0.0.1:${config.port}` : listen);
  const host = new URL(url).hostname;
  const fix = 'set STRATUS_ADVERTISED_URL to the URL the Slurm hosts reach the API at: the load balancer’s, e.g. http://stratus.internal:8080';
  if (slurm && isLoopback(host)) {
    return { check: 'api url', status: 'fail', detail: `jobs on Slurm hosts would call the API at ${url}: each host itself`, fix };
  }
  try {
    await lookup(host.replace(/^\[|\]$/g, ''));
  } catch (e) {
    return { check: 'api url', status: 'fail', detail: `${url}: ${host} does not resolve here (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, fix: 'fix STRATUS_ADVERTISED_URL, or the DNS name' };
  }
  const { answer, foreign } = await healthOf(url, timeoutMs);
  if (foreign) return { check: 'api url', status: 'warn', detail: `jobs call the API at ${url}, which ${answer}`, fix: 'STRATUS_ADVERTISED_URL must name the Stratus nodes (or their load balancer)' };
  if (!config.advertisedUrl && slurm) {
    return { check: 'api url', status: 'warn', detail: `jobs call this node at ${url} (${answer}); a job outlives its node, so name one address every node answers`, fix };
  }
  return { check: 'api url', status: 'pass', detail: `jobs call the API at ${url}${config.advertisedUrl ? ' (STRATUS_ADVERTISED_URL)' : ''}: ${answer}` };
}

/** What `<url>/health` says, in words; no answer is expected before the first node starts. */
async function healthOf(url: string, timeoutMs: number): Promise<{ answer: string; foreign: boolean }> {
  let res: Response;
  try {
    res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch {
    return { answer: 'no server answers there yet (expected before the first node starts)', foreign: false };
  }
  const body = (await res.json().catch(() => ({}))) as { status?: string; node?: string; leader?: boolean };
  if (res.status === 503 && body.status === 'starting') return { answer: 'a node answers, still starting', foreign: false };
  if (!res.ok || typeof body.node !== 'string') return { answer: `answers HTTP ${res.status} on /health, not as a Stratus node`, foreign: true };
  return { answer: `answered by node ${body.node}${body.leader ? ' (the leader)' : ''}`, foreign: false };
}
