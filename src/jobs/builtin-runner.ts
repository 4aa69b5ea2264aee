/**
 * Child-process entry that runs a built-in algorithm under the job contract: reads the job
 * folder (the current directory), trains, and writes the model to `model/`. A failure's message
 * goes to `output/failure` and the process exits 1.
 *
 * On several hosts, an algorithm that trains data-parallel first joins the other hosts (see
 * job-collective.ts); a failure here is told to them, and the communication's volume and time
 * are logged at the end.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuiltinAlgorithm, ChannelInput } from '../algorithms/algorithm.js';
import { describeStats, type Collective } from '../algorithms/distributed/collective.js';
import { builtinAlgorithm } from '../algorithms/registry.js';
import { channelDir, jobFolder, type JobFolder } from './job-folder.js';
import { parseChannelContentType } from './channel-content-type.js';
import { connectJobCollective, readJobHosts } from './job-collective.js';

const log = (line: string) => process.stdout.write(line + '\n');

async function main() {
  const algorithmName = process.argv[3];
  const folder = jobFolder(process.cwd());
  const algorithm = builtinAlgorithm(algorithmName);
  const collective = await joinHosts(algorithm, folder);
  try {
    await train(algorithm, folder, collective);
  } catch (e) {
    collective?.abort(e instanceof Error ? e.message : String(e));
    throw e;
  } finally {
    await collective?.close();
  }
  if (collective) log(`collective: ${collective.hosts[collective.rank]} of ${collective.size} hosts: ${describeStats(collective.stats())}`);
}

/** The collective of a multi-host job whose algorithm trains data-parallel, else undefined. */
async function joinHosts(algorithm: BuiltinAlgorithm, folder: JobFolder): Promise<Collective | undefined> {
  const placement = await readJobHosts(folder.configDir);
  const n = placement.hosts.length;
  if (n <= 1) return undefined;
  if (!algorithm.dataParallel) {
    log(`${algorithm.name}: ${n} hosts, but ${algorithm.name} does not train data-parallel: each host trains on its own share and the model is ${placement.hosts[0]}'s`);
    return undefined;
  }
  const started = Date.now();
  const collective = await connectJobCollective(placement, process.env);
  log(`${algorithm.name}: ${placement.currentHost} joined ${n} hosts for data-parallel training in ${((Date.now() - started) / 1000).toFixed(2)} s`);
  return collective;
}

async function train(algorithm: BuiltinAlgorithm, folder: JobFolder, collective: Collective | undefined) {
  const hyperparameters = JSON.parse(await readFile(join(folder.configDir, 'hyperparameters.json'), 'utf8')) as Record<string, string>;
  const dataConfig = JSON.parse(await readFile(join(folder.configDir, 'inputdataconfig.json'), 'utf8')) as Record<string, { ContentType?: string }>;
  const channels: Record<string, ChannelInput> = {};
  for (const [name, cfg] of Object.entries(dataConfig)) {
    channels[name] = { path: channelDir(folder, name), ...parseChannelContentType(cfg.ContentType) };
  }
  const abort = new AbortController();
  process.on('SIGTERM', () => abort.abort(new Error('the job was stopped')));
  const started = Date.now();
  await algorithm.train({
    channels,
    hyperparameters: algorithm.validateHyperparameters(hyperparameters),
    modelDir: folder.modelDir,
    outputDataDir: folder.outputDataDir,
    log,
    signal: abort.signal,
    cpus: Number(process.env.SM_NUM_CPUS ?? 1),
    ...(collective ? { collective } : {}),
  });
  log(`${algorithm.name}: training finished in ${((Date.now() - started) / 1000).toFixed(2)} s`);
}

main().catch(async (e: unknown) => {
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`error: ${message}\n`);
  await writeFile(jobFolder(process.cwd()).failureFile, message).catch(() => undefined);
  process.exit(1);
});
