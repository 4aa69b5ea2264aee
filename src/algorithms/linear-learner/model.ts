import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PlatformError } from '../../core/errors.js';
import { PREDICTOR_TYPES, type PredictorType } from './hyperparameters.js';

/** `format` of a linear-learner model manifest. */
export const MODEL_FORMAT = 'stratus.linear-learner';
/** The manifest version this code writes and reads; bump it on any incompatible change. */
export const MODEL_FORMAT_VERSION = 1;
const BLOB_FILE = 'model.bin';

/** A trained linear model on raw features (normalization folded in). */
export interface LinearModel {
  predictorType: PredictorType;
  /** 2 for binary, num_classes for multiclass, null for a regressor. */
  numClasses: number | null;
  featureCount: number;
  featureNames: string[];
  /** Binary: predict 1 ⇔ score ≥ threshold; null otherwise. */
  threshold: number | null;
  /** outputs × featureCount, row-major (outputs = num_classes for multiclass, else 1). */
  weights: Float64Array;
  bias: Float64Array;
  /** Training means, which stand in for missing (NaN) features. */
  featureMeans: Float64Array;
}

/** One tensor of the blob: little-endian float64 at a byte offset of `file`. */
export interface TensorEntry {
  name: 'weights' | 'bias' | 'feature_means';
  dtype: 'float64';
  shape: number[];
  file: string;
  offset: number;
}

/** `manifest.json` of a linear-learner model folder. */
export interface LinearModelManifest {
  format: typeof MODEL_FORMAT;
  formatVersion: typeof MODEL_FORMAT_VERSION;
  predictorType: PredictorType;
  numClasses: number | null;
  featureCount: number;
  featureNames: string[];
  threshold: number | null;
  tensors: TensorEntry[];
  /** Informational: the hyperparameters and final metrics of the training run. */
  hyperparameters?: Record<string, string>;
  metrics?: Record<string, number>;
}

/** Number of model outputs: num_classes for multiclass, else 1. */
export const outputsOf = (m: Pick<LinearModel, 'predictorType' | 'numClasses'>): number =>
  m.predictorType === 'multiclass_classifier' ? (m.numClasses ?? 0) : 1;

/** What a model's training run adds to its manifest. */
export type ModelInfo = { hyperparameters?: Record<string, string>; metrics?: Record<string, number> };

/** The files of a model folder, as bytes. */
export interface EncodedLinearModel {
  /** `model.bin`. */
  blob: Uint8Array;
  /** `manifest.json`. */
  manifest: string;
}

/** Writes `manifest.json` and `model.bin` into `dir` (which must exist). */
export async function saveLinearModel(dir: string, model: LinearModel, info: ModelInfo = {}): Promise<void> {
  await writeLinearModel(dir, encodeLinearModel(model, info));
}

/** Writes encoded model files into `dir` (which must exist). */
export async function writeLinearModel(dir: string, files: EncodedLinearModel): Promise<void> {
  await writeFile(join(dir, BLOB_FILE), files.blob);
  await writeFile(join(dir, 'manifest.json'), files.manifest);
}

/** The bytes of the files {@link saveLinearModel} writes. */
export function encodeLinearModel(model: LinearModel, info: ModelInfo = {}): EncodedLinearModel {
  const K = outputsOf(model);
  const d = model.featureCount;
  const parts: [TensorEntry['name'], Float64Array, number[]][] = [
    ['weights', model.weights, [K, d]],
    ['bias', model.bias, [K]],
    ['feature_means', model.featureMeans, [d]],
  ];
  const blob = new DataView(new ArrayBuffer(8 * parts.reduce((n, [, a]) => n + a.length, 0)));
  const tensors: TensorEntry[] = [];
  let offset = 0;
  for (const [name, values, shape] of parts) {
    tensors.push({ name, dtype: 'float64', shape, file: BLOB_FILE, offset });
    for (let i = 0; i < values.length; i++, offset += 8) blob.setFloat64(offset, values[i], true);
  }
  const manifest: LinearModelManifest = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    predictorType: model.predictorType,
    numClasses: model.numClasses,
    featureCount: d,
    featureNames: model.featureNames,
    threshold: model.threshold,
    tensors,
    ...info,
  };
  return { blob: new Uint8Array(blob.buffer), manifest: JSON.stringify(manifest, null, 2) + '\n' };
}

const modelError = (message: string) => new PlatformError('ModelError', `invalid linear-learner model: ${message}`);

/**
 * Reads and validates a model folder written by {@link saveLinearModel}.
 * @throws ModelError for a missing or malformed manifest, an unknown format or version,
 * inconsistent shapes, or a blob file that is missing, outside the folder or too short.
 */
