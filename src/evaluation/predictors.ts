/**
 * How an evaluation gets predictions from a model: built-in models predict in this process
 * with their algorithm's predictor (loaded from the model cache, the folder replicas load
 * from); models of other runtimes (ONNX, your code) run as replicas for the duration of the
 * job, through batch transform's adapter (transform/model-runner.ts), fed CSV rows and asked for
 * JSON in the built-in response shapes.
 */
import type { PredictionRecord } from '../algorithms/algorithm.js';
import { builtinAlgorithm } from '../algorithms/registry.js';
import { validationError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ModelCache } from '../serving/model-cache.js';
import type { ModelSpec } from '../serving/model-service.js';
import type { ModelRecord, TrainingJobRecord } from '../store/metadata-store.js';
import type { StartModelRunner } from '../transform/model-runner.js';

/** Predicts rows (row-major features); one record per row. */
export type PredictFn = (features: Float64Array, rows: number, cols: number) => Promise<PredictionRecord[]>;

/** Rows per request to a replica. */
const BATCH_ROWS = 500;

export interface PredictorDeps {
  modelCache: ModelCache;
  startModel: StartModelRunner;
  log: Logger;
}

/** A predictor of a built-in algorithm over an extracted model folder. */
async function builtinPredict(algorithm: string, dir: string): Promise<PredictFn> {
  const predictor = await builtinAlgorithm(algorithm).loadPredictor(dir);
  return async (features, rows, cols) => {
    if (cols !== predictor.featureCount) {
      throw validationError(`the model expects ${predictor.featureCount} features per row; the dataset has ${cols} (label excluded)`, { field: 'dataset' });
    }
    return predictor.predict(features, rows);
  };
}

/** Runs `fn` with a predictor of the model; replicas (if any) are stopped afterwards. */
export async function withModelPredictor<T>(deps: PredictorDeps, model: ModelRecord, fn: (predict: PredictFn) => Promise<T>): Promise<T> {
  const spec = model.spec as unknown as ModelSpec;
  if ((spec.runtime ?? 'builtin') === 'builtin' && spec.algorithm) {
    return fn(await builtinPredict(spec.algorithm, await deps.modelCache.folderOf(model)));
  }
  const runner = await deps.startModel(model, 1, deps.log);
  try {
    return await fn(async (features, rows, cols) => {
      const out: PredictionRecord[] = [];
      for (let start = 0; start < rows; start += BATCH_ROWS) {
        const end = Math.min(rows, start + BATCH_ROWS);
        const lines: string[] = [];
        for (let r = start; r < end; r++) lines.push(Array.from(features.subarray(r * cols, (r + 1) * cols)).join(','));
        const body = await runner.invoke(lines.join('\n'), 'text/csv', 'application/json');
        out.push(...parsePredictions(body, end - start));
      }
      return out;
    });
  } finally {
    await runner.stop().catch((e: unknown) => deps.log.warn({ err: e }, 'could not stop evaluation replicas'));
  }
}

/** A training job's model (built-in algorithms only). */
export async function trainingJobPredictor(deps: PredictorDeps, job: TrainingJobRecord, cacheId: string): Promise<PredictFn> {
  const algorithm = (job.spec as { algorithm?: unknown }).algorithm;
  if (typeof algorithm !== 'string' || !job.modelArtifactUri) {
    throw validationError(`training job '${job.name}' has no built-in model to predict with`, { field: 'trainingSpec.algorithm' });
  }
  return builtinPredict(algorithm, await deps.modelCache.folderOfArtifact(cacheId, job.modelArtifactUri));
}

/**
 * `{"predictions":[…]}` (built-in and ONNX shapes) or a bare array; a record that is a bare
 * number is read as `{score}`; an ONNX record's first output stands in for `score`.
 */
export function parsePredictions(body: string, expected: number): PredictionRecord[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw validationError(`the model's answer is not JSON: ${body.slice(0, 200)}`);
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { predictions?: unknown }).predictions;
  if (!Array.isArray(list) || list.length !== expected) {
    throw validationError(`the model answered ${Array.isArray(list) ? list.length : 'no'} predictions for ${expected} rows; evaluation needs {"predictions":[…]} with one per row`);
  }
  return list.map((p): PredictionRecord => {
    if (typeof p === 'number' || Array.isArray(p)) return { score: p as number | number[] };
    const rec = p as Record<string, number | number[]>;
    if (rec.score !== undefined) return rec;
    const first = Object.values(rec)[0];
    return { ...rec, score: Array.isArray(first) && first.length === 1 ? first[0] : first };
  });
}
