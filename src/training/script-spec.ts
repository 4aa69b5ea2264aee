import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { TrainingScript } from '../contracts/training-job.js';
import { validationError } from '../core/errors.js';

/** A script job's code, as the store keeps it: the source bundle's URI and what to run. */
export interface ScriptSpec {
  /** Artifact URI of the source bundle (.tar.gz). */
  source: string;
  /** File in the bundle to run; hyperparameters follow as `--name value`. */
  entryPoint?: string;
  /** An explicit argv instead of an entry point. */
  command?: string[];
}

/**
 * Checks that `path` is relative and stays inside its folder: no leading `/`, no `.`/`..` or
 * empty segments, no backslash or control character.
 * @throws PlatformError ValidationError naming `field`.
 */
export function checkRelativePath(path: string, field: string): void {
  const segments = path.split('/');
  const bad = path.startsWith('/') || /[\\\u0000-\u001f]/.test(path) || segments.some((s) => s === '' || s === '.' || s === '..');
  if (bad) throw validationError(`${field} '${path}' must be a relative path inside its folder (no leading /, no . or .. segments)`, { field });
}

/** Validates a request's script: exactly one of entryPoint and command, a resolvable source. */
export async function normalizeScript(script: TrainingScript, resolveSource: (source: string) => Promise<string>): Promise<ScriptSpec> {
  if ((script.entryPoint === undefined) === (script.command === undefined)) {
    throw validationError('script needs exactly one of entryPoint (a file in the source bundle) and command (an explicit argv)', {
      field: script.entryPoint === undefined ? 'script.entryPoint' : 'script.command',
    });
  }
  if (script.entryPoint !== undefined) checkRelativePath(script.entryPoint, 'script.entryPoint');
  if (script.command?.some((arg) => arg.includes('\u0000'))) throw validationError('script.command holds a NUL character', { field: 'script.command' });
  return {
    source: await resolveSource(script.source),
    ...(script.entryPoint !== undefined ? { entryPoint: script.entryPoint } : {}),
    ...(script.command !== undefined ? { command: [...script.command] } : {}),
  };
}

/**
 * The URI of a script's source bundle, given as a URI of this store or a key.
 * @throws ValidationError naming `field` when it is not an artifact of this store.
 */
export async function resolveScriptSource(artifacts: ArtifactStore, source: string, field = 'script.source'): Promise<string> {
  let key: string;
  try {
    key = source.includes('://') ? artifacts.keyOf(source) : source;
    const info = await artifacts.stat(key);
    if (info) return info.uri;
  } catch (e) {
    throw validationError(`${field} '${source}' is not an artifact of this store: ${(e as Error).message}`, { field });
  }
  throw validationError(`${field} '${source}' does not exist; upload a .tar.gz of your code with PUT /api/v1/artifacts/uploads/<path>`, { field });
}
