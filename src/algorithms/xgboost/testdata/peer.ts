/**
 * Test helper: models trained by python-xgboost (the peer), through make_models.py and
 * predict_json.py under /usr/bin/python3.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';
const HERE = fileURLToPath(new URL('.', import.meta.url));
const DATASETS = '/work/shared/datasets';

/** python-xgboost's version, or undefined when /usr/bin/python3 cannot import xgboost, numpy and sklearn. */
export function peerXgboostVersion(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import xgboost, numpy, sklearn; print(xgboost.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export const PEER_SKIP_REASON = `skipped: ${PYTHON} cannot import xgboost, numpy and sklearn`;

export interface PeerCase {
  name: string;
  rows: number;
  cols: number;
  predShape: number[];
  /** The model as python-xgboost saved it. */
  json: string;
  /** Test rows, rows × cols, NaN = missing. */
  x: Float32Array;
  /** python-xgboost's predictions over the usable iterations. */
  pred: Float64Array;
  /** get_score(importance_type) for every type. */
  importance: Record<string, Record<string, number>>;
}

function readF32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function readF64(path: string): Float64Array {
  const b = readFileSync(path);
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** Trains every case of make_models.py into `dir` and reads them back. */
export function makePeerModels(dir: string): Map<string, PeerCase> {
  execFileSync(PYTHON, [join(HERE, 'make_models.py'), dir, DATASETS], { stdio: 'pipe' });
  const cases = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as Omit<PeerCase, 'json' | 'x' | 'pred' | 'importance'>[];
  return new Map(
    cases.map((c) => [
      c.name,
      {
        ...c,
        json: readFileSync(join(dir, `${c.name}.json`), 'utf8'),
        x: readF32(join(dir, `${c.name}.x.f32`)),
        pred: readF64(join(dir, `${c.name}.pred.f64`)),
        importance: JSON.parse(readFileSync(join(dir, `${c.name}.importance.json`), 'utf8')),
      },
    ]),
  );
}

/** python-xgboost's `Booster.load_model` of `json`, then `predict` over `x` (rows × cols). */
export function peerPredict(dir: string, name: string, json: string, x: Float32Array, cols: number): Float64Array {
  const model = join(dir, `${name}.ours.json`);
  const xPath = join(dir, `${name}.ours.x.f32`);
  const out = join(dir, `${name}.ours.pred.f64`);
  writeFileSync(model, json);
  writeFileSync(xPath, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
  execFileSync(PYTHON, [join(HERE, 'predict_json.py'), model, xPath, String(cols), out], { stdio: 'pipe' });
  return readF64(out);
}

/** Largest absolute difference between two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
