import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { ClusterNode, ExecutorStatus, SlurmView } from '../../sdk/index.js';
import type { ContextOf } from '../context.js';
import { CliError } from '../errors.js';
import { formatTime, listTable, section, table } from '../format.js';
import { positiveInt } from '../parse.js';

interface CheckFlags {
  home?: string;
  databaseUrl?: string;
  artifactUrl?: string;
  config?: string;
  sealingKeyFile?: string;
  hostProbe: boolean;
  timeout?: number;
}

/** A verdict as `cluster check` prints it (the type lives with the server-side checks). */
interface CheckResult {
  check: string;
  status: 'pass' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

/** What `stratus cluster status` prints. */
export interface ClusterStatus {
  nodes: ClusterNode[];
  executor: ExecutorStatus;
}

/** `stratus cluster status|check`. */
export function registerCluster(program: Command, ctxOf: ContextOf): void {
  const cluster = program.command('cluster').description('the API nodes, the executor, and a check of each role’s settings (docs/cluster.md)');

  cluster
    .command('status')
    .description('the live API nodes (leader, heartbeat, jobs) and the executor as the server sees it (Slurm: partitions, nodes, queue); admin key')
    .action(async (_flags: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const [nodes, executor] = await Promise.all([ctx.client.cluster.nodes(), ctx.client.cluster.executor()]);
      const status: ClusterStatus = { nodes: nodes.items, executor };
      ctx.output(status, (s) => renderStatus(s, Date.now()));
      for (const w of statusWarnings(status)) ctx.info(`warning: ${w}`);
    });

  cluster
    .command('check')
    .description('check this machine’s configuration of each role, without a server: metadata store, sealing key, artifact store, executor, API URL; exits 1 when a check fails')
    .option('--home <dir>', 'data folder (default: $STRATUS_HOME or ./.stratus)')
    .option('--database-url <url>', 'sqlite:<path> or postgres://…')
    .option('--artifact-url <url>', 'file://<folder> or s3://bucket/prefix')
    .option('--config <file>', 'a JSON config file (default: $STRATUS_CONFIG or ./stratus.config.json)')
    .option('--sealing-key-file <file>', 'file holding the sealing key')
    .option('--no-host-probe', 'with Slurm, do not run the probe step on the idle hosts')
    .option('--timeout <seconds>', 'deadline of each check that talks to a service (default 20)', positiveInt)
    .action(async (flags: CheckFlags, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const env = ctx.io.env;
      // Imported here, so that the other commands never load server code.
      const { loadConfig } = await import('../../core/config.js');
      const { checkCluster } = await import('../../cluster/cluster-check.js');
      const source = configSource(flags.config, env, ctx.io.cwd);
      let checks: CheckResult[];
      try {
        const config = loadConfig({
          flags: { home: flags.home, databaseUrl: flags.databaseUrl, artifactUrl: flags.artifactUrl, sealingKeyFile: flags.sealingKeyFile },
          env, configFile: flags.config, cwd: ctx.io.cwd,
        });
        checks = await checkCluster(config, { hostProbe: flags.hostProbe, ...(flags.timeout ? { timeoutMs: flags.timeout * 1000 } : {}) });
      } catch (e) {
        checks = [{ check: 'configuration', status: 'fail', detail: (e as Error).message, fix: 'fix the setting named (environment, flags or the config file)' }];
      }
      const failed = checks.filter((c) => c.status === 'fail').length;
      ctx.output({ ok: failed === 0, configuredBy: source, checks }, (r) => renderChecks(r.checks, r.configuredBy));
      if (failed > 0) throw new CliError(`${failed} of ${checks.length} checks failed`);
    });
}

/** Where `loadConfig` reads from, in the words of the report. */
function configSource(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  const file = flag ?? env.STRATUS_CONFIG ?? (existsSync(join(cwd, 'stratus.config.json')) ? 'stratus.config.json' : undefined);
  return [file ? `config file ${resolve(cwd, file)}` : undefined, Object.keys(env).some((k) => k.startsWith('STRATUS_')) ? 'STRATUS_* environment' : undefined, 'flags and defaults']
    .filter(Boolean).join(', ');
}

const LABEL = { pass: 'PASS', warn: 'WARN', fail: 'FAIL' } as const;

/** One line per check (`FAIL  artifact store  …`), the fix under a failure or warning, and the tally. */
export function renderChecks(checks: CheckResult[], source: string): string {
  const width = Math.max(...checks.map((c) => c.check.length));
  const lines = [`checked with ${source}`];
  for (const c of checks) {
    lines.push(`${LABEL[c.status]}  ${c.check.padEnd(width)}  ${c.detail}`);
    if (c.fix && c.status !== 'pass') lines.push(`${' '.repeat(6 + width + 2)}fix: ${c.fix}`);
  }
  const n = (s: CheckResult['status']) => checks.filter((c) => c.status === s).length;
  lines.push(`${n('pass')} passed, ${n('warn')} warning(s), ${n('fail')} failed`);
  return lines.join('\n');
}

/** Seconds since an ISO time, as `0.4s ago`. */
const ago = (iso: string, now: number) => `${(Math.max(0, now - Date.parse(iso)) / 1000).toFixed(1)}s ago`;

export function renderStatus(s: ClusterStatus, now: number): string {
  const self = s.nodes.find((n) => n.self);
  const leader = s.nodes.find((n) => n.leader);
  const head = `API nodes: ${s.nodes.length} live, leader ${leader?.id ?? 'none'}${self ? `; answered by ${self.id}` : ''}`;
  const rows = s.nodes.map((n) => [n.id, n.url, n.leader ? 'yes' : 'no', ago(n.heartbeatAt, now), formatTime(n.startedAt), n.jobs.length === 0 ? '-' : `${n.jobs.length}: ${n.jobs.join(', ')}`]);
  const out = [head, listTable('live nodes', ['node', 'url', 'leader', 'heartbeat', 'started', 'jobs'], rows), ''];
  const e = s.executor;
  if (e.kind === 'local' || !e.slurm) out.push(`Executor: local (jobs run on the leader node): ${e.local?.cpus ?? '?'} CPUs, ${e.local?.memoryMiB ?? '?'} MiB for jobs and replicas`);
  else out.push(renderSlurm(e.slurm, e.node));
  return out.join('\n');
}

function renderSlurm(v: SlurmView, node: string): string {
  const settings = [`partition ${v.partition ?? '(default)'}`, `work folder ${v.workDir}`, v.conf ? `SLURM_CONF ${v.conf}` : undefined].filter(Boolean).join(', ');
  const head = `Executor: slurm${v.version ? ` (${v.version})` : ''}, as node ${node} sees it: ${settings}`;
  if (!v.reachable) return `${head}\nSlurm does not answer: ${v.error ?? 'unknown error'}`;
  const partitions = table(['partition', 'avail', 'nodes a/i/o/t', 'time limit', 'node list'], v.partitions.map((p) => [
    `${p.name}${p.default ? '*' : ''}`, p.available, counts(p.nodes), p.timeLimit, p.nodeList,
  ]));
  const nodes = table(['node', 'partitions', 'state', 'cpus a/i/o/t', 'memory mib', 'free mib', 'load', 'reason'], v.nodes.map((n) => [
    n.name, n.partitions.join(','), n.state, counts(n.cpus), n.memoryMiB, n.freeMemoryMiB, n.cpuLoad, n.reason,
  ]));
  const stratus = v.queue.filter((j) => j.stratusJob).length;
  const queue = table(['slurm job', 'stratus job', 'state', 'nodes', 'node list', 'elapsed', 'time limit', 'user', 'reason'], v.queue.map((j) => [
    j.id, j.stratusJob ?? `(${j.name})`, j.state, j.nodeCount, j.nodes, j.elapsed, j.timeLimit, j.user, j.reason,
  ]));
  const cap = v.capacity ? `partition ${v.capacity.partition}: ${v.capacity.nodes} node(s), ${v.capacity.up} up, ${v.capacity.idle} idle` : 'no job partition (no default partition)';
  return [
    head,
    section('Partitions', partitions),
    section(`Nodes (${cap})`, nodes),
    section(`Queue: ${v.queueTotal} job(s), ${stratus}${v.queueTotal > v.queue.length ? ` of the first ${v.queue.length}` : ''} of Stratus`, queue),
  ].join('\n');
}

const counts = (c: { allocated: number; idle: number; other: number; total: number }) => `${c.allocated}/${c.idle}/${c.other}/${c.total}`;

/** What an operator should look at: no leader, Slurm not answering, no node taking jobs. */
export function statusWarnings(s: ClusterStatus): string[] {
  const w: string[] = [];
  const leaders = s.nodes.filter((n) => n.leader).length;
  if (leaders === 0) w.push('no live node holds the dispatcher lease: no job starts until one does (it should take a few seconds)');
  const slurm = s.executor.slurm;
  if (slurm && !slurm.reachable) w.push(`the server cannot reach Slurm: ${slurm.error ?? 'unknown error'}`);
  if (slurm?.capacity && slurm.capacity.up === 0) w.push(`no node of partition ${slurm.capacity.partition} takes jobs: every job waits`);
  return w;
}
