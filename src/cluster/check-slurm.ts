import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { StratusConfig } from '../core/config.js';
import { runSlurmCli } from '../jobs/slurm/slurm-cli.js';
import { nodeCounts, readSlurmCluster, type SlurmClusterView, type SlurmNodeState } from '../jobs/slurm/slurm-status.js';
import type { CheckResult } from './cluster-check.js';

/** What a Slurm host needs to run a job's host runner: the same paths as on the server (docs/cluster.md). */
export function hostRunnerFiles(): { node: string; bootstrap: string; runner: string; tsx: string } {
  return {
    node: process.execPath,
    bootstrap: fileURLToPath(new URL('../core/tsx-bootstrap.mjs', import.meta.url)),
    runner: fileURLToPath(new URL('../jobs/slurm/host-runner.ts', import.meta.url)),
    tsx: createRequire(import.meta.url).resolve('tsx/esm/api'),
  };
}

const MIN_NODE_MAJOR = 20;
/** The Slurm CLI's messages run over several lines; a check's detail is one. */
const oneLine = (e: unknown) => (e as Error).message.replace(/\s*\n\s*/g, '; ');
/** Hosts probed at most (one srun step each). */
const MAX_PROBED_HOSTS = 64;
const SLURM_FIX = 'install the Slurm client and munge here, with the cluster’s slurm.conf and munge.key (or set STRATUS_SLURM_CONF); `sinfo` must work as the server’s user';

/** The local executor needs nothing; the Slurm one needs a CLI that answers and a partition with nodes up. */
export async function checkExecutor(config: StratusConfig, opts: { hostProbe: boolean; timeoutMs: number }): Promise<CheckResult[]> {
  if (config.executor.kind === 'local') {
    return [{ check: 'executor', status: 'pass', detail: `local: jobs run on the leader node, ${config.executor.cpus} CPUs and ${config.executor.memoryMiB} MiB for jobs and replicas` }];
  }
  const conf = config.slurm.conf;
  // The Slurm CLI retries a missing slurm.conf for a minute before it gives up.
  if (conf && !existsSync(conf)) return [{ check: 'executor', status: 'fail', detail: `slurm: STRATUS_SLURM_CONF ${conf} does not exist`, fix: SLURM_FIX }];
  let view: SlurmClusterView;
  try {
    view = await readSlurmCluster({ ...(conf ? { conf } : {}), timeoutMs: opts.timeoutMs });
  } catch (e) {
    return [{ check: 'executor', status: 'fail', detail: `slurm: ${oneLine(e)}`, fix: SLURM_FIX }];
  }
  const partition = config.slurm.partition ?? view.partitions.find((p) => p.default)?.name;
  const names = view.partitions.map((p) => p.name).join(', ') || 'none';
  if (!partition) return [{ check: 'executor', status: 'fail', detail: `slurm: the cluster has no default partition (partitions: ${names})`, fix: 'set STRATUS_SLURM_PARTITION' }];
  if (!view.partitions.some((p) => p.name === partition)) {
    return [{ check: 'executor', status: 'fail', detail: `slurm: partition '${partition}' does not exist (partitions: ${names})`, fix: 'fix STRATUS_SLURM_PARTITION' }];
  }
  const result = partitionResult(view, partition, config.slurm.partition === undefined);
  if (result.status === 'fail' || !opts.hostProbe) return [result];
  const idle = view.nodes.filter((n) => n.partitions.includes(partition) && n.state.startsWith('idle') && !n.state.endsWith('*'));
  return [result, await probeHosts(config, partition, idle, opts.timeoutMs)];
}

function partitionResult(view: SlurmClusterView, partition: string, isDefault: boolean): CheckResult {
  const { total, up, idle } = nodeCounts(view.nodes, partition);
  const stratusJobs = view.queue.filter((j) => j.stratusJob).length;
  const detail = `${view.version}, partition ${partition}${isDefault ? ' (the default)' : ''}: ${total} node(s), ${up} up, ${idle} idle; ` +
    `${view.queueTotal} job(s) in the queue (${stratusJobs} of Stratus)`;
  const down = view.nodes.filter((n) => n.partitions.includes(partition) && nodeCounts([n]).up === 0);
  const why = down.slice(0, 5).map((n) => `${n.name} ${n.state}${n.reason ? ` (${n.reason})` : ''}`).join(', ');
  if (up === 0) {
    return { check: 'executor', status: 'fail', detail: `slurm: ${detail}: ${why || 'no nodes'}`, fix: 'start slurmd on the hosts; after fixing a node, scontrol update nodename=<node> state=resume' };
  }
  if (down.length > 0) return { check: 'executor', status: 'warn', detail: `slurm: ${detail}; not taking jobs: ${why}`, fix: 'scontrol update nodename=<node> state=resume once a node is fixed' };
  if (idle === 0) return { check: 'executor', status: 'warn', detail: `slurm: ${detail}; no idle node: new jobs wait`, fix: 'nothing, if the cluster is busy on purpose' };
  return { check: 'executor', status: 'pass', detail: `slurm: ${detail}` };
}

/**
 * Runs one short step on each idle host (srun, at most {@link MAX_PROBED_HOSTS}) that looks for
 * what the host runner needs at the server's paths: Node ≥ 20, the Stratus checkout with tsx, the
 * work folder (writable by the job's user), and the configured Python.
 */
