import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { extractArchive } from '../artifacts/archive.js';
import { randomSuffix } from '../core/ids.js';
import type { ModelRecord } from '../store/metadata-store.js';
import type { ModelSpec } from './model-service.js';

const ARCHIVE_NAME = /\.(tar\.gz|tgz|tar)$/i;

/** A gzip stream (1f 8b) or a POSIX tar ("ustar" at offset 257). */
const looksLikeArchive = (head: Buffer) =>
  (head[0] === 0x1f && head[1] === 0x8b) || head.subarray(257, 262).toString('latin1') === 'ustar';

/** The first `n` bytes of a stream (fewer if it is shorter), and a stream of all of it. */
async function peek(stream: Readable, n: number): Promise<{ head: Buffer; all: Readable }> {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < n) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    chunks.push(r.value);
    length += r.value.length;
  }
  const head = Buffer.concat(chunks);
  async function* rest() {
    yield head;
    while (!ended) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { head, all: Readable.from(rest(), { objectMode: false }) };
}

/**
 * Model artifacts extracted once into a local folder that replicas load from. An artifact that
 * is not an archive (a bare `model.onnx`) is copied into the folder under its own file name.
 */
export class ModelCache {
  #inflight = new Map<string, Promise<string>>();

  constructor(private readonly root: string, private readonly artifacts: ArtifactStore) {}

  /** The local folder holding the model's extracted artifact. */
  folderOf(model: ModelRecord): Promise<string> {
    const spec = model.spec as unknown as ModelSpec;
    return this.folderOfArtifact(`${model.name}-${model.createdAt.getTime()}`, spec.artifactUri);
  }

  /**
   * The local folder holding an extracted model.tar.gz, extracted on first use.
   * @param id names the folder; it must change whenever the artifact at `uri` may have (models
   *   use name and creation time). Model names start with a letter or digit, so ids of other
   *   owners start with `.` (e.g. `.training-jobs/<name>-<created>`) and never collide with them.
   */
  folderOfArtifact(id: string, uri: string): Promise<string> {
    const dir = join(this.root, id);
    if (existsSync(dir)) return Promise.resolve(dir);
    let p = this.#inflight.get(dir);
    if (!p) {
      p = this.#extract(uri, dir).finally(() => this.#inflight.delete(dir));
      this.#inflight.set(dir, p);
    }
    return p;
  }

  async #extract(uri: string, dir: string): Promise<string> {
    const tmp = `${dir}.tmp-${randomSuffix()}`;
    await mkdir(tmp, { recursive: true });
    try {
      const key = this.artifacts.keyOf(uri);
      const { head, all } = await peek(await this.artifacts.get(key), 512);
      if (ARCHIVE_NAME.test(key) || looksLikeArchive(head)) await extractArchive(all, tmp);
      else await pipeline(all, createWriteStream(join(tmp, posix.basename(key))));
      await rename(tmp, dir);
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      if (!existsSync(dir)) throw e;
    }
    return dir;
  }
}
