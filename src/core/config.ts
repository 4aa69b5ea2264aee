import { readFileSync, existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { validationError } from './errors.js';
import type { LogConfig } from './logger.js';

/** The platform's configuration, validated once at startup and frozen. */
export interface StratusConfig {
  /** Data folder: the SQLite file, artifacts, job folders, the generated token. */
  readonly home: string;
  readonly host: string;
  readonly port: number;
  /**
   * The URL jobs (and their hosts, with Slurm) reach the API at, as `STRATUS_API_URL`; behind a
   * load balancer, its URL. Absent: where this node listens (loopback when that is every interface).
   */
  readonly advertisedUrl: string | undefined;
  /** `sqlite:<path>` (default: `<home>/stratus.db`) or `postgres://…`. */
  readonly databaseUrl: string;
  /** `file://<folder>` (default: `<home>/artifacts`) or `s3://bucket[/prefix]`. */
  readonly artifactUrl: string;
  /** How an `s3://` artifact store reaches its service; unset fields fall back to the AWS SDK's defaults. */
  readonly s3: S3Settings;
  /** Admin token; when absent one is generated at first start and kept in the data folder. */
  readonly token: string | undefined;
  /** An admin SigV4 access key pair for the SageMaker-compatible API, created (or updated) at start. */
  readonly accessKeyId: string | undefined;
  readonly secretAccessKey: string | undefined;
  /**
   * The key that seals SigV4 access-key secrets in the database (base64 of 32 bytes), from
   * STRATUS_SEALING_KEY or the file STRATUS_SEALING_KEY_FILE names. Absent: the data folder's
   * `access-key-sealing.key`, created at first start (fine for one node; a cluster shares one key).
   */
  readonly sealingKey: string | undefined;
  readonly logLevel: LogConfig['level'];
  /** Largest dataset upload accepted, in bytes. */
  readonly maxUploadBytes: number;
  /** Largest invocation body accepted, in bytes (SageMaker: 6 MB). */
  readonly maxInvocationBytes: number;
  /** How long an endpoint waits for a replica of your inference code to answer (SageMaker: 60 s). */
  readonly invocationTimeoutMs: number;
  /**
   * Where training jobs run (`kind`: `local` child processes, or `slurm` jobs on a cluster) and
   * what the local executor may hand out to jobs and replicas.
   */
  readonly executor: { readonly kind: 'local' | 'slurm'; readonly cpus: number; readonly memoryMiB: number };
  /** How the Slurm executor reaches its cluster (used when `executor.kind` is `slurm`). */
  readonly slurm: SlurmSettings;
  /** The Python interpreter that script jobs, `python` model runtimes and parity tools use. */
  readonly python: string;
  /**
   * Absolute folders whose files the SageMaker-compatible API may read when a request names a
   * `file://` URL (e.g. `sagemaker_submit_directory`). None by default: `file://` is refused.
   */
  readonly fileRoots: readonly string[];
  /** Serve the Prometheus `GET /metrics` without a token (for a scraper on a trusted network). Default false: admin or reader token. */
  readonly metricsPublic: boolean;
  /**
   * The OS user local job processes and inference replicas run as, when the server runs as root
   * (see `src/jobs/job-sandbox.ts`). Absent: a user of its own per running job or replica, leased
   * from the pool `stratus-job-<n>` (created on first use; `nobody` where they cannot be). A name:
   * that user for all of them (shared). `server`: the server's own user (no isolation). Ignored
   * when the server is not root: jobs then always run as the server's user.
   */
  readonly jobUser: string | undefined;
  /**
   * Folder holding the local job folders. Absent: `<tmpdir>/stratus-jobs-<hash of home>` when jobs
   * run as their own user (outside the data folder, which that user cannot enter), else `<home>/jobs`.
   */
  readonly jobsDir: string | undefined;
}

/** Connection settings of an `s3://` artifact store (see `S3ConnectionOptions`). */
export interface S3Settings {
  /** e.g. `http://127.0.0.1:8080`; absent: AWS S3. */
  readonly endpoint?: string;
  /** Absent: the SDK's (AWS_REGION, ~/.aws/config), or `us-east-1` with an endpoint. */
  readonly region?: string;
  /** Both or neither; absent: the SDK's default credential chain (AWS_ACCESS_KEY_ID, ~/.aws, instance role). */
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  /** Path-style bucket addressing; defaults to true when an endpoint is set. */
  readonly forcePathStyle?: boolean;
}

/** The Slurm executor's settings: it drives the Slurm CLI (sbatch, squeue, scancel, sinfo) on PATH. */
export interface SlurmSettings {
  /** `SLURM_CONF` for the CLI; absent: Slurm's default (/etc/slurm/slurm.conf). */
  readonly conf?: string;
  /** Partition jobs go to; absent: the cluster's default partition. */
  readonly partition?: string;
  /** Folder on each host where a job's folder is built (node-local disk); default the hosts' /tmp. */
  readonly workDir: string;
  /** How often job states and logs are polled, in ms. */
  readonly pollMs: number;
}

/** Environment variables the loader reads, and the config key each sets. */
export const ENV_VARS = {
  STRATUS_HOME: 'home',
  STRATUS_HOST: 'host',
  STRATUS_PORT: 'port',
  STRATUS_ADVERTISED_URL: 'advertisedUrl',
  STRATUS_DATABASE_URL: 'databaseUrl',
  STRATUS_ARTIFACT_URL: 'artifactUrl',
  STRATUS_S3_ENDPOINT: 's3Endpoint',
  STRATUS_S3_REGION: 's3Region',
  STRATUS_S3_ACCESS_KEY_ID: 's3AccessKeyId',
  STRATUS_S3_SECRET_ACCESS_KEY: 's3SecretAccessKey',
  STRATUS_S3_FORCE_PATH_STYLE: 's3ForcePathStyle',
  STRATUS_TOKEN: 'token',
  STRATUS_ACCESS_KEY_ID: 'accessKeyId',
  STRATUS_SECRET_ACCESS_KEY: 'secretAccessKey',
  STRATUS_SEALING_KEY: 'sealingKey',
  STRATUS_SEALING_KEY_FILE: 'sealingKeyFile',
  STRATUS_LOG_LEVEL: 'logLevel',
  STRATUS_MAX_UPLOAD_BYTES: 'maxUploadBytes',
  STRATUS_MAX_INVOCATION_BYTES: 'maxInvocationBytes',
  STRATUS_INVOCATION_TIMEOUT_MS: 'invocationTimeoutMs',
  STRATUS_EXECUTOR: 'executor',
  STRATUS_EXECUTOR_CPUS: 'executorCpus',
  STRATUS_EXECUTOR_MEMORY_MIB: 'executorMemoryMiB',
  STRATUS_SLURM_CONF: 'slurmConf',
  STRATUS_SLURM_PARTITION: 'slurmPartition',
  STRATUS_SLURM_WORK_DIR: 'slurmWorkDir',
  STRATUS_SLURM_POLL_MS: 'slurmPollMs',
  STRATUS_PYTHON: 'python',
  STRATUS_FILE_ROOTS: 'fileRoots',
  STRATUS_METRICS_PUBLIC: 'metricsPublic',
  STRATUS_JOB_USER: 'jobUser',
  STRATUS_JOBS_DIR: 'jobsDir',
} as const;

type Key = (typeof ENV_VARS)[keyof typeof ENV_VARS];
/** Raw settings from one source, before defaults and validation. */
export type ConfigInput = Partial<Record<Key, string | number | undefined>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const NUMERIC_KEYS: Key[] = ['port', 'maxUploadBytes', 'maxInvocationBytes', 'invocationTimeoutMs', 'executorCpus', 'executorMemoryMiB', 'slurmPollMs'];

export interface LoadConfigOptions {
  /** Highest precedence: command-line flags. */
  flags?: ConfigInput;
  env?: NodeJS.ProcessEnv;
  /** A JSON config file; defaults to `$STRATUS_CONFIG` or `./stratus.config.json` when it exists. */
  configFile?: string;
  cwd?: string;
}

/** Builds the config from flags, then environment, then config file, then defaults. */
export function loadConfig(options: LoadConfigOptions = {}): StratusConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const fromEnv = readEnv(env);
  const file = options.configFile ?? env.STRATUS_CONFIG ?? defaultConfigFile(cwd);
  const fromFile = file ? readConfigFile(resolve(cwd, file)) : {};
  const merged: ConfigInput = { ...fromFile, ...dropUndefined(fromEnv), ...dropUndefined(options.flags ?? {}) };
  return buildConfig(merged, cwd);
}

