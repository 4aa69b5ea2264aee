/**
 * The clf_1m data set of the benchmarks (800k × 28 train, 200k test, binary, label first, no
 * header), generated once into bench/data/clf_1m (git-ignored) with the anchors' generator and
 * reused by every bench that needs it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHARED } from '../test/helpers/shared.js';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DATA = join(REPO, 'bench', 'data');
export const PYTHON = process.env.STRATUS_PYTHON ?? '/usr/bin/python3';
export const GEN_DATA = join(SHARED, 'anchors', 'gen_data.py');
export const TRAIN_CSV = join(DATA, 'clf_1m', 'train.csv');
export const TEST_CSV = join(DATA, 'clf_1m', 'test.csv');
/** Thread limits for the Python references, matching our 2-thread runs. */
export const THREAD_ENV = { OMP_NUM_THREADS: '2', OPENBLAS_NUM_THREADS: '2' };

/** Generates clf_1m when its CSVs are missing (about a minute). */
export function ensureClf1m(): void {
  if (existsSync(TRAIN_CSV) && existsSync(TEST_CSV)) return;
  console.log(`generating clf_1m into ${DATA} (about a minute)…`);
  const run = spawnSync(PYTHON, [GEN_DATA, '--only', 'clf_1m', '--out', DATA], { stdio: 'inherit' });
  if (run.status !== 0) throw new Error(`${GEN_DATA} failed (needs scikit-learn and pandas for ${PYTHON})`);
}

/**
 * The training CSV cut into `count` contiguous files of whole lines (row counts differ by at
 * most one), written once into bench/data/clf_1m/train-<count>-shards/ and reused after.
 * @returns the shard files, in order (their concatenation is train.csv).
 */
export async function trainShards(count: number): Promise<string[]> {
  ensureClf1m();
  const dir = join(DATA, 'clf_1m', `train-${count}-shards`);
  const files = Array.from({ length: count }, (_, k) => join(dir, `part-${String(k).padStart(2, '0')}.csv`));
  if (files.every((f) => existsSync(f))) return files;
  const text = await readFile(TRAIN_CSV);
  const ends = lineEnds(text);
  await mkdir(dir, { recursive: true });
  for (let k = 0; k < count; k++) {
    const first = Math.floor((ends.length * k) / count), last = Math.floor((ends.length * (k + 1)) / count);
    const start = first === 0 ? 0 : ends[first - 1] + 1;
    // Written under a temporary name so an interrupted run leaves no short shard behind.
    await writeFile(`${files[k]}.tmp`, text.subarray(start, ends[last - 1] + 1));
    await rename(`${files[k]}.tmp`, files[k]);
  }
  return files;
}

/** Offsets of every '\n' (the file ends with one). */
function lineEnds(text: Buffer): Int32Array {
  let n = 0;
  for (let i = text.indexOf(10); i >= 0; i = text.indexOf(10, i + 1)) n++;
  const ends = new Int32Array(n);
  for (let i = text.indexOf(10), j = 0; i >= 0; i = text.indexOf(10, i + 1)) ends[j++] = i;
  return ends;
}
