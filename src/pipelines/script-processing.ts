/**
 * A pipeline's processing step that runs your code (SageMaker Processing's contract), with the
 * script-job machinery of training jobs: the source bundle extracted into `code/` and run by its
 * entry point's interpreter (training/job-launch.ts), a child process of the local executor in its
 * own process group, admitted by the scheduler, as the job user with the folder handed over and
 * taken back (jobs/job-sandbox.ts), its log streamed into a file beside the folder.
 *
 * The job folder (`<jobsDir>/processing/<name>/`), in place of SageMaker's `/opt/ml`:
 * ```
 * code/                              the source bundle; the working folder
 * config/processingjobconfig.json    the job as SageMaker describes it (inputs, outputs, app, resources)
 * config/resourceconfig.json         { current_host, hosts }
 * processing/input/<name>/           each input: a dataset version's file, or the objects under a prefix
 * processing/output/<name>/          each output: uploaded when the script ends
 * output/message                     written by the script: the failure reason (SageMaker's ExitMessage)
 * ```
 * SageMaker scripts hard-code `/opt/ml/processing/…`, which is not where this folder is: they read
 * `SM_PROCESSING_INPUT_<NAME>` / `SM_PROCESSING_OUTPUT_<NAME>` (or the `…_DIR` parents) instead.
 */