function readEnv(env: NodeJS.ProcessEnv): ConfigInput {
  const out: ConfigInput = {};
  for (const [name, key] of Object.entries(ENV_VARS)) {
    const v = env[name];
    if (v !== undefined && v !== '') out[key] = v;
  }
  return out;
}

function defaultConfigFile(cwd: string) {
  const p = join(cwd, 'stratus.config.json');
  return existsSync(p) ? p : undefined;
}

function readConfigFile(path: string): ConfigInput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw validationError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw validationError(`config file ${path} must hold a JSON object`);
  }
  const known = new Set<string>(Object.values(ENV_VARS));
  for (const k of Object.keys(parsed)) {
    if (!known.has(k)) throw validationError(`config file ${path}: unknown setting '${k}'; known: ${[...known].join(', ')}`);
  }
  return parsed as ConfigInput;
}

const dropUndefined = (o: ConfigInput) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as ConfigInput;

function buildConfig(input: ConfigInput, cwd: string): StratusConfig {
  for (const k of NUMERIC_KEYS) {
    const v = input[k];
    if (v !== undefined && !(Number.isFinite(Number(v)) && Number(v) >= 0)) {
      throw validationError(`setting '${k}' must be a non-negative number, got '${v}'`);
    }
  }
  const home = resolve(cwd, String(input.home ?? '.stratus'));
  const logLevel = String(input.logLevel ?? 'info') as LogConfig['level'];
  if (!LOG_LEVELS.includes(logLevel)) throw validationError(`logLevel must be one of ${LOG_LEVELS.join(', ')}`);
  const port = Number(input.port ?? 8080);
  if (!Number.isInteger(port) || port > 65535) throw validationError(`port must be an integer 0..65535, got '${input.port}'`);
  return Object.freeze({
    home,
    host: String(input.host ?? '127.0.0.1'),
    port,
    advertisedUrl: advertisedUrl(input.advertisedUrl),
    databaseUrl: normalizeDatabaseUrl(input.databaseUrl, home),
    artifactUrl: normalizeArtifactUrl(input.artifactUrl, home, cwd),
    s3: s3Settings(input),
    token: input.token === undefined ? undefined : String(input.token),
    ...accessKeyPair(input),
    sealingKey: sealingKey(input, cwd),
    logLevel,
    maxUploadBytes: Number(input.maxUploadBytes ?? 1024 ** 3),
    maxInvocationBytes: Number(input.maxInvocationBytes ?? 6 * 1024 ** 2),
    invocationTimeoutMs: Number(input.invocationTimeoutMs ?? 60_000),
    executor: Object.freeze({
      kind: executorKind(input.executor),
      cpus: Number(input.executorCpus ?? cpus().length),
      memoryMiB: Number(input.executorMemoryMiB ?? Math.floor(totalmem() / 1024 ** 2)),
    }),
    slurm: slurmSettings(input, cwd),
    python: String(input.python ?? '/usr/bin/python3'),
    fileRoots: Object.freeze(fileRoots(input.fileRoots)),
    metricsPublic: flag('metricsPublic', input.metricsPublic),
    jobUser: input.jobUser === undefined ? undefined : String(input.jobUser),
    jobsDir: input.jobsDir === undefined ? undefined : resolve(cwd, String(input.jobsDir)),
  });
}

