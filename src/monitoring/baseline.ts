import type { DatasetColumnStats, SampledColumn } from '../data/statistics.js';
import { psiEdgesImpl, quantileSortedImpl } from './stats/index.js';

/**
 * Baseline statistics and suggested constraints, in Model Monitor's file shapes (snake_case
 * `statistics.json` / `constraints.json`), from a dataset version's stored column statistics
 * (DuckDB, whole file: counts, mean, std, min, max) and a fixed-seed sample (deciles, PSI bin
 * edges, the values kept for KS).
 */

export type InferredType = 'Integral' | 'Fractional' | 'String';

export interface BaselineFeature {
  name: string;
  inferred_type: InferredType;
  completeness: number;
  num_present: number;
  num_missing: number;
  numerical_statistics?: {
    mean: number | null;
    std_dev: number | null;
    min: number | null;
    max: number | null;
    quantiles: Record<'p1' | 'p5' | 'p10' | 'p25' | 'p50' | 'p75' | 'p90' | 'p95' | 'p99', number>;
    /** Interior edges of the 10 PSI bins: the sample's deciles. */
    psi_edges: number[];
  };
  string_statistics?: { distinct_count: number; categories: Array<{ value: string; count: number }> };
}

export interface BaselineStatistics {
  version: 0;
  baseline: string;
  dataset: { name: string; version: number };
  rows: number;
  sample_size: number;
  features: BaselineFeature[];
}

export interface BaselineConstraints {
  version: 0;
  features: Array<{
    name: string;
    inferred_type: InferredType;
    /** Observed completeness; a run flags completeness below this minus the schedule's margin. */
    completeness: number;
    num_constraints?: { is_non_negative: boolean; min: number | null; max: number | null };
    string_constraints?: { domains: string[] };
  }>;
}

/** Numeric samples kept for KS, by feature (`samples.json`). */
export interface BaselineSamples {
  features: Record<string, number[]>;
}

const QUANTILES = { p1: 0.01, p5: 0.05, p10: 0.1, p25: 0.25, p50: 0.5, p75: 0.75, p90: 0.9, p95: 0.95, p99: 0.99 } as const;

export function inferredType(type: string): InferredType {
  if (type === 'integer') return 'Integral';
  if (type === 'float') return 'Fractional';
  return 'String';
}

export interface BaselineInput {
  baseline: string;
  dataset: { name: string; version: number };
  rows: number;
  /** Feature columns (target removed), each with its stored stats and its sample. */
  features: Array<{ name: string; stats: DatasetColumnStats; sample: SampledColumn }>;
}

/** Computes the three baseline documents. */
export function computeBaseline(input: BaselineInput): { statistics: BaselineStatistics; constraints: BaselineConstraints; samples: BaselineSamples } {
  const features: BaselineFeature[] = [];
  const constraints: BaselineConstraints['features'] = [];
  const samples: BaselineSamples = { features: {} };
  let sampleSize = 0;
  for (const { name, stats, sample } of input.features) {
    const type = inferredType(stats.type);
    const present = stats.count;
    const total = stats.count + stats.nullCount;
    const completeness = total === 0 ? 0 : present / total;
    const feature: BaselineFeature = { name, inferred_type: type, completeness, num_present: present, num_missing: stats.nullCount };
    const constraint: BaselineConstraints['features'][number] = { name, inferred_type: type, completeness };
    if (type !== 'String') {
      const values = Float64Array.from(sample.values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v))).sort();
      sampleSize = Math.max(sampleSize, values.length);
      samples.features[name] = Array.from(values);
      const q = (p: number) => (values.length ? quantileSortedImpl(values, p) : Number.NaN);
      const min = typeof stats.min === 'number' ? stats.min : null;
      const max = typeof stats.max === 'number' ? stats.max : null;
      feature.numerical_statistics = {
        mean: stats.mean ?? null,
        std_dev: stats.std ?? null,
        min,
        max,
        quantiles: Object.fromEntries(Object.entries(QUANTILES).map(([k, p]) => [k, q(p)])) as Record<keyof typeof QUANTILES, number>,
        psi_edges: values.length ? Array.from(psiEdgesImpl(values)) : [],
      };
      constraint.num_constraints = { is_non_negative: min !== null && min >= 0, min, max };
    } else {
      const categories = sample.categories ?? [];
      feature.string_statistics = { distinct_count: stats.distinctCount, categories };
      constraint.string_constraints = { domains: categories.map((c) => c.value) };
    }
    features.push(feature);
    constraints.push(constraint);
  }
  return {
    statistics: { version: 0, baseline: input.baseline, dataset: input.dataset, rows: input.rows, sample_size: sampleSize, features },
    constraints: { version: 0, features: constraints },
    samples,
  };
}
