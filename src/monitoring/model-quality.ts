import type { MonitoringViolation } from '../contracts/monitoring.js';
import { binaryMetrics } from '../evaluation/metrics/binary.js';
import { multiclassMetrics } from '../evaluation/metrics/multiclass.js';
import { regressionMetrics } from '../evaluation/metrics/regression.js';
import { rowsOfBody } from './capture-rows.js';

/**
 * Model quality from ground truth: captured predictions (the endpoint output of records that
 * carry an inference id) joined with uploaded labels by inference id, scored with the
 * evaluation jobs' metric functions (scikit-learn parity, see evaluation/metrics/).
 */

export type ProblemType = 'binary' | 'multiclass' | 'regression';

export interface ModelQualitySpec {
  problemType: ProblemType;
  /** Binary: a score ≥ threshold is the positive class. Default 0.5. */
  threshold?: number;
  /** A metric below its minimum is a violation (e.g. `{ accuracy: 0.9 }`). */
  minimums?: Record<string, number>;
  /** A metric above its maximum is a violation (e.g. `{ rmse: 3 }`). */
  maximums?: Record<string, number>;
}

/** One prediction: a score (binary probability or regression value) and/or a label. */
export interface Prediction {
  score?: number;
  label?: number;
}

function predictionOf(v: unknown): Prediction | undefined {
  if (typeof v === 'number') return { score: v, label: v };
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return { score: Number(v), label: Number(v) };
  if (Array.isArray(v)) return v.length === 1 ? predictionOf(v[0]) : undefined;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const score = typeof o.score === 'number' ? o.score : Array.isArray(o.score) ? undefined : undefined;
    const label = typeof o.predicted_label === 'number' ? o.predicted_label : typeof o.predicted_label === 'string' ? Number(o.predicted_label) : undefined;
    if (score === undefined && label === undefined) return undefined;
    return { ...(score !== undefined ? { score } : {}), ...(label !== undefined && Number.isFinite(label) ? { label } : {}) };
  }
  return undefined;
}

/** The first prediction of a response body: `{predictions:[…]}`, an array, JSON lines or CSV. */
export function firstPrediction(text: string, contentType: string): Prediction | undefined {
  try {
    const type = contentType.split(';')[0].trim().toLowerCase();
    if (type === 'application/json') {
      const body = JSON.parse(text) as unknown;
      const list = body && typeof body === 'object' && !Array.isArray(body) && Array.isArray((body as { predictions?: unknown }).predictions)
        ? (body as { predictions: unknown[] }).predictions
        : Array.isArray(body) ? body : [body];
      return predictionOf(list[0]);
    }
    const rows = rowsOfBody(text, type);
    return rows?.length ? predictionOf(Array.isArray(rows[0]) ? rows[0][0] : rows[0]) : undefined;
  } catch {
    return undefined;
  }
}

/** Inference id → first prediction of every captured record that has an id. */
export function capturedPredictions(objectText: string, into: Map<string, Prediction>): void {
  for (const line of objectText.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const r = JSON.parse(line) as {
        captureData?: { endpointOutput?: { observedContentType?: string; data?: string; encoding?: string } };
        eventMetadata?: { inferenceId?: string };
      };
      const id = r.eventMetadata?.inferenceId;
      const out = r.captureData?.endpointOutput;
      if (!id || !out || typeof out.data !== 'string') continue;
      const text = out.encoding === 'BASE64' ? Buffer.from(out.data, 'base64').toString('utf8') : out.data;
      const p = firstPrediction(text, out.observedContentType ?? 'application/json');
      if (p) into.set(id, p);
    } catch {
      // an unreadable record has no prediction
    }
  }
}

/** Headline metrics of joined labels and predictions. */
export function qualityMetrics(spec: ModelQualitySpec, labels: number[], predictions: Prediction[]): Record<string, number> {
  const y = Float64Array.from(labels);
  if (spec.problemType === 'binary') {
    const scores = Float64Array.from(predictions.map((p) => p.score ?? p.label ?? Number.NaN));
    const m = binaryMetrics(y, scores, { threshold: spec.threshold ?? 0.5 });
    return { count: m.count, accuracy: m.accuracy, precision: m.precision, recall: m.recall, f1: m.f1, specificity: m.specificity, rocAuc: m.rocAuc, prAuc: m.prAuc };
  }
  if (spec.problemType === 'multiclass') {
    const m = multiclassMetrics(y, Float64Array.from(predictions.map((p) => p.label ?? p.score ?? Number.NaN)));
    return { count: m.count, accuracy: m.accuracy, macroF1: m.macro.f1, weightedF1: m.weighted.f1 };
  }
  const m = regressionMetrics(y, Float64Array.from(predictions.map((p) => p.score ?? p.label ?? Number.NaN)));
  return { count: m.count, rmse: m.rmse, mae: m.mae, mape: m.mape, r2: m.r2 };
}

export function qualityViolations(spec: ModelQualitySpec, metrics: Record<string, number>): MonitoringViolation[] {
  const out: MonitoringViolation[] = [];
  for (const [name, min] of Object.entries(spec.minimums ?? {})) {
    const v = metrics[name];
    if (v !== undefined && v < min) out.push({ feature: name, kind: 'model_quality', description: `${name} ${v.toFixed(4)} below the minimum ${min}`, value: v, threshold: min });
  }
  for (const [name, max] of Object.entries(spec.maximums ?? {})) {
    const v = metrics[name];
    if (v !== undefined && v > max) out.push({ feature: name, kind: 'model_quality', description: `${name} ${v.toFixed(4)} above the maximum ${max}`, value: v, threshold: max });
  }
  return out;
}