async function probeHosts(config: StratusConfig, partition: string, idle: SlurmNodeState[], timeoutMs: number): Promise<CheckResult> {
  if (idle.length === 0) return { check: 'slurm hosts', status: 'warn', detail: 'no idle host to probe', fix: 'run the check again when hosts are idle, or skip it with --no-host-probe' };
  const f = hostRunnerFiles();
  const hosts = idle.slice(0, MAX_PROBED_HOSTS).map((n) => n.name);
  const script = [
    'h=${SLURMD_NODENAME:-$(hostname)}',
    'for f in "$1" "$2" "$3" "$4"; do [ -e "$f" ] || echo "$h|missing|$f"; done',
    '[ -d "$5" ] && [ -w "$5" ] || echo "$h|workdir|$5"',
    '[ -x "$6" ] || echo "$h|python|$6"',
    'echo "$h|node|$("$1" --version 2>/dev/null)"',
  ].join('\n');
  let out: string;
  try {
    out = await runSlurmCli('srun', [
      `--nodes=${hosts.length}`, `--nodelist=${hosts.join(',')}`, '--ntasks-per-node=1', '--cpus-per-task=1', '--mem=64', '--time=1',
      `--immediate=${Math.max(1, Math.round(timeoutMs / 2000))}`, `--partition=${partition}`, '--chdir=/', '--job-name=check.stratus',
      '/bin/sh', '-c', script, 'sh', f.node, f.bootstrap, f.runner, f.tsx, config.slurm.workDir, config.python,
    ], { ...(config.slurm.conf ? { conf: config.slurm.conf } : {}), timeoutMs });
  } catch (e) {
    return { check: 'slurm hosts', status: 'warn', detail: `could not run a probe step on ${hosts.join(', ')}: ${oneLine(e)}`, fix: 'check that srun works from this machine as the server’s user, or skip the probe with --no-host-probe' };
  }
  return hostResult(parseProbe(out), hosts, config);
}

interface HostReport {
  missing: string[];
  workDir: boolean;
  python: boolean;
  node: string;
}

function parseProbe(out: string): Map<string, HostReport> {
  const hosts = new Map<string, HostReport>();
  for (const line of out.split('\n')) {
    const [host, what, ...rest] = line.trim().split('|');
    if (!host || !what) continue;
    const r = hosts.get(host) ?? { missing: [], workDir: true, python: true, node: '' };
    hosts.set(host, r);
    const value = rest.join('|');
    if (what === 'missing') r.missing.push(value);
    if (what === 'workdir') r.workDir = false;
    if (what === 'python') r.python = false;
    if (what === 'node') r.node = value;
  }
  return hosts;
}

function hostResult(reports: Map<string, HostReport>, hosts: string[], config: StratusConfig): CheckResult {
  // Problem → hosts, so that one missing file on every host is one line.
  const problems = new Map<string, string[]>();
  const warnings = new Map<string, string[]>();
  const fixes = new Set<string>();
  const add = (into: Map<string, string[]>, what: string, host: string) => into.set(what, [...(into.get(what) ?? []), host]);
  for (const host of hosts) {
    const r = reports.get(host);
    if (!r) {
      add(problems, 'no answer from the probe', host);
      continue;
    }
    for (const file of r.missing) add(problems, `missing ${file}`, host);
    if (r.missing.length > 0) fixes.add(`install Node ≥ ${MIN_NODE_MAJOR} and this Stratus checkout (with node_modules) at the same paths as here on every host`);
    else if (!nodeVersionOk(r.node)) {
      add(problems, `${process.execPath} is Node ${r.node || '(none)'}, need ≥ ${MIN_NODE_MAJOR}`, host);
      fixes.add(`install Node ≥ ${MIN_NODE_MAJOR} at ${process.execPath}`);
    }
    if (!r.workDir) {
      add(problems, `slurmWorkDir ${config.slurm.workDir} is missing or not writable`, host);
      fixes.add(`create ${config.slurm.workDir} on every host (node-local disk), writable by the user jobs run as`);
    }
    if (!r.python) add(warnings, `no ${config.python} (script jobs need it)`, host);
  }
  const lines = (m: Map<string, string[]>) => [...m].map(([what, on]) => `${on.length === hosts.length && hosts.length > 1 ? 'every host' : on.join(', ')}: ${what}`);
  const probed = `${hosts.length} idle host(s) (${hosts.join(', ')})`;
  if (problems.size > 0) {
    return { check: 'slurm hosts', status: 'fail', detail: `${probed}: ${[...lines(problems), ...lines(warnings)].join('; ')}`, fix: [...fixes].join('; ') || 'check slurmd and the probe step’s output on those hosts' };
  }
  if (warnings.size > 0) return { check: 'slurm hosts', status: 'warn', detail: `${probed}: ${lines(warnings).join('; ')}`, fix: 'install Python at STRATUS_PYTHON’s path on every host (built-in algorithms do not need it)' };
  return { check: 'slurm hosts', status: 'pass', detail: `${probed}: Node, the host runner and ${config.slurm.workDir} in place` };
}

function nodeVersionOk(version: string): boolean {
  const major = Number(/^v(\d+)\./.exec(version)?.[1]);
  return Number.isInteger(major) && major >= MIN_NODE_MAJOR;
}
