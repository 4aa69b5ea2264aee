import { realpath, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packDirectory } from '../../artifacts/archive.js';
import { objectsUnderPrefix } from '../../artifacts/prefix.js';
import type { DatasetVersionRecord } from '../../store/metadata-store.js';
import { keyOfS3Url, type OpContext } from './context.js';
import { validationException } from './errors.js';

/*
 * What an `s3://` URL of a request names in Stratus: any bucket maps to the artifact store's root
 * (part 1's rule), and the URL of a dataset version's file (its `s3Uri`) names that version.
 */

/** A dataset version whose file is the object at `key` (the `s3Uri` a dataset version shows), if any. */
export async function datasetVersionOfKey(ctx: OpContext, key: string): Promise<DatasetVersionRecord | undefined> {
  const m = /^datasets\/([^/]+)\/[^/]+$/.exec(key);
  if (!m) return undefined;
  const { store, artifacts } = ctx.platform;
  if (!(await store.datasets.find(m[1]))) return undefined;
  const versions = await store.datasets.listVersions(m[1]);
  return versions.find((v) => {
    try {
      return artifacts.keyOf(v.uri) === key;
    } catch {
      return false;
    }
  });
}

/** SageMaker's message when an S3 prefix is empty (reference §1.4.3). */
const noObjects = (url: string, path: string) =>
  validationException(`No S3 objects found under S3 URL "${url}" given in input data source ('${path}'). Upload files with PUT /api/v1/artifacts/uploads/<path> (any bucket name maps to Stratus's artifact store root), or give a dataset version's s3Uri.`);

/** An S3Prefix URL as an artifact key prefix that holds at least one object. @throws ValidationException */
export async function prefixOfS3Url(ctx: OpContext, url: string, path: string): Promise<{ key: string; objects: string[] }> {
  const key = keyOfS3Url(url, path);
  let objects;
  try {
    objects = await objectsUnderPrefix(ctx.platform.artifacts, key, 2);
  } catch (e) {
    throw validationException(`'${path}' "${url}" is not a valid key prefix of Stratus's artifact store: ${(e as Error).message}`);
  }
  if (objects.length === 0) throw noObjects(url, path);
  return { key, objects: objects.map((o) => o.info.key) };
}

/**
 * A script-mode source (`sagemaker_submit_directory`) as an artifact key: an `s3://` URL of a
 * `.tar.gz` in the store; or a `file://` path under one of the configured `fileRoots` (a folder is
 * packed, a `.tar.gz` copied) uploaded to `uploads/sources/<job>/sourcedir.tar.gz`.
 * @returns the key, and whether this call uploaded it (so a failed create can remove it).
 * @throws ValidationException naming `path`.
 */
export async function sourceKeyOf(ctx: OpContext, url: string, job: string, path: string): Promise<{ key: string; uploaded: boolean }> {
  const { artifacts, config } = ctx.platform;
  if (url.startsWith('file://')) {
    const local = await allowedFile(url, config.fileRoots, path);
    const key = `uploads/sources/${job}/sourcedir.tar.gz`;
    const info = await stat(local);
    await artifacts.put(key, info.isDirectory() ? packDirectory(local) : createReadStream(local));
    return { key, uploaded: true };
  }
  if (!url.startsWith('s3://')) {
    throw validationException(`'${path}' must be an s3://<bucket>/<key> URL of a sourcedir.tar.gz in Stratus's artifact store, or a file:// path under a folder of the fileRoots setting; got "${url}".`);
  }
  const key = keyOfS3Url(url, path);
  const found = await artifacts.stat(key).catch(() => undefined);
  if (!found) {
    throw validationException(`'${path}' names ${url}, but there is no object '${key}' in Stratus's artifact store; upload the sourcedir.tar.gz with PUT /api/v1/artifacts/uploads/<path>.`);
  }
  return { key, uploaded: false };
}

/** The real path of a `file://` URL, which must lie inside one of `roots`. @throws ValidationException */
async function allowedFile(url: string, roots: readonly string[], path: string): Promise<string> {
  const refuse = (why: string) =>
    validationException(`'${path}' "${url}" ${why}. file:// sources are read only under the folders of the fileRoots setting (STRATUS_FILE_ROOTS, colon-separated; ${roots.length ? `now: ${roots.join(':')}` : 'none set'}).`);
  let local: string;
  try {
    local = fileURLToPath(url);
  } catch {
    throw refuse('is not a valid file:// URL');
  }
  if (roots.length === 0) throw refuse('is not allowed');
  const real = await realpath(local).catch(() => undefined);
  if (!real) throw refuse('does not exist');
  for (const root of roots) {
    const realRoot = await realpath(root).catch(() => undefined);
    if (!realRoot) continue;
    const rel = relative(realRoot, real);
    if (rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel))) return real;
  }
  throw refuse('is outside the allowed folders');
}