function advertisedUrl(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  const v = String(value).replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw validationError(`advertisedUrl must be an http:// or https:// URL, got '${v}'`);
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.search || url.hash || url.username || url.password) {
    throw validationError(`advertisedUrl must be an http:// or https:// URL without credentials, query or fragment, got '${v}'`);
  }
  return v;
}

function executorKind(value: unknown): 'local' | 'slurm' {
  const v = value === undefined || value === '' ? 'local' : String(value);
  if (v !== 'local' && v !== 'slurm') throw validationError(`executor must be 'local' or 'slurm', got '${v}'`);
  return v;
}

function slurmSettings(input: ConfigInput, cwd: string): SlurmSettings {
  const str = (v: ConfigInput[Key]) => (v === undefined || v === '' ? undefined : String(v));
  const conf = str(input.slurmConf);
  const partition = str(input.slurmPartition);
  const workDir = str(input.slurmWorkDir) ?? '/tmp';
  if (!isAbsolute(workDir)) throw validationError(`slurmWorkDir must be an absolute path (a folder on every host), got '${workDir}'`);
  const pollMs = Number(input.slurmPollMs ?? 1000);
  if (pollMs < 100) throw validationError(`slurmPollMs must be at least 100, got '${input.slurmPollMs}'`);
  return Object.freeze({
    ...(conf !== undefined ? { conf: resolve(cwd, conf) } : {}),
    ...(partition !== undefined ? { partition } : {}),
    workDir,
    pollMs,
  });
}

/** A yes/no setting: true/1/yes or false/0/no (a config file may give a JSON boolean). */
function flag(key: string, value: unknown): boolean {
  if (value === undefined || value === '') return false;
  const v = String(value).toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  throw validationError(`setting '${key}' must be true or false, got '${value}'`);
}