export async function loadLinearModel(dir: string): Promise<LinearModel> {
  const manifest = await readManifest(dir);
  const K = outputsOf(manifest);
  const d = manifest.featureCount;
  const expected: Record<TensorEntry['name'], number[]> = { weights: [K, d], bias: [K], feature_means: [d] };
  const values: Partial<Record<TensorEntry['name'], Float64Array>> = {};
  for (const name of Object.keys(expected) as TensorEntry['name'][]) {
    const entry = manifest.tensors.find((t) => t.name === name);
    if (!entry) throw modelError(`tensor '${name}' is missing`);
    values[name] = await readTensor(dir, entry, expected[name]);
  }
  return {
    predictorType: manifest.predictorType,
    numClasses: manifest.numClasses,
    featureCount: d,
    featureNames: manifest.featureNames,
    threshold: manifest.threshold,
    weights: values.weights as Float64Array,
    bias: values.bias as Float64Array,
    featureMeans: values.feature_means as Float64Array,
  };
}

async function readManifest(dir: string): Promise<LinearModelManifest> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  } catch (e) {
    throw new PlatformError('ModelError', 'invalid linear-learner model: manifest.json is missing or not JSON', undefined, { cause: e });
  }
  const m = parsed as Partial<LinearModelManifest>;
  if (typeof m !== 'object' || m === null) throw modelError('manifest.json is not an object');
  if (m.format !== MODEL_FORMAT) throw modelError(`unknown format '${String(m.format)}', expected '${MODEL_FORMAT}'`);
  if (m.formatVersion !== MODEL_FORMAT_VERSION) {
    throw modelError(`unsupported formatVersion ${String(m.formatVersion)}; this version of Stratus reads formatVersion ${MODEL_FORMAT_VERSION}`);
  }
  checkHeader(m);
  return m as LinearModelManifest;
}

function checkHeader(m: Partial<LinearModelManifest>): void {
  if (!PREDICTOR_TYPES.includes(m.predictorType as PredictorType)) throw modelError(`unknown predictorType '${String(m.predictorType)}'`);
  if (!Number.isInteger(m.featureCount) || (m.featureCount as number) < 1) throw modelError('featureCount must be a positive integer');
  const names = m.featureNames;
  if (!Array.isArray(names) || names.length !== m.featureCount || names.some((n) => typeof n !== 'string')) {
    throw modelError('featureNames must list featureCount strings');
  }
  const wantClasses = m.predictorType === 'regressor' ? null : m.predictorType === 'binary_classifier' ? 2 : undefined;
  const classesOk = wantClasses === undefined ? Number.isInteger(m.numClasses) && (m.numClasses as number) >= 3 : m.numClasses === wantClasses;
  if (!classesOk) throw modelError(`numClasses ${String(m.numClasses)} does not fit predictorType '${m.predictorType}'`);
  const wantThreshold = m.predictorType === 'binary_classifier';
  if (wantThreshold ? typeof m.threshold !== 'number' || !Number.isFinite(m.threshold) : m.threshold !== null) {
    throw modelError(wantThreshold ? 'a binary classifier needs a finite numeric threshold' : 'threshold must be null');
  }
  if (!Array.isArray(m.tensors)) throw modelError('tensors must be an array');
}

async function readTensor(dir: string, t: TensorEntry, shape: number[]): Promise<Float64Array> {
  if (t.dtype !== 'float64') throw modelError(`tensor '${t.name}' has dtype '${String(t.dtype)}', expected 'float64'`);
  if (!Array.isArray(t.shape) || t.shape.join(',') !== shape.join(',')) {
    throw modelError(`tensor '${t.name}' has shape [${String(t.shape)}], expected [${shape.join(', ')}]`);
  }
  // Blob names are plain file names inside the model folder, never paths.
  if (typeof t.file !== 'string' || !/^[A-Za-z0-9._-]+$/.test(t.file) || t.file.startsWith('.')) {
    throw modelError(`tensor '${t.name}' names an invalid file '${String(t.file)}'`);
  }
  const n = shape.reduce((a, b) => a * b, 1);
  const path = join(dir, t.file);
  const size = await stat(path).then((s) => s.size, () => -1);
  if (!Number.isInteger(t.offset) || t.offset < 0 || size < t.offset + 8 * n) {
    throw modelError(`tensor '${t.name}' does not fit in '${t.file}' (offset ${String(t.offset)}, ${n} values, file ${size < 0 ? 'missing' : `${size} bytes`})`);
  }
  const bytes = await readFile(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset + t.offset, 8 * n);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
  return out;
}