import { createReadStream } from 'node:fs';
import { chmod, lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { extname, join, relative } from 'node:path';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { DatasetFormat, DatasetVersion } from '../contracts/dataset.js';
import type { Clock } from '../core/clock.js';
import { instanceType, DEFAULT_INSTANCE_TYPE } from '../core/instance-types.js';
import type { Logger } from '../core/logger.js';
import type { DatasetService } from '../data/dataset-service.js';
import type { Executor, ProcessExit } from '../jobs/executor.js';
import { JobLog } from '../jobs/job-log.js';
import { handOverJobFolder, isRealDirUnder, openJobFile, sealJobFolder, type JobUser } from '../jobs/job-sandbox.js';
import type { JobUserLease, JobUserSource } from '../jobs/job-users.js';
import type { Scheduler } from '../jobs/scheduler.js';
import { downloadInput, MAX_FAILURE_REASON, processFailureReason } from '../training/host-io.js';
import { JobFailure, prepareCode, PYTHON_HELPERS, scriptProcess } from '../training/job-launch.js';
import { resolveScriptSource, type ScriptSpec } from '../training/script-spec.js';

export interface ScriptProcessingDeps {
  artifacts: ArtifactStore;
  datasets: DatasetService;
  executor: Executor;
  scheduler: Scheduler;
  clock: Clock;
  log: Logger;
  /** Folder of the job folders; processing jobs go under `processing/` in it. */
  jobsDir: string;
  /** Where each job gets the OS user its process runs as (see jobs/job-users.ts); absent: the server's own. */
  jobUsers?: JobUserSource;
  /** Interpreter of `.py` entry points (config `python`). */
  python: string;
}

/** A script processing step's body, references resolved. */
export interface ScriptProcessingRequest {
  inputs: Record<string, { dataset?: string; version?: number; artifactPrefix?: string }>;
  script: { source: string; entryPoint?: string; command?: string[]; arguments?: string[] };
  outputs?: Record<string, { dataset?: string; format?: DatasetFormat; header?: boolean }>;
  environment?: Record<string, string>;
  instanceType?: string;
  maxRuntimeInSeconds?: number;
}

/** What became of one output folder. */
export interface ProcessingOutputResult {
  /** Artifact key prefix its files were uploaded under (an `artifactPrefix` a training channel can read). */
  prefix: string;
  uri: string;
  files: number;
  /** With `dataset`: the new version. */
  dataset?: string;
  version?: number;
  rows?: number;
  datasetUri?: string;
}

export interface ScriptProcessingResult {
  processingJob: string;
  outputs: Record<string, ProcessingOutputResult>;
}

const STOP_GRACE_MS = 10_000;
const TAIL_LINES = 15;
const DEFAULT_MAX_RUNTIME_SECONDS = 86_400;
const FORMAT_OF_EXTENSION: Record<string, DatasetFormat> = { '.csv': 'csv', '.parquet': 'parquet', '.jsonl': 'jsonl', '.json': 'jsonl', '.ndjson': 'jsonl' };

export const processingJobKeys = (name: string) => ({
  output: (output: string) => `processing-jobs/${name}/output/${output}/`,
  log: `processing-jobs/${name}/logs/algo-1.log`,
});

interface Folder {
  root: string;
  codeDir: string;
  configDir: string;
  inputDir: string;
  outputDir: string;
  /** `output/message`: the script's exit message. */
  failureFile: string;
  logFile: string;
  /** The running process's handle, for restart reconciliation. */
  handleFile: string;
  /** The OS user the script runs as, leased for this run; absent: the server's own. */
  user?: JobUser;
}

/** Runs script processing steps; one instance per platform. */
export class ScriptProcessor {
  readonly #live = new Map<string, JobLog>();

  constructor(private readonly deps: ScriptProcessingDeps) {}

  get #dir() {
    return join(this.deps.jobsDir, 'processing');
  }

  #folder(name: string): Folder {
    const root = join(this.#dir, name);
    return {
      root, codeDir: join(root, 'code'), configDir: join(root, 'config'), inputDir: join(root, 'processing', 'input'), outputDir: join(root, 'processing', 'output'),
      failureFile: join(root, 'output', 'message'), logFile: join(this.#dir, `${name}.log`), handleFile: join(this.#dir, `${name}.handle.json`),
    };
  }

  /**
   * Runs the script to its end: inputs downloaded, the process run (stopped by `signal`), outputs
   * uploaded and registered. Throws with the failure reason: the script's `output/message`, else
   * its exit status and last log lines.
   */
  async run(name: string, req: ScriptProcessingRequest, signal: AbortSignal): Promise<ScriptProcessingResult> {
    const folder = this.#folder(name);
    await this.#prepareDir();
    await rm(folder.root, { recursive: true, force: true });
    await rm(folder.logFile, { force: true });
    const log = new JobLog(folder.logFile);
    this.#live.set(name, log);
    const type = instanceType(req.instanceType ?? DEFAULT_INSTANCE_TYPE);
    let release: (() => void) | undefined;
    let lease: JobUserLease | undefined;
    try {
      const script: ScriptSpec = {
        source: await resolveScriptSource(this.deps.artifacts, req.script.source),
        ...(req.script.entryPoint !== undefined ? { entryPoint: req.script.entryPoint } : {}),
        ...(req.script.command !== undefined ? { command: req.script.command } : {}),
      };
      log.append(`[stratus] processing job ${name}: script ${script.entryPoint ?? script.command!.join(' ')} from ${script.source} on ${type.name}`);
      release = await this.deps.scheduler.admit({ cpus: type.cpus, memoryMiB: type.memoryMiB }, signal);
      const cpusGranted = this.deps.scheduler.fit({ cpus: type.cpus, memoryMiB: type.memoryMiB }).cpus;
      // A user of its own while it runs, so jobs running at the same time cannot read each other's folders.
      lease = await this.deps.jobUsers?.lease();
      if (lease) folder.user = lease.user;
      await this.#prepareFolder(name, folder, req, script, log);
      const exit = await this.#runProcess(name, folder, req, script, cpusGranted, log, signal);
      if (signal.aborted) throw signal.reason;
      if (exit.timedOut) throw new JobFailure(`MaxRuntimeExceeded: the processing script ran longer than ${req.maxRuntimeInSeconds ?? DEFAULT_MAX_RUNTIME_SECONDS} s`);
      if (exit.code !== 0) throw new JobFailure(await processFailureReason(folder, exit, exit.tail, '', folder.user?.uid, 'processing script'));
      const outputs = await this.#uploadOutputs(name, folder, req, log, signal);
      log.append('[stratus] processing job completed');
      return { processingJob: name, outputs };
    } catch (e) {
      log.append(`[stratus] processing job ${signal.aborted ? 'stopped' : `failed: ${(e instanceof Error ? e.message : String(e)).slice(0, MAX_FAILURE_REASON)}`}`);
      throw e;
    } finally {
      release?.();
      await log.close();
      this.#live.delete(name);
      await this.deps.artifacts.put(processingJobKeys(name).log, createReadStream(folder.logFile)).catch((e: unknown) => this.deps.log.warn({ err: e, job: name }, 'could not store a processing log'));
      await lease?.stopProcesses().catch(() => undefined);
      await rm(folder.root, { recursive: true, force: true }).catch(() => undefined);
      await rm(folder.logFile, { force: true }).catch(() => undefined);
      await rm(folder.handleFile, { force: true }).catch(() => undefined);
      await lease?.release().catch((e: unknown) => this.deps.log.warn({ err: e, job: name }, 'could not return the job user'));
    }
  }

  /** `<jobsDir>/processing`: the server's, 0711, so the job user reaches its own folder but lists none. */
  async #prepareDir() {
    await mkdir(this.#dir, { recursive: true, mode: 0o711 });
    await chmod(this.#dir, 0o711);
  }

  async #prepareFolder(name: string, folder: Folder, req: ScriptProcessingRequest, script: ScriptSpec, log: JobLog) {
    const outputs = Object.keys(req.outputs ?? {});
    // The server's alone until handed over: no other job's user may look in while it is filled.
    await mkdir(folder.root, { recursive: true, mode: 0o700 });
    for (const dir of [folder.codeDir, folder.configDir, folder.inputDir, folder.outputDir, join(folder.root, 'output')]) await mkdir(dir, { recursive: true });
    for (const o of outputs) await mkdir(join(folder.outputDir, o), { recursive: true });
    const inputs: Array<Record<string, unknown>> = [];
    for (const [input, spec] of Object.entries(req.inputs)) {
      const dir = join(folder.inputDir, input);
      await mkdir(dir, { recursive: true });
      if (spec.artifactPrefix !== undefined) {
        await downloadInput(this.deps.artifacts, { distribution: 'FullyReplicated', source: { prefix: spec.artifactPrefix } }, dir);
        inputs.push({ InputName: input, S3Input: { S3Uri: this.#prefixUri(spec.artifactPrefix), LocalPath: dir, S3DataType: 'S3Prefix', S3InputMode: 'File' } });
      } else {
        const v = await this.deps.datasets.getVersion(spec.dataset!, spec.version);
        await downloadInput(this.deps.artifacts, { distribution: 'FullyReplicated', source: { key: this.deps.artifacts.keyOf(v.uri), fileName: `${v.datasetName}-v${v.version}.${v.format}` } }, dir);
        inputs.push({ InputName: input, S3Input: { S3Uri: v.uri, LocalPath: dir, S3DataType: 'S3Prefix', S3InputMode: 'File' }, Dataset: { name: v.datasetName, version: v.version } });
      }
      log.append(`[stratus] input '${input}' in ${relative(folder.root, dir)}/`);
    }
    const config = {
      ProcessingJobName: name,
      ProcessingInputs: inputs,
      ProcessingOutputConfig: {
        Outputs: outputs.map((o) => ({ OutputName: o, S3Output: { S3Uri: this.#prefixUri(processingJobKeys(name).output(o)), LocalPath: join(folder.outputDir, o), S3UploadMode: 'EndOfJob' } })),
      },
      AppSpecification: { ContainerEntrypoint: script.command ?? [script.entryPoint!], ContainerArguments: req.script.arguments ?? [] },
      Environment: req.environment ?? {},
      ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: req.instanceType ?? DEFAULT_INSTANCE_TYPE } },
      StoppingCondition: { MaxRuntimeInSeconds: req.maxRuntimeInSeconds ?? DEFAULT_MAX_RUNTIME_SECONDS },
    };
    await writeFile(join(folder.configDir, 'processingjobconfig.json'), JSON.stringify(config, null, 1));
    await writeFile(join(folder.configDir, 'resourceconfig.json'), JSON.stringify({ current_host: 'algo-1', hosts: ['algo-1'] }, null, 1));
    await prepareCode({ script }, folder, this.deps.artifacts);
    // Everything the server writes is in place: the folder becomes the job user's.
    if (folder.user) await handOverJobFolder(folder.root, folder.user);
  }

  #environment(name: string, folder: Folder, req: ScriptProcessingRequest, cpusGranted: number): Record<string, string> {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: folder.root,
      LANG: process.env.LANG ?? 'C.UTF-8',
      PYTHONUNBUFFERED: '1',
      PYTHONDONTWRITEBYTECODE: '1',
      ...req.environment,
      PROCESSING_JOB_NAME: name,
      SM_CURRENT_HOST: 'algo-1',
      SM_HOSTS: '["algo-1"]',
      SM_NUM_CPUS: String(Math.min(cpusGranted, cpus().length)),
      SM_PROCESSING_INPUT_DIR: folder.inputDir,
      SM_PROCESSING_OUTPUT_DIR: folder.outputDir,
      SM_PROCESSING_CONFIG_DIR: folder.configDir,
      SM_OUTPUT_DIR: join(folder.root, 'output'),
      PYTHONPATH: `${folder.codeDir}:${PYTHON_HELPERS}`,
    };
    for (const input of Object.keys(req.inputs)) env[`SM_PROCESSING_INPUT_${input.toUpperCase()}`] = join(folder.inputDir, input);
    for (const output of Object.keys(req.outputs ?? {})) env[`SM_PROCESSING_OUTPUT_${output.toUpperCase()}`] = join(folder.outputDir, output);
    return env;
  }

  async #runProcess(name: string, folder: Folder, req: ScriptProcessingRequest, script: ScriptSpec, cpusGranted: number, log: JobLog, signal: AbortSignal): Promise<ProcessExit & { timedOut: boolean; tail: string[] }> {
    signal.throwIfAborted();
    const tail: string[] = [];
    const proc = this.deps.executor.launch({
      ...scriptProcess(script, req.script.arguments ?? [], this.deps.python),
      cwd: folder.codeDir,
      env: this.#environment(name, folder, req, cpusGranted),
      ...(folder.user ? { uid: folder.user.uid, gid: folder.user.gid } : {}),
      onLine: (line) => {
        log.append(line);
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
      },
    });
    await writeFile(folder.handleFile, JSON.stringify(proc.handle)).catch(() => undefined);
    let killTimer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const stop = () => {
      if (killTimer) return;
      proc.kill('SIGTERM');
      killTimer = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS).unref();
    };
    signal.addEventListener('abort', stop, { once: true });
    const timer = setTimeout(() => {
      timedOut = true;
      log.append(`[stratus] MaxRuntimeInSeconds (${req.maxRuntimeInSeconds ?? DEFAULT_MAX_RUNTIME_SECONDS} s) exceeded: stopping the script`);
      stop();
    }, (req.maxRuntimeInSeconds ?? DEFAULT_MAX_RUNTIME_SECONDS) * 1000);
    try {
      const exit = await proc.exited;
      return { ...exit, timedOut, tail };
    } finally {
      clearTimeout(timer);
      clearTimeout(killTimer);
      signal.removeEventListener('abort', stop);
      // Nothing the script left running may change the folder while the server reads it.
      if (folder.user) await sealJobFolder(folder.root, folder.user);
    }
  }

  /** Uploads each declared output folder's files; registers the one file of those with a dataset. */
  async #uploadOutputs(name: string, folder: Folder, req: ScriptProcessingRequest, log: JobLog, signal: AbortSignal): Promise<Record<string, ProcessingOutputResult>> {
    const results: Record<string, ProcessingOutputResult> = {};
    for (const [output, spec] of Object.entries(req.outputs ?? {})) {
      const dir = join(folder.outputDir, output);
      const prefix = processingJobKeys(name).output(output);
      const files = (await isRealDirUnder(folder.root, dir)) ? await regularFiles(dir) : [];
      for (const file of files) await this.#upload(folder, join(dir, file), `${prefix}${file}`);
      const result: ProcessingOutputResult = { prefix, uri: this.#prefixUri(prefix), files: files.length };
      log.append(`[stratus] output '${output}': ${files.length} file(s) uploaded to ${prefix}`);
      if (spec.dataset !== undefined) {
        if (files.length !== 1) throw new JobFailure(`ClientError: output '${output}' holds ${files.length} files; a dataset version is one file (write one file to SM_PROCESSING_OUTPUT_${output.toUpperCase()})`);
        const format = spec.format ?? FORMAT_OF_EXTENSION[extname(files[0]).toLowerCase()];
        if (!format) throw new JobFailure(`ClientError: output '${output}': cannot tell the format of '${files[0]}' from its extension; set format (csv, parquet or jsonl)`);
        const v: DatasetVersion = await this.deps.datasets.upload(spec.dataset, await this.#openStream(folder, join(dir, files[0])), {
          format, header: format === 'csv' ? Boolean(spec.header) : true, signal,
        });
        Object.assign(result, { dataset: v.dataset, version: v.version, rows: v.rows, datasetUri: v.uri });
        log.append(`[stratus] output '${output}' is dataset ${v.dataset} version ${v.version} (${v.rows} rows)`);
      }
      results[output] = result;
    }
    return results;
  }

  /** The URI of a key prefix (a key URI with the prefix's trailing slash). */
  #prefixUri(prefix: string): string {
    const trimmed = prefix.replace(/\/+$/, '');
    return `${this.deps.artifacts.uriOf(trimmed)}${prefix.endsWith('/') ? '/' : ''}`;
  }

  async #openStream(folder: Folder, path: string) {
    // The job wrote it: opened without following links, only as a regular file of the job user, inside the folder.
    const opened = await openJobFile(path, folder.root, folder.user?.uid);
    if (!opened) throw new JobFailure(`ClientError: output file ${relative(folder.root, path)} cannot be read (a link, or not a regular file)`);
    return opened.fh.createReadStream();
  }

  async #upload(folder: Folder, path: string, key: string) {
    await this.deps.artifacts.put(key, await this.#openStream(folder, path));
  }

  /** The log so far: the live file while the script runs, the stored copy afterwards ('' when none). */
  async readLog(name: string): Promise<string> {
    const live = this.#live.get(name);
    if (live) return readFile(live.path, 'utf8');
    const key = processingJobKeys(name).log;
    return (await this.deps.artifacts.stat(key)) ? (await this.deps.artifacts.getBytes(key)).toString('utf8') : '';
  }

  /**
   * After a restart: a processing script of an earlier server run is ended (its process group,
   * found by the handle beside its folder) and its folder and log removed, after keeping the log.
   */
  async recover(): Promise<void> {
    const entries = await readdir(this.#dir).catch(() => [] as string[]);
    for (const entry of entries.filter((e) => e.endsWith('.handle.json'))) {
      const name = entry.slice(0, -'.handle.json'.length);
      if (this.#live.has(name)) continue;
      const folder = this.#folder(name);
      const handle = await readFile(folder.handleFile, 'utf8').then((t) => JSON.parse(t) as Record<string, unknown>).catch(() => undefined);
      const killed = handle ? await this.deps.executor.killOrphan(handle, folder.root).catch(() => false) : false;
      await this.deps.artifacts.put(processingJobKeys(name).log, createReadStream(folder.logFile)).catch(() => undefined);
      for (const path of [folder.root, folder.logFile, folder.handleFile]) await rm(path, { recursive: true, force: true }).catch(() => undefined);
      this.deps.log.warn({ job: name, killed }, 'processing script interrupted by a server restart');
    }
  }
}

/** Regular files under `dir` (relative POSIX paths, sorted); links and special files are left out, as SageMaker does. */
async function regularFiles(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    const st = await lstat(path);
    if (st.isDirectory()) out.push(...(await regularFiles(path, base)));
    else if (st.isFile()) out.push(relative(base, path));
  }
  return out;
}
