import { posix } from 'node:path';
import type { ArtifactInfo, ArtifactStore } from './artifact-store.js';

/** An object under a prefix and the path it gets when the prefix is copied into a folder. */
export interface PrefixedObject {
  info: ArtifactInfo;
  /** Relative POSIX path inside the target folder. */
  relative: string;
}

/**
 * The objects whose key starts with `prefix` (an S3-style string prefix, as SageMaker's
 * `S3Prefix`), in key order, with the relative path each gets when the prefix is downloaded into
 * a folder. As the SageMaker Python SDK's local mode (`download_folder`) does: an object named
 * exactly by the prefix keeps its file name; any other object keeps the part of its key after the
 * prefix, without leading slashes.
 * @throws ValidationError (from the store) for a prefix that is not a valid key path.
 */
export async function objectsUnderPrefix(store: ArtifactStore, prefix: string, limit = 10_000): Promise<PrefixedObject[]> {
  const clean = prefix.replace(/^\/+/, '');
  const exact = clean.endsWith('/') || clean === '' ? undefined : await store.stat(clean);
  if (exact) return [{ info: exact, relative: posix.basename(clean) }];
  const folder = clean.includes('/') ? clean.slice(0, clean.lastIndexOf('/')) : '';
  const out: PrefixedObject[] = [];
  for await (const info of store.list(folder)) {
    if (!info.key.startsWith(clean)) continue;
    const relative = info.key.slice(clean.length).replace(/^\/+/, '');
    if (relative === '') continue;
    out.push({ info, relative });
    if (out.length >= limit) break;
  }
  return out;
}
