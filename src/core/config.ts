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
  /** `sqlite:<path>` (default: `<home>/stratus.db`) or `postgres://…`. */
  readonly databaseUrl: string;
  /** `file://<folder>` (default: `<home>/artifacts`) or, later, `s3://…`. */
  readonly artifactUrl: string;
  /** Admin token; when absent one is generated at first start and kept in the data folder. */
  readonly token: string | undefined;
  /** An admin SigV4 access key pair for the SageMaker-compatible API, created (or updated) at start. */
  readonly accessKeyId: string | undefined;
  readonly secretAccessKey: string | undefined;
  readonly logLevel: LogConfig['level'];
  /** Largest dataset upload accepted, in bytes. */
  readonly maxUploadBytes: number;
  /** Largest invocation body accepted, in bytes (SageMaker: 6 MB). */
  readonly maxInvocationBytes: number;
  /** How long an endpoint waits for a replica of your inference code to answer (SageMaker: 60 s). */
  readonly invocationTimeoutMs: number;
  /** What the local executor may hand out to jobs and replicas. */
  readonly executor: { readonly cpus: number; readonly memoryMiB: number };
  /** The Python interpreter that script jobs, `python` model runtimes and parity tools use. */
  readonly python: string;
  /**
   * Absolute folders whose files the SageMaker-compatible API may read when a request names a
   * `file://` URL (e.g. `sagemaker_submit_directory`). None by default: `file://` is refused.
   */
  readonly fileRoots: readonly string[];
}

/** Environment variables the loader reads, and the config key each sets. */
export const ENV_VARS = {
  STRATUS_HOME: 'home',
  STRATUS_HOST: 'host',
  STRATUS_PORT: 'port',
  STRATUS_DATABASE_URL: 'databaseUrl',
  STRATUS_ARTIFACT_URL: 'artifactUrl',
  STRATUS_TOKEN: 'token',
  STRATUS_ACCESS_KEY_ID: 'accessKeyId',
  STRATUS_SECRET_ACCESS_KEY: 'secretAccessKey',
  STRATUS_LOG_LEVEL: 'logLevel',
  STRATUS_MAX_UPLOAD_BYTES: 'maxUploadBytes',
  STRATUS_MAX_INVOCATION_BYTES: 'maxInvocationBytes',
  STRATUS_INVOCATION_TIMEOUT_MS: 'invocationTimeoutMs',
  STRATUS_EXECUTOR_CPUS: 'executorCpus',
  STRATUS_EXECUTOR_MEMORY_MIB: 'executorMemoryMiB',
  STRATUS_PYTHON: 'python',
  STRATUS_FILE_ROOTS: 'fileRoots',
} as const;

type Key = (typeof ENV_VARS)[keyof typeof ENV_VARS];
/** Raw settings from one source, before defaults and validation. */
export type ConfigInput = Partial<Record<Key, string | number | undefined>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const NUMERIC_KEYS: Key[] = ['port', 'maxUploadBytes', 'maxInvocationBytes', 'invocationTimeoutMs', 'executorCpus', 'executorMemoryMiB'];

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
    databaseUrl: normalizeDatabaseUrl(input.databaseUrl, home),
    artifactUrl: normalizeArtifactUrl(input.artifactUrl, home, cwd),
    token: input.token === undefined ? undefined : String(input.token),
    ...accessKeyPair(input),
    logLevel,
    maxUploadBytes: Number(input.maxUploadBytes ?? 1024 ** 3),
    maxInvocationBytes: Number(input.maxInvocationBytes ?? 6 * 1024 ** 2),
    invocationTimeoutMs: Number(input.invocationTimeoutMs ?? 60_000),
    executor: Object.freeze({
      cpus: Number(input.executorCpus ?? cpus().length),
      memoryMiB: Number(input.executorMemoryMiB ?? Math.floor(totalmem() / 1024 ** 2)),
    }),
    python: String(input.python ?? '/usr/bin/python3'),
    fileRoots: Object.freeze(fileRoots(input.fileRoots)),
  });
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

function accessKeyPair(input: ConfigInput): { accessKeyId: string | undefined; secretAccessKey: string | undefined } {
  const id = input.accessKeyId === undefined ? undefined : String(input.accessKeyId);
  const secret = input.secretAccessKey === undefined ? undefined : String(input.secretAccessKey);
  if ((id === undefined) !== (secret === undefined)) {
    throw validationError('set both STRATUS_ACCESS_KEY_ID and STRATUS_SECRET_ACCESS_KEY, or neither');
  }
  return { accessKeyId: id, secretAccessKey: secret };
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
