/**
 * The Slurm executor's per-host entry (srun starts it once on every host of a job, through
 * core/tsx-bootstrap.mjs). It sees the artifact store and nothing else of the server: it builds
 * the job folder on this host with the multi-instance contract (hosts algo-1..N in Slurm's node
 * order, resourceconfig.json, SM_HOSTS, SM_CURRENT_HOST), downloads this host's share of the
 * channels, runs the built-in runner or the script exactly as the local executor does, ships its
 * log lines to the store, and — on the master host (algo-1) — uploads the model and output.
 * A failure's reason goes to the store too (`<hosts prefix>/<host>/failure`); the exit status is
 * the training process's.
 */
import { mkdir, rm } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { openArtifactStore } from '../../artifacts/uri.js';
import { downloadChannels, processFailureReason, uploadOutputs } from '../../training/host-io.js';
import { decodeHostPlan, HOST_PLAN_ENV } from '../../training/host-plan.js';
import { contractFor, JobFailure, prepareCode, trainingLaunch } from '../../training/job-launch.js';
import { CheckpointSync } from '../checkpoint-sync.js';
import { jobFolder, prepareJobFolder } from '../job-folder.js';
import { COLLECTIVE_PORT_ENV } from '../job-collective.js';
import { LocalExecutor } from '../local-executor.js';
import { LogShipper } from './log-relay.js';

const TAIL_LINES = 15;

async function main(): Promise<number> {
  const encoded = process.env[HOST_PLAN_ENV];
  if (!encoded) throw new Error(`${HOST_PLAN_ENV} is not set: this program is started by the Slurm executor`);
  delete process.env[HOST_PLAN_ENV];
  const plan = decodeHostPlan(encoded);
  const nodes = (process.env.STRATUS_HOST_ADDRS ?? '').split(',').filter(Boolean).map((p) => p.split('=') as [string, string]);
  const count = Number(process.env.SLURM_JOB_NUM_NODES ?? (nodes.length || 1));
  const index = Number(process.env.SLURM_NODEID ?? 0);
  const hosts = Array.from({ length: count }, (_, i) => `algo-${i + 1}`);
  const host = hosts[index];
  const master = index === 0;
  const hostAddresses = Object.fromEntries(nodes.map(([, addr], i) => [hosts[i], addr]));
  const artifacts = openArtifactStore(plan.artifactUrl, { s3: plan.s3 });
  const shipper = new LogShipper(artifacts, `${plan.hostsPrefix}/${host}`);
  shipper.start(1000);
  const tail: string[] = [];
  const emit = (line: string) => {
    shipper.add(line);
    process.stdout.write(line + '\n');
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
  };
  const say = (m: string) => emit(`[stratus] ${m}`);
  const folder = jobFolder(join(plan.workDir, `stratus-${plan.job}-${process.env.SLURM_JOB_ID ?? 'x'}-${host}`));
  let stopping = false;
  let kill: ((s: NodeJS.Signals) => void) | undefined;
  process.on('SIGTERM', () => {
    stopping = true;
    kill?.('SIGTERM');
  });
  let code = 1;
  try {
    await rm(folder.root, { recursive: true, force: true });
    const contract = contractFor(plan.job, plan.arn, plan.spec, folder, plan.cpusPerHost, {
      hosts,
      currentHost: host,
      networkInterface: interfaceOf(hostAddresses[host]) ?? 'lo',
      ...(nodes.length > 0 ? { hostAddresses, masterPort: masterPortOf(process.env.SLURM_JOB_ID) } : {}),
    });
    await prepareJobFolder(folder, contract);
    say(`${host} of ${count} on Slurm node ${process.env.SLURMD_NODENAME ?? '?'} (${hostAddresses[host] ?? 'no address'}): downloading input data`);
    await downloadChannels(artifacts, plan.inputs, folder, { index, count });
    await prepareCode(plan.spec, folder, artifacts);
    const checkpoints = await restoreCheckpoints(plan.spec.checkpoint, folder.root, artifacts, say);
    // Only the master host syncs checkpoints back, so hosts never overwrite each other's files.
    if (master) checkpoints?.start(2000);
    if (stopping) throw new JobFailure('stopped before training started');
    const launch = trainingLaunch(plan.spec, folder, contract, plan.python, { ...plan.apiEnv, [COLLECTIVE_PORT_ENV]: String(plan.collectivePort) });
    const proc = new LocalExecutor({ cpus: plan.cpusPerHost, memoryMiB: 0 }).launch({ ...launch, onLine: emit });
    kill = proc.kill;
    if (stopping) proc.kill('SIGTERM');
    const exit = await proc.exited;
    if (master) await checkpoints?.stop().catch((e: unknown) => say(`checkpoints not synced: ${(e as Error).message}`));
    if (exit.code !== 0 && !stopping) {
      await reportFailure(await processFailureReason(folder, exit, tail, ` on ${host}`));
      code = exit.code ?? 1;
    } else {
      if (master) {
        say('uploading the model artifact');
        await uploadOutputs(artifacts, folder, plan.keys);
      }
      code = 0;
    }
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    say(`${host} failed: ${message}`);
    await reportFailure(e instanceof JobFailure ? message : `${host}: ${message}`);
  } finally {
    await shipper.stop();
    await rm(folder.root, { recursive: true, force: true }).catch(() => undefined);
    await artifacts.close?.();
  }
  return code;

  async function reportFailure(reason: string) {
    await artifacts.put(`${plan.hostsPrefix}/${host}/failure`, Buffer.from(reason)).catch(() => undefined);
  }
}

async function restoreCheckpoints(
  c: { localPath: string; artifactPrefix: string } | undefined,
  root: string,
  artifacts: ReturnType<typeof openArtifactStore>,
  say: (m: string) => void,
): Promise<CheckpointSync | undefined> {
  if (!c) return undefined;
  await mkdir(join(root, c.localPath), { recursive: true });
  const sync = new CheckpointSync(artifacts, join(root, c.localPath), c.artifactPrefix, say);
  const restored = await sync.restore();
  if (restored > 0) say(`restored ${restored} checkpoint file(s) from ${c.artifactPrefix}/ into ${c.localPath}/`);
  return sync;
}

/**
 * MASTER_PORT: the same on every host of a job (derived from its Slurm job id), and different for
 * jobs that share a node; 29500–30499 is PyTorch's usual range, below Linux's ephemeral ports.
 */
const masterPortOf = (slurmJobId: string | undefined) => 29500 + (Number(slurmJobId ?? 0) % 1000);

/** The network interface carrying `address` (what gloo/NCCL want as their socket interface). */
function interfaceOf(address: string | undefined): string | undefined {
  if (!address) return undefined;
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (addrs?.some((a) => a.address === address)) return name;
  }
  return undefined;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`stratus host runner: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
