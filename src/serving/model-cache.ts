import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { extractArchive } from '../artifacts/archive.js';
import { randomSuffix } from '../core/ids.js';
import type { ModelRecord } from '../store/metadata-store.js';
import type { ModelSpec } from './model-service.js';

/** Model artifacts extracted once into a local folder that replicas load from. */
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
      await extractArchive(await this.artifacts.get(this.artifacts.keyOf(uri)), tmp);
      await rename(tmp, dir);
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      if (!existsSync(dir)) throw e;
    }
    return dir;
  }
}
