import type { MonitoringViolation } from '../contracts/monitoring.js';
import type { BaselineConstraints, BaselineSamples, BaselineStatistics } from './baseline.js';
import type { CapturedRow } from './capture-rows.js';
import { KS_MAX_AUTO_N, binCountsImpl, chiSquareHomogeneityImpl, ks2SampImpl, psiCategoricalImpl, psiFromCountsImpl } from './stats/index.js';

/** Thresholds with defaults filled (contracts' MonitoringThresholds). */
export interface Thresholds {
  driftPValue: number;
  psi: number;
  completenessMargin: number;
  rangeMargin: number;
  newCategoryShare: number;
  minRecords: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = { driftPValue: 0.01, psi: 0.2, completenessMargin: 0.05, rangeMargin: 0.01, newCategoryShare: 0.01, minRecords: 30 };

export interface FeatureResult {
  name: string;
  inferredType: string;
  count: number;
  missing: number;
  completeness: number;
  typeViolations: number;
  outOfRange?: number;
  newCategories?: string[];
  mean?: number;
  ks?: { statistic: number; pValue: number; method: string };
  chiSquare?: { statistic: number; pValue: number; dof: number };
  psi?: number;
}

export interface Analysis {
  features: FeatureResult[];
  violations: MonitoringViolation[];
  /** Rows whose positional length did not match the baseline's feature count. */
  malformedRows: number;
}

const isMissing = (v: unknown) => v === null || v === undefined || (typeof v === 'string' && v.trim() === '');

/** The last `max` values (most recent traffic) when there are more. */
const capped = (values: number[], max: number) => (values.length > max ? values.slice(values.length - max) : values);

/**
 * Data quality and drift of captured rows against a baseline: per feature, missing values,
 * type violations (a non-number in a numeric feature, a fraction in an Integral one),
 * out-of-range values (outside the baseline's min..max), new categories; drift by KS (numeric,
 * against the baseline's sample, at most 10,000 values a side so scipy's 'auto' stays exact),
 * chi-square of homogeneity (categorical counts) and PSI (both). Drift is judged only with at
 * least `minRecords` present values.
 */
export function analyzeRows(
  rows: CapturedRow[],
  base: { statistics: BaselineStatistics; constraints: BaselineConstraints; samples: BaselineSamples },
  thresholds: Thresholds,
  only?: string[],
): Analysis {
  const features = base.statistics.features;
  const arity = features.length;
  let malformed = 0;
  const columns: unknown[][] = features.map(() => []);
  for (const row of rows) {
    if (Array.isArray(row)) {
      if (row.length !== arity) {
        malformed++;
        continue;
      }
      row.forEach((v, i) => columns[i].push(v));
    } else {
      features.forEach((f, i) => columns[i].push(row[f.name]));
    }
  }
  const wanted = only ? new Set(only) : undefined;
  const results: FeatureResult[] = [];
  const violations: MonitoringViolation[] = [];
  const flag = (v: MonitoringViolation) => violations.push(v);
  features.forEach((f, i) => {
    if (wanted && !wanted.has(f.name)) return;
    const constraint = base.constraints.features.find((c) => c.name === f.name);
    const raw = columns[i];
    let missing = 0;
    let typeViolations = 0;
    const r: FeatureResult = { name: f.name, inferredType: f.inferred_type, count: raw.length, missing: 0, completeness: 1, typeViolations: 0 };
    if (f.inferred_type !== 'String') {
      const values: number[] = [];
      for (const v of raw) {
        if (isMissing(v)) {
          missing++;
          continue;
        }
        const n = typeof v === 'number' ? v : Number(v);
        if (typeof v === 'boolean' || !Number.isFinite(n) || (f.inferred_type === 'Integral' && !Number.isInteger(n))) typeViolations++;
        else values.push(n);
      }
      const min = constraint?.num_constraints?.min;
      const max = constraint?.num_constraints?.max;
      const outOfRange = values.filter((v) => (min != null && v < min) || (max != null && v > max)).length;
      r.outOfRange = outOfRange;
      if (values.length) r.mean = values.reduce((a, b) => a + b, 0) / values.length;
      if (values.length && outOfRange / values.length > thresholds.rangeMargin) {
        flag({ feature: f.name, kind: 'out_of_range', description: `${outOfRange} of ${values.length} values outside the baseline's range [${min}, ${max}]`, value: outOfRange / values.length, threshold: thresholds.rangeMargin });
      }
      const sample = base.samples.features[f.name] ?? [];
      if (values.length >= thresholds.minRecords && sample.length > 0) {
        const current = capped(values, KS_MAX_AUTO_N);
        const ks = ks2SampImpl(sample, current);
        r.ks = ks;
        const edges = f.numerical_statistics?.psi_edges ?? [];
        r.psi = psiFromCountsImpl(binCountsImpl(sample, edges), binCountsImpl(current, edges));
        if (ks.pValue < thresholds.driftPValue) {
          flag({ feature: f.name, kind: 'drift_ks', description: `Kolmogorov–Smirnov D = ${ks.statistic.toFixed(4)}, p = ${ks.pValue.toExponential(3)} below ${thresholds.driftPValue}`, value: ks.pValue, threshold: thresholds.driftPValue });
        }
      }
    } else {
      const counts = new Map<string, number>();
      for (const v of raw) {
        if (isMissing(v)) {
          missing++;
          continue;
        }
        const s = String(v);
        counts.set(s, (counts.get(s) ?? 0) + 1);
      }
      const known = new Map((f.string_statistics?.categories ?? []).map((c) => [c.value, c.count]));
      const present = raw.length - missing;
      const fresh = [...counts.keys()].filter((k) => !known.has(k));
      const freshCount = fresh.reduce((a, k) => a + (counts.get(k) ?? 0), 0);
      r.newCategories = fresh.slice(0, 20);
      if (present && freshCount / present > thresholds.newCategoryShare) {
        flag({ feature: f.name, kind: 'new_category', description: `${freshCount} of ${present} values in categories the baseline never saw (${fresh.slice(0, 5).join(', ')})`, value: freshCount / present, threshold: thresholds.newCategoryShare });
      }
      if (present >= thresholds.minRecords && known.size > 0) {
        const keys = [...new Set([...known.keys(), ...counts.keys()])];
        r.chiSquare = chiSquareHomogeneityImpl([keys.map((k) => known.get(k) ?? 0), keys.map((k) => counts.get(k) ?? 0)]);
        r.psi = psiCategoricalImpl(known, counts);
        if (r.chiSquare.pValue < thresholds.driftPValue) {
          flag({ feature: f.name, kind: 'drift_chi_square', description: `chi-square = ${r.chiSquare.statistic.toFixed(3)} (dof ${r.chiSquare.dof}), p = ${r.chiSquare.pValue.toExponential(3)} below ${thresholds.driftPValue}`, value: r.chiSquare.pValue, threshold: thresholds.driftPValue });
        }
      }
    }
    r.missing = missing;
    r.typeViolations = typeViolations;
    r.completeness = raw.length ? (raw.length - missing) / raw.length : 1;
    if (r.psi !== undefined && r.psi > thresholds.psi) {
      flag({ feature: f.name, kind: 'drift_psi', description: `population stability index ${r.psi.toFixed(4)} above ${thresholds.psi}`, value: r.psi, threshold: thresholds.psi });
    }
    const floor = (constraint?.completeness ?? 0) - thresholds.completenessMargin;
    if (raw.length && r.completeness < floor) {
      flag({ feature: f.name, kind: 'completeness', description: `completeness ${r.completeness.toFixed(4)} below ${floor.toFixed(4)} (baseline ${constraint?.completeness} − margin)`, value: r.completeness, threshold: floor });
    }
    if (typeViolations > 0) {
      flag({ feature: f.name, kind: 'data_type', description: `${typeViolations} values are not ${f.inferred_type === 'Integral' ? 'integers' : 'numbers'}`, value: typeViolations });
    }
    results.push(r);
  });
  return { features: results, violations, malformedRows: malformed };
}
