import type { Command } from 'commander';
import { basename, resolve } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { StratusApiError, type CreateModelRequest, type FeatureImportance, type Model, type ModelList, type ModelRuntime } from '../../sdk/index.js';
import type { CliContext, ContextOf } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { fields, formatNumber, formatTime, listTable, table } from '../format.js';
import { isArchiveName, localKind, packSingleFile, uploadSourceOf, type UploadSource } from '../pack.js';
import { collectKeyValue, positiveInt } from '../parse.js';
import { resolveSource } from '../source-bundle.js';
import { uploadWithProgress } from './artifacts.js';

interface CreateFlags {
  job?: string;
  artifact?: string;
  algorithm?: string;
  runtime?: ModelRuntime;
  source?: string;
  entryPoint?: string;
  env: [string, string][];
}

const RUNTIMES: readonly ModelRuntime[] = ['builtin', 'onnx', 'container', 'python'];

function runtimeArg(value: string): ModelRuntime {
  if (!(RUNTIMES as readonly string[]).includes(value)) throw new UsageError(`--runtime must be one of ${RUNTIMES.join(', ')}, got '${value}'`);
  return value as ModelRuntime;
}

/** How to serve the model, from the flags: what a create request takes besides name and artifact. */
type Serving = Pick<CreateModelRequest, 'algorithm' | 'runtime' | 'source' | 'entryPoint' | 'environment'>;

/** The file name SageMaker's XGBoost container loads a model from, inside model.tar.gz. */
const XGBOOST_MODEL_FILE = 'xgboost-model';
const BAR_WIDTH = 30;

/** `stratus models create|list|describe|importance|delete`. */
export function registerModels(program: Command, ctxOf: ContextOf): void {
  const models = program.command('models').description('models: trained artifacts ready to serve');

  models
    .command('create <name>')
    .description('create a model from a completed training job (--job), or from a model artifact (--artifact with --algorithm or --runtime)')
    .option('--job <training-job>', 'the completed training job whose artifact to serve')
    .option('--artifact <uri-or-path>', 'an artifact URI (see `stratus artifacts ls`), or a local model.tar.gz, model file (e.g. model.onnx) or folder to upload first')
    .option('--algorithm <name>', 'the built-in algorithm that reads the artifact (runtime builtin), e.g. xgboost')
    .option('--runtime <runtime>', 'how the model answers: builtin (with --algorithm), onnx, container (your server, with --source and --entry-point) or python (inference.py handlers)', runtimeArg)
    .option('--source <dir|tar.gz|uri>', 'your inference code (container, python): a folder (packed and uploaded), a .tar.gz, or an artifact URI')
    .option('--entry-point <file>', 'container: the file of --source that starts your server (serve.py, serve.js, …); python: the handler module (default inference.py)')
    .option('--env <NAME=value>', 'an environment variable for the model\'s server (container, python; repeatable)', collectKeyValue, [])
    .action(async (name: string, flags: CreateFlags, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const runtime = flags.runtime ?? (flags.algorithm ? 'builtin' : undefined);
      if ((flags.source || flags.entryPoint || flags.env.length > 0) && runtime !== 'container' && runtime !== 'python') {
        throw new UsageError('--source, --entry-point and --env go with --runtime container or --runtime python');
      }
      const serving = async (): Promise<Serving> => ({
        ...(flags.algorithm ? { algorithm: flags.algorithm } : {}),
        ...(flags.runtime ? { runtime: flags.runtime } : {}),
        ...(flags.source ? { source: await resolveSource(ctx.client, `model-${name}`, flags.source, ctx.io.cwd) } : {}),
        ...(flags.entryPoint ? { entryPoint: flags.entryPoint } : {}),
        ...(flags.env.length > 0 ? { environment: Object.fromEntries(flags.env) } : {}),
      });
      if (flags.job) {
        if (flags.artifact || flags.algorithm) throw new UsageError('give --job, or --artifact with --algorithm, not both');
        const model = await ctx.client.models.create({ name, trainingJob: flags.job, ...(await serving()) });
        return ctx.output(model, (m) => `created model ${m.name} (${describeRuntime(m)}) from training job ${flags.job}`);
      }
      if (!flags.artifact || !runtime) throw new UsageError('give --job <training-job>, or --artifact <uri-or-path> with --algorithm <name> or --runtime <runtime>');
      const model = await createFromArtifact(ctx, name, flags.artifact, runtime, serving);
      ctx.output(model, (m) => `created model ${m.name} (${describeRuntime(m)}) from ${m.artifactUri}`);
    });

  models
    .command('list')
    .description('list models')
    .option('--limit <n>', 'at most this many', positiveInt)
    .option('--name-contains <text>', 'only names containing this')
    .action(async (flags: { limit?: number; nameContains?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.models.list(flags), renderList);
    });

  models
    .command('describe <name>')
    .description('show a model')
    .action(async (name: string, _flags: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.models.get(name), renderModel);
    });

  models
    .command('importance <name>')
    .description("show how much each feature counts in the model's predictions (xgboost)")
    .option('--type <type>', 'importance type: gain, weight, cover, total_gain or total_cover', 'gain')
    .action(async (name: string, flags: { type: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.models.featureImportance(name, flags.type), renderImportance);
    });

  models
    .command('export <name>')
    .description('download the model in a portable format (xgboost: onnx, xgboost-json)')
    .requiredOption('--format <format>', 'onnx or xgboost-json')
    .option('-o, --output <file>', 'where to write it (default: model.onnx or xgboost-model.json)')
    .action(async (name: string, flags: { format: string; output?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const bytes = await ctx.client.models.export(name, flags.format);
      const target = resolve(ctx.io.cwd, flags.output ?? (flags.format === 'onnx' ? 'model.onnx' : 'xgboost-model.json'));
      await writeFile(target, bytes);
      ctx.info(`wrote ${flags.format} export of model ${name} to ${target} (${bytes.byteLength} bytes)`);
    });

  models
    .command('delete <name>')
    .description('delete a model')
    .action(async (name: string, _flags: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      await ctx.client.models.delete(name);
      ctx.info(`deleted model ${name}`);
    });
}

