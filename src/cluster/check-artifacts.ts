import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Readable } from 'node:stream';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { openArtifactStore } from '../artifacts/uri.js';
import type { StratusConfig } from '../core/config.js';
import { isPlatformError } from '../core/errors.js';
import type { CheckResult } from './cluster-check.js';

/** Where probe objects go, under the store's root (the S3 prefix). */
export const PROBE_PREFIX = 'cluster-check';
const PROBE_BYTES = 64 * 1024;

/**
 * Writes, reads whole and by range, lists and deletes a probe object under the store's root,
 * as the server and the Slurm hosts will: the same store implementation and settings.
 */
export async function checkArtifacts(config: StratusConfig, timeoutMs: number): Promise<CheckResult> {
  const s3 = config.artifactUrl.startsWith('s3:');
  let store: ArtifactStore;
  try {
    store = openArtifactStore(config.artifactUrl, { s3: config.s3 });
  } catch (e) {
    return { check: 'artifact store', status: 'fail', detail: (e as Error).message, fix: 'fix STRATUS_ARTIFACT_URL (s3://bucket/prefix or file:///folder)' };
  }
  try {
    await probe(store, timeoutMs);
  } catch (e) {
    return { check: 'artifact store', status: 'fail', detail: `${store.rootUri}: ${(e as Error).message}`, fix: s3 ? s3Fix(e, config) : 'create the folder and let the server’s user write it' };
  } finally {
    await store.close?.().catch(() => undefined);
  }
  const what = `${store.rootUri}: wrote, read (whole and a byte range), listed and deleted a probe object`;
  const sharedFolder = !s3 && (config.executor.kind === 'slurm' || /^postgres(ql)?:\/\//.test(config.databaseUrl));
  if (sharedFolder) {
    return {
      check: 'artifact store', status: 'warn', detail: `${what}; a folder store works for several nodes or Slurm hosts only at the same path on every one (a shared mount)`,
      fix: 'use an S3 bucket: STRATUS_ARTIFACT_URL=s3://bucket/prefix with STRATUS_S3_ENDPOINT and credentials',
    };
  }
  return { check: 'artifact store', status: 'pass', detail: what };
}

async function probe(store: ArtifactStore, timeoutMs: number): Promise<void> {
  const folder = `${PROBE_PREFIX}/${hostname().replace(/[^A-Za-z0-9.-]/g, '_')}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const key = `${folder}/probe.bin`;
  const body = randomBytes(PROBE_BYTES);
  const signal = AbortSignal.timeout(timeoutMs);
  await step('write', store.put(key, body, { signal }), signal);
  let failure: unknown;
  try {
    const whole = await step('read', store.getBytes(key), signal);
    if (!whole.equals(body)) throw new Error(`read: got ${whole.length} bytes that differ from the ${body.length} written`);
    const part = await step('ranged read', collect(await store.get(key, { start: 1000, end: 4999, signal })), signal);
    if (!part.equals(body.subarray(1000, 5000))) throw new Error(`ranged read: bytes 1000-4999 came back as ${part.length} other bytes`);
    const listed = await step('list', keysUnder(store, `${folder}/`), signal);
    if (!listed.includes(key)) throw new Error(`list: ${folder}/ lists ${listed.length === 0 ? 'nothing' : listed.join(', ')}, not ${key}`);
  } catch (e) {
    failure = e;
  }
  // The probe object goes whatever failed before, within a deadline of its own.
  const cleanup = failure ? AbortSignal.timeout(timeoutMs) : signal;
  try {
    await step('delete', store.delete(folder), cleanup);
    if (await step('delete', store.stat(key), cleanup)) throw new Error(`delete: ${key} is still there after deleting it`);
  } catch (e) {
    failure ??= e;
  }
  if (failure) throw failure;
}

/** Runs one step of the probe, naming it in its failure; a step past the deadline fails as a timeout. */
async function step<T>(name: string, work: Promise<T>, signal: AbortSignal): Promise<T> {
  let onAbort: (() => void) | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Error(`${name}: no answer before the deadline`));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, timedOut]);
  } catch (e) {
    const message = (e as Error).message;
    throw Object.assign(new Error(message.startsWith(`${name}:`) ? message : `${name} failed: ${message}`), { cause: e });
  } finally {
    signal.removeEventListener('abort', onAbort!);
    work.catch(() => undefined);
  }
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function keysUnder(store: ArtifactStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const a of store.list(prefix)) keys.push(a.key);
  return keys;
}

function s3Fix(e: unknown, config: StratusConfig): string {
  const cause = (e as { cause?: unknown }).cause;
  const code = isPlatformError(cause) ? String(cause.details?.s3Code ?? '') : '';
  const bucket = new URL(config.artifactUrl).hostname;
  const endpoint = config.s3.endpoint ? ` --endpoint-url ${config.s3.endpoint}` : '';
  if (code === 'NoSuchBucket') return `create the bucket (aws s3 mb s3://${bucket}${endpoint}), or fix the bucket in STRATUS_ARTIFACT_URL`;
  if (/^(ECONN|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|TimeoutError)/.test(code) || /deadline/.test((e as Error).message)) {
    return 'check STRATUS_S3_ENDPOINT (scheme, host and port) and that this machine reaches it';
  }
  return 'check STRATUS_S3_ACCESS_KEY_ID / STRATUS_S3_SECRET_ACCESS_KEY (or the AWS default chain) and that they may put, get, list and delete objects under the prefix';
}
