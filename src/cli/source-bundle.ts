import { createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { packDirectory } from '../artifacts/archive.js';
import type { StratusClient } from '../sdk/index.js';
import { UsageError } from './errors.js';

/**
 * Turns `--source` into the artifact URI a script job takes: a local folder is packed as
 * `sourcedir.tar.gz` (files at the archive root) and uploaded, a local .tar.gz is uploaded as it
 * is (both to `uploads/sources/<job>/`), and an artifact URI or key is passed through.
 */
export async function resolveSource(client: StratusClient, job: string, source: string, cwd: string): Promise<string> {
  const local = resolve(cwd, source);
  if (!existsSync(local)) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source) || source.startsWith('uploads/')) return source;
    throw new UsageError(`--source '${source}' is neither a local folder or file nor an artifact URI`, 'give a folder of code, a .tar.gz of it, or the uri of an uploaded bundle');
  }
  if (!(await stat(local)).isDirectory()) return (await client.artifacts.upload(`sources/${job}/${basename(local)}`, local)).uri;
  const temp = await mkdtemp(join(tmpdir(), 'stratus-source-'));
  try {
    const bundle = join(temp, 'sourcedir.tar.gz');
    await pipeline(packDirectory(local), createWriteStream(bundle));
    return (await client.artifacts.upload(`sources/${job}/sourcedir.tar.gz`, bundle)).uri;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}
