/**
 * Child-process entry that runs a built-in algorithm under the job contract: reads the job
 * folder (the current directory), trains, and writes the model to `model/`. A failure's message
 * goes to `output/failure` and the process exits 1.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChannelInput } from '../algorithms/algorithm.js';
import { builtinAlgorithm } from '../algorithms/registry.js';
import { channelDir, jobFolder } from './job-folder.js';
import { parseChannelContentType } from './channel-content-type.js';

async function main() {
  const algorithmName = process.argv[3];
  const folder = jobFolder(process.cwd());
  const algorithm = builtinAlgorithm(algorithmName);
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
    log: (line) => process.stdout.write(line + '\n'),
    signal: abort.signal,
    cpus: Number(process.env.SM_NUM_CPUS ?? 1),
  });
  process.stdout.write(`${algorithm.name}: training finished in ${((Date.now() - started) / 1000).toFixed(2)} s\n`);
}

main().catch(async (e: unknown) => {
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`error: ${message}\n`);
  await writeFile(jobFolder(process.cwd()).failureFile, message).catch(() => undefined);
  process.exit(1);
});
