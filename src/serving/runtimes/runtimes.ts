/**
 * Picks and prepares the runtime a model's definition names: `builtin` and `onnx` run in worker
 * threads; `container` (your server) and `python` (your inference.py handlers behind the bundled
 * `python/stratus_serve.py`) run as child processes speaking `/ping` and `/invocations`.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { failedPrecondition } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { scriptCommand } from '../../jobs/script-command.js';
import type { ModelRecord } from '../../store/metadata-store.js';
import type { ModelCache } from '../model-cache.js';
import { runtimeOf, type ModelSpec } from '../model-service.js';
import { WorkerReplica } from '../replica.js';
import { ProcessReplica, type ProcessLaunch, type ProcessReplicaOptions } from './process-replica.js';
import { sandboxedLaunch, type ReplicaPaths, type ReplicaSandbox } from './replica-sandbox.js';
import type { ModelRuntime } from './runtime.js';

/** The dependency-free Python server that hosts inference.py handlers. */
export const PYTHON_SERVER = fileURLToPath(new URL('./python/stratus_serve.py', import.meta.url));
const DEFAULT_HANDLER_MODULE = 'inference.py';

export interface ModelRuntimesDeps {
  modelCache: ModelCache;
  log: Logger;
  /** Interpreter of `python` models and of `.py` entry points (config `python`). */
  python: string;
  /** Config `invocationTimeoutMs`: the per-request limit of every replica, worker thread or process. */
  invocationTimeoutMs: number;
  /** Largest response taken from a process replica (the invocation limit). */
  maxResponseBytes: number;
  /** Parent of the HOME folders process replicas get (without a sandbox). */
  workRoot: string;
  /**
   * When the server is root: each process replica runs as a leased job user, from a copy of its
   * model in a folder of its own (replica-sandbox.ts). Absent: as the server's own user, from the cache.
   */
  sandbox?: ReplicaSandbox;
  /** Health-check and timing overrides of process replicas (tests). */
  processOptions?: Partial<Pick<ProcessReplicaOptions, 'startupTimeoutMs' | 'pingIntervalMs' | 'pingTimeoutMs' | 'unhealthyAfter' | 'stopGraceMs'>>;
}

export class ModelRuntimes {
  constructor(private readonly deps: ModelRuntimesDeps) {}

  /**
   * The runtime of a stored model, its artifact (and code bundle) extracted into the model cache.
   * @param label names the replicas in logs and messages, e.g. `variant 'AllTraffic'`.
   * @throws PlatformError FailedPrecondition when the code bundle lacks the entry point or handler module.
   */
  async forModel(model: ModelRecord, label: string): Promise<ModelRuntime> {
    const spec = model.spec as unknown as ModelSpec;
    const kind = runtimeOf(spec);
    const modelDir = await this.deps.modelCache.folderOf(model);
    const timeout = { invocationTimeoutMs: this.deps.invocationTimeoutMs };
    if (kind === 'builtin') {
      const algorithm = spec.algorithm!;
      return { kind, startReplica: (onDeath) => new WorkerReplica({ runtime: 'builtin', algorithm, modelDir }, onDeath, timeout) };
    }
    if (kind === 'onnx') return { kind, startReplica: (onDeath) => new WorkerReplica({ runtime: 'onnx', modelDir }, onDeath, timeout) };
    const launch = await this.#processLaunch(model, spec, modelDir);
    const options: ProcessReplicaOptions = {
      log: this.deps.log,
      label,
      invocationTimeoutMs: this.deps.invocationTimeoutMs,
      maxResponseBytes: this.deps.maxResponseBytes,
      ...this.deps.processOptions,
    };
    return { kind, startReplica: (onDeath) => new ProcessReplica(launch, options, onDeath) };
  }

  /** What a replica runs: the same for every replica, or (sandboxed) prepared per replica. */
  async #processLaunch(model: ModelRecord, spec: ModelSpec, modelDir: string): Promise<ProcessLaunch | (() => Promise<ProcessLaunch>)> {
    const id = `${model.name}-${model.createdAt.getTime()}`;
    const python = runtimeOf(spec) === 'python';
    const codeDir = spec.source
      ? await this.deps.modelCache.folderOfArtifact(`.code/${id}`, spec.source)
      : python ? join(modelDir, 'code') : modelDir;
    const entry = python ? (spec.entryPoint ?? DEFAULT_HANDLER_MODULE) : spec.entryPoint;
    if (entry && !existsSync(join(codeDir, entry))) {
      const where = spec.source ? `the code bundle ${spec.source}` : python ? "the model artifact's code/ folder" : 'the model artifact';
      const files = existsSync(codeDir) ? (await readdir(codeDir)).slice(0, 20).join(', ') || 'none' : 'none';
      throw failedPrecondition(`${python ? 'handler module' : 'entry point'} '${entry}' is not in ${where} (files there: ${files})`, { entryPoint: entry });
    }
    const run = python
      ? { command: this.deps.python, args: [PYTHON_SERVER], executable: false }
      : scriptCommand({ entryPoint: spec.entryPoint, command: spec.command, userArgs: [], python: this.deps.python, node: process.execPath });
    if (run.executable) await chmod(join(codeDir, spec.entryPoint!), 0o755);
    const launchIn = (paths: ReplicaPaths): ProcessLaunch => ({
      command: run.command,
      args: run.args,
      cwd: paths.codeDir,
      env: {
        PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
        HOME: paths.home,
        LANG: process.env.LANG ?? 'C.UTF-8',
        PYTHONUNBUFFERED: '1',
        PYTHONDONTWRITEBYTECODE: '1',
        PYTHONPATH: paths.codeDir,
        SAGEMAKER_SUBMIT_DIRECTORY: paths.codeDir,
        ...(python ? { SAGEMAKER_PROGRAM: entry! } : {}),
        ...spec.environment,
        SM_MODEL_DIR: paths.modelDir,
      },
    });
    const sandbox = this.deps.sandbox;
    if (sandbox) return () => sandboxedLaunch(sandbox, id, { modelDir, codeDir }, launchIn);
    const home = join(this.deps.workRoot, id);
    await mkdir(home, { recursive: true });
    return launchIn({ modelDir, codeDir, home });
  }
}