/** `STRATUS_FILE_ROOTS`: colon-separated absolute folders (a config file may give a JSON array). */
function fileRoots(value: unknown): string[] {
  if (value === undefined || value === '') return [];
  const list = Array.isArray(value) ? value.map(String) : String(value).split(':').filter((p) => p !== '');
  for (const p of list) {
    if (!isAbsolute(p)) throw validationError(`fileRoots: '${p}' is not an absolute path`);
  }
  return list.map((p) => resolve(p));
}

function s3Settings(input: ConfigInput): S3Settings {
  const str = (v: ConfigInput[Key]) => (v === undefined || v === '' ? undefined : String(v));
  const endpoint = str(input.s3Endpoint);
  if (endpoint !== undefined && !/^https?:\/\/[^/]+/.test(endpoint)) {
    throw validationError(`s3Endpoint must be an http:// or https:// URL, got '${endpoint}'`);
  }
  const accessKeyId = str(input.s3AccessKeyId);
  const secretAccessKey = str(input.s3SecretAccessKey);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw validationError('set both STRATUS_S3_ACCESS_KEY_ID and STRATUS_S3_SECRET_ACCESS_KEY, or neither (to use the AWS default credential chain)');
  }
  const pathStyle = str(input.s3ForcePathStyle);
  if (pathStyle !== undefined && !['true', 'false', '1', '0'].includes(pathStyle)) {
    throw validationError(`s3ForcePathStyle must be true or false, got '${pathStyle}'`);
  }
  const forcePathStyle = pathStyle === undefined ? (endpoint !== undefined ? true : undefined) : pathStyle === 'true' || pathStyle === '1';
  const region = str(input.s3Region);
  return Object.freeze({
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(region !== undefined ? { region } : {}),
    ...(accessKeyId !== undefined ? { accessKeyId, secretAccessKey } : {}),
    ...(forcePathStyle !== undefined ? { forcePathStyle } : {}),
  });
}

function accessKeyPair(input: ConfigInput): { accessKeyId: string | undefined; secretAccessKey: string | undefined } {
  const id = input.accessKeyId === undefined ? undefined : String(input.accessKeyId);
  const secret = input.secretAccessKey === undefined ? undefined : String(input.secretAccessKey);
  if ((id === undefined) !== (secret === undefined)) {
    throw validationError('set both STRATUS_ACCESS_KEY_ID and STRATUS_SECRET_ACCESS_KEY, or neither');
  }
  return { accessKeyId: id, secretAccessKey: secret };
}

/** STRATUS_SEALING_KEY, or the content of the file STRATUS_SEALING_KEY_FILE names (not both). */
function sealingKey(input: ConfigInput, cwd: string): string | undefined {
  const value = input.sealingKey === undefined || input.sealingKey === '' ? undefined : String(input.sealingKey);
  const file = input.sealingKeyFile === undefined || input.sealingKeyFile === '' ? undefined : resolve(cwd, String(input.sealingKeyFile));
  if (value !== undefined && file !== undefined) throw validationError('set STRATUS_SEALING_KEY or STRATUS_SEALING_KEY_FILE, not both');
  if (file === undefined) {
    if (value !== undefined) parseSealingKey(value, 'STRATUS_SEALING_KEY');
    return value?.trim();
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw validationError(`cannot read STRATUS_SEALING_KEY_FILE ${file}: ${(e as Error).message}`);
  }
  parseSealingKey(text, `STRATUS_SEALING_KEY_FILE ${file}`);
  return text;
}

/** A sealing key from its base64 text. @throws ValidationError naming `where` unless it is 32 bytes in base64. */
export function parseSealingKey(text: string, where: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32 || key.toString('base64') !== text.trim()) {
    throw validationError(`${where} must hold 32 random bytes in base64 (44 characters), e.g. from \`openssl rand -base64 32\``);
  }
  return key;
}

function normalizeDatabaseUrl(url: string | number | undefined, home: string): string {
  if (url === undefined) return `sqlite:${join(home, 'stratus.db')}`;
  const s = String(url);
  if (s.startsWith('postgres://') || s.startsWith('postgresql://') || s.startsWith('sqlite:')) return s;
  throw validationError(`databaseUrl must start with sqlite: or postgres://, got '${s}'`);
}

function normalizeArtifactUrl(url: string | number | undefined, home: string, cwd: string): string {
  if (url === undefined) return pathToFileURL(join(home, 'artifacts')).href;
  const s = String(url);
  if (s.startsWith('file://') || s.startsWith('s3://')) return s;
  if (isAbsolute(s) || !s.includes(':')) return pathToFileURL(resolve(cwd, s)).href;
  throw validationError(`artifactUrl must be file://… or s3://…, got '${s}'`);
}