const isUri = (text: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(text);

/**
 * Creates a model from an artifact URI, or from a local file or folder uploaded first to
 * uploads/models/<name>/<time>/ (a fresh path, so no other model's artifact is ever replaced).
 */
async function createFromArtifact(ctx: CliContext, name: string, artifact: string, runtime: ModelRuntime, serving: () => Promise<Serving>): Promise<Model> {
  if (isUri(artifact)) return ctx.client.models.create({ name, artifactUri: artifact, ...(await serving()) });
  const local = resolve(ctx.io.cwd, artifact);
  await assertNameFree(ctx, name);
  const how = await serving();
  const source = await modelSource(local, runtime, how.algorithm);
  try {
    if (source.packed) ctx.info(`packed ${artifact} into ${source.name}`);
    const uploaded = await uploadWithProgress(ctx, source, `models/${name}/${Date.now()}/${source.name}`);
    try {
      return await ctx.client.models.create({ name, artifactUri: uploaded.uri, ...how });
    } catch (err) {
      await ctx.client.artifacts.delete(uploaded.key.replace(/^uploads\//, '')).catch(() => undefined);
      throw err;
    }
  } finally {
    await source.cleanup();
  }
}

/**
 * A folder or archive goes as a .tar.gz; a lone .onnx file goes as it is (the onnx runtime reads
 * it bare); any other lone model file is packed into model.tar.gz first.
 */
async function modelSource(local: string, runtime: ModelRuntime, algorithm: string | undefined): Promise<UploadSource> {
  if ((await localKind(local)) === 'folder' || isArchiveName(local)) return uploadSourceOf(local);
  if (runtime === 'onnx' && local.endsWith('.onnx')) return uploadSourceOf(local);
  const entry = algorithm === 'xgboost' ? XGBOOST_MODEL_FILE : basename(local);
  return packSingleFile(local, entry);
}

/** Fails before a (possibly large) upload when the name is taken. */
async function assertNameFree(ctx: CliContext, name: string): Promise<void> {
  try {
    await ctx.client.models.get(name);
  } catch (err) {
    if (err instanceof StratusApiError && err.status === 404) return;
    throw err;
  }
  throw new CliError(`model '${name}' already exists`, 1, 'choose another name, or delete it first with `stratus models delete`');
}

/** `xgboost` for a built-in model, else the runtime (`onnx`, `python`, …). */
const describeRuntime = (m: Model) => m.algorithm ?? m.runtime;

function renderList(list: ModelList): string {
  return listTable('models', ['name', 'runtime', 'training job', 'created'], list.items.map((m) => [m.name, describeRuntime(m), m.trainingJob, formatTime(m.createdAt)]));
}

function renderModel(m: Model): string {
  return fields([
    ['Name', m.name],
    ['ARN', m.arn],
    ['Runtime', m.runtime],
    ['Algorithm', m.algorithm],
    ['Training job', m.trainingJob],
    ['Artifact', m.artifactUri],
    ['Source', m.source],
    ['Entry point', m.entryPoint ?? m.command?.join(' ')],
    ['Environment', m.environment ? Object.entries(m.environment).map(([k, v]) => `${k}=${v}`).join(' ') : undefined],
    ['Created', formatTime(m.createdAt)],
  ]);
}

/** Features most important first, each with a bar scaled to the largest value. */
export function renderImportance(fi: FeatureImportance): string {
  if (fi.features.length === 0) return `no feature importance (${fi.type}): the model has no splits`;
  const max = Math.max(...fi.features.map((f) => f.value));
  const bar = (v: number) => (max > 0 && v > 0 ? '▇'.repeat(Math.max(1, Math.round((v / max) * BAR_WIDTH))) : '');
  return table(['feature', fi.type, ''], fi.features.map((f) => [f.feature, formatNumber(f.value), bar(f.value)]));
}
