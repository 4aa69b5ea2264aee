import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, stat, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { extractArchive } from '../artifacts/archive.js';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { trainingEnvironment, type JobContractInput, type JobFolder } from '../jobs/job-folder.js';
import { runsAsProgram, scriptCommand, toCmdArgs } from '../jobs/script-command.js';
import type { NormalizedTrainingJobSpec } from './job-spec.js';
import type { ScriptSpec } from './script-spec.js';

const BOOTSTRAP = fileURLToPath(new URL('../core/tsx-bootstrap.mjs', import.meta.url));
const RUNNER = fileURLToPath(new URL('../jobs/builtin-runner.ts', import.meta.url));
/** This package's root: a script job's `node_modules/stratus` links here, so `import 'stratus/sdk'` resolves. */
const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The Python helpers shipped with Stratus (`stratus_run`), on every script job's PYTHONPATH. */
export const PYTHON_HELPERS = fileURLToPath(new URL('../../python', import.meta.url));
/** tsx's loader, for TypeScript entry points (`node --import <it> train.ts`). */
const TS_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** A job's own failure (bad source bundle, missing entry point): the message is the failure reason. */
export class JobFailure extends Error {}

/** The program, arguments, working folder and environment of a job's training process. */
export interface TrainingLaunch {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

/** Where one host of a job sits among the job's hosts (one host, `algo-1`, unless placed by a cluster). */
export interface HostPlacement {
  hosts: string[];
  currentHost: string;
  networkInterface?: string;
  hostAddresses?: Record<string, string>;
  /** MASTER_PORT of a cluster job (see JobContractInput.masterPort). */
  masterPort?: number;
}

const SINGLE_HOST: HostPlacement = { hosts: ['algo-1'], currentHost: 'algo-1' };

/** The job contract's inputs for a spec: channels, hosts, CPUs and, for a script, what runs. */
export function contractFor(
  name: string,
  arn: string,
  spec: NormalizedTrainingJobSpec,
  folder: JobFolder,
  cpus: number,
  placement: HostPlacement = SINGLE_HOST,
): JobContractInput {
  const script = spec.script;
  return {
    jobName: name,
    jobArn: arn,
    hyperparameters: spec.hyperparameters,
    channels: spec.inputs.map((i) => ({ name: i.channel, contentType: i.contentType ?? 'text/csv', ...(i.distribution ? { distribution: i.distribution } : {}) })),
    instanceType: spec.resources.instanceType,
    ...placement,
    cpus,
    ...(spec.checkpoint ? { checkpointDir: join(folder.root, spec.checkpoint.localPath) } : {}),
    ...(script
      ? { script: { moduleDir: script.source, entryPoint: script.entryPoint ?? script.command![0], userArgs: toCmdArgs(spec.hyperparameters) } }
      : {}),
  };
}

/**
 * How the training process starts. A built-in algorithm runs the built-in runner in the job
 * folder; a script runs its entry point in `code/` (SageMaker: /opt/ml/code).
 *
 * The environment is built from nothing: PATH, HOME (the job folder), LANG, the variables the
 * job declared, and the job contract's. Nothing of the server's own environment (its token,
 * database URL, cloud credentials) reaches the job.
 */
export function trainingLaunch(
  spec: NormalizedTrainingJobSpec,
  folder: JobFolder,
  contract: JobContractInput,
  python: string,
  platformEnv: Record<string, string> = {},
): TrainingLaunch {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: folder.root,
    LANG: process.env.LANG ?? 'C.UTF-8',
    // Script output reaches the log (and metric regexes) as it is printed, not when a buffer fills.
    ...(spec.script ? { PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' } : {}),
    ...spec.environment,
    ...trainingEnvironment(folder, contract),
    // The job's own API access (STRATUS_API_URL, STRATUS_JOB_TOKEN), when the platform grants it.
    ...platformEnv,
  };
  if (!spec.script) return { command: process.execPath, args: [BOOTSTRAP, RUNNER, spec.algorithm!], cwd: folder.root, env };
  // After the code folder, so a bundle's own module of that name wins.
  env.PYTHONPATH = env.PYTHONPATH ? `${env.PYTHONPATH}:${PYTHON_HELPERS}` : PYTHON_HELPERS;
  const run = scriptProcess(spec.script, contract.script!.userArgs, python);
  return { command: run.command, args: run.args, cwd: folder.codeDir, env };
}

/** The program and arguments of a script (its entry point's interpreter, or its command), run in `code/`. */
export function scriptProcess(script: ScriptSpec, userArgs: string[], python: string): { command: string; args: string[] } {
  const run = scriptCommand({ ...script, userArgs, python, node: process.execPath, tsLoader: TS_LOADER });
  return { command: run.command, args: run.args };
}

/**
 * Extracts a script job's source bundle into `code/` and checks its entry point is a file there
 * (made executable when it runs as a program of its own).
 * @throws JobFailure for a bundle that is not a valid tar.gz or lacks the entry point.
 */
export async function prepareCode(spec: { script?: ScriptSpec }, folder: Pick<JobFolder, 'root' | 'codeDir'>, artifacts: ArtifactStore): Promise<void> {
  const script = spec.script;
  if (!script) return;
  // `import { runContext } from 'stratus/sdk'` from code/ finds the job folder's node_modules
  // (a bundle's own node_modules/stratus, in code/, comes first).
  await mkdir(join(folder.root, 'node_modules'), { recursive: true });
  await symlink(PACKAGE_ROOT, join(folder.root, 'node_modules', 'stratus'), 'dir');
  try {
    await extractArchive(await artifacts.get(artifacts.keyOf(script.source)), folder.codeDir);
  } catch (e) {
    throw new JobFailure(`ClientError: cannot extract the source bundle ${script.source}: ${(e as Error).message}`);
  }
  if (!script.entryPoint) return;
  const path = resolve(folder.codeDir, script.entryPoint);
  const isFile = existsSync(path) && relative(folder.codeDir, path).split('/')[0] !== '..' && (await stat(path)).isFile();
  if (!isFile) {
    const holds = (await readdir(folder.codeDir)).slice(0, 20).join(', ') || 'nothing';
    throw new JobFailure(`ClientError: entry point '${script.entryPoint}' is not a file in the source bundle (its top level holds: ${holds})`);
  }
  if (runsAsProgram(script.entryPoint)) await chmod(path, 0o755);
}
