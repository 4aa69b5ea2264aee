/**
 * The statistics of an online evaluation: two variants' joined predictions scored side by side,
 * and a test of whether the candidate differs from the baseline.
 *
 * - Classification (binary, multiclass): a pooled two-proportion z-test on accuracy.
 * - Regression: a seeded bootstrap of the difference in mean absolute error. Paired for a shadow
 *   candidate (it answers copies of production's requests: the inference ids both answered are
 *   resampled together), otherwise — a weighted variant answers other requests — two independent
 *   samples, each resampled on its own.
 *   The p-value is the two-sided percentile one, 2·min(P*(d ≤ 0), P*(d ≥ 0)), each share counted
 *   with the +1 correction ((count + 1) / (B + 1)), so it is never 0.
 */
import { createRng, randomIndex } from '../algorithms/kernels/rng.js';
import { quantileSortedImpl } from '../evaluation/metrics/regression.js';
import { qualityMetrics, type Prediction, type ProblemType } from './model-quality.js';
import { twoProportionZTest } from './stats/z-test.js';

/** One variant's predictions joined with labels, by inference id. */
export interface JoinedPredictions {
  ids: string[];
  labels: number[];
  predictions: Prediction[];
}

export interface ComparisonOptions {
  problemType: ProblemType;
  /** Binary: a score ≥ threshold is the positive class. */
  threshold: number;
  alpha: number;
  /** Bootstrap resamples (regression). */
  samples: number;
  /** Seed of the bootstrap's generator (regression). */
  seed: number;
  /** The candidate saw the baseline's requests (a shadow): pair the regression bootstrap by inference id. */
  paired: boolean;
}

export interface VariantScore {
  joined: number;
  /** Classification: answers whose class is the label's. */
  correct?: number;
  metrics: Record<string, number>;
}

export interface ComparisonTest {
  kind: 'two-proportion-z' | 'bootstrap';
  metric: 'accuracy' | 'mae';
  /** candidate − baseline of `metric`. */
  difference: number;
  /** z-test only. */
  z?: number;
  pValue: number;
  alpha: number;
  significant: boolean;
  /** The variant whose `metric` is better (higher accuracy, lower MAE) when significant, else null. */
  better: 'candidate' | 'baseline' | null;
  /** Bootstrap only: whether the resampling was paired by inference id. */
  paired?: boolean;
  /** Bootstrap only: resamples and the 95 % percentile interval of the difference. */
  samples?: number;
  interval?: { lower: number; upper: number; level: number };
}

/** The class a prediction names: binary by the threshold on its score, multiclass by its label. */
function predictedClass(p: Prediction, problemType: ProblemType, threshold: number): number {
  if (problemType === 'binary') {
    const s = p.score ?? p.label ?? Number.NaN;
    return s >= threshold ? 1 : 0;
  }
  return p.label ?? p.score ?? Number.NaN;
}

/** Headline metrics of one variant (the monitoring model-quality set), with its correct count for classification. */
export function scoreVariant(side: JoinedPredictions, o: Pick<ComparisonOptions, 'problemType' | 'threshold'>): VariantScore {
  const n = side.labels.length;
  if (n === 0) return { joined: 0, ...(o.problemType === 'regression' ? {} : { correct: 0 }), metrics: { count: 0 } };
  const metrics = Object.fromEntries(Object.entries(qualityMetrics({ problemType: o.problemType, threshold: o.threshold }, side.labels, side.predictions)).filter(([, v]) => Number.isFinite(v)));
  if (o.problemType === 'regression') return { joined: n, metrics };
  let correct = 0;
  for (let i = 0; i < n; i++) if (predictedClass(side.predictions[i], o.problemType, o.threshold) === side.labels[i]) correct++;
  return { joined: n, correct, metrics };
}

/** The test of the candidate against the baseline for the problem type. */
export function compareVariants(baseline: JoinedPredictions, candidate: JoinedPredictions, o: ComparisonOptions): ComparisonTest {
  if (o.problemType !== 'regression') {
    const b = scoreVariant(baseline, o);
    const c = scoreVariant(candidate, o);
    const t = twoProportionZTest(c.correct ?? 0, c.joined, b.correct ?? 0, b.joined);
    const pValue = Number.isFinite(t.pValue) ? t.pValue : 1;
    const difference = Number.isFinite(t.difference) ? t.difference : 0;
    const significant = pValue < o.alpha;
    return {
      kind: 'two-proportion-z', metric: 'accuracy', difference, z: Number.isFinite(t.z) ? t.z : 0, pValue, alpha: o.alpha, significant,
      better: significant ? (difference > 0 ? 'candidate' : 'baseline') : null,
    };
  }
  const paired = o.paired ? pairedErrors(baseline, candidate) : undefined;
  const result = paired
    ? bootstrapMeanDifferenceImpl(paired.candidate, paired.baseline, true, o.samples, o.seed)
    : bootstrapMeanDifferenceImpl(absoluteErrors(candidate), absoluteErrors(baseline), false, o.samples, o.seed);
  const significant = result.pValue < o.alpha;
  // A side without joined labels has no difference to report (NaN is not JSON): 0, no interval.
  const measured = Number.isFinite(result.difference);
  return {
    kind: 'bootstrap', metric: 'mae', difference: measured ? result.difference : 0, pValue: result.pValue, alpha: o.alpha, significant,
    // A lower mean absolute error is better.
    better: significant ? (result.difference < 0 ? 'candidate' : 'baseline') : null,
    paired: paired !== undefined, samples: o.samples,
    ...(measured ? { interval: { lower: result.lower, upper: result.upper, level: 0.95 } } : {}),
  };
}

function absoluteErrors(side: JoinedPredictions): Float64Array {
  const out = new Float64Array(side.labels.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.abs(side.labels[i] - (side.predictions[i].score ?? side.predictions[i].label ?? Number.NaN));
  return out;
}

/** Both variants' absolute errors on the inference ids both answered, in one order; undefined when they share none. */
function pairedErrors(baseline: JoinedPredictions, candidate: JoinedPredictions): { baseline: Float64Array; candidate: Float64Array } | undefined {
  const baseErrors = absoluteErrors(baseline);
  const byId = new Map<string, number>();
  baseline.ids.forEach((id, i) => byId.set(id, baseErrors[i]));
  const candErrors = absoluteErrors(candidate);
  const b: number[] = [];
  const c: number[] = [];
  candidate.ids.forEach((id, i) => {
    const e = byId.get(id);
    if (e === undefined) return;
    b.push(e);
    c.push(candErrors[i]);
  });
  if (b.length === 0) return undefined;
  return { baseline: Float64Array.from(b), candidate: Float64Array.from(c) };
}

export interface BootstrapResult {
  /** mean(a) − mean(b) on the data. */
  difference: number;
  lower: number;
  upper: number;
  pValue: number;
}

/**
 * Bootstrap of mean(a) − mean(b): `paired` resamples index i of both together (a and b of equal
 * length), otherwise each sample is resampled with its own draws. Seeded: the same inputs give
 * the same answer. NaN difference and p-value 1 when a side is empty.
 */
export function bootstrapMeanDifferenceImpl(a: Float64Array, b: Float64Array, paired: boolean, samples: number, seed: number): BootstrapResult {
  const na = a.length;
  const nb = b.length;
  if (na === 0 || nb === 0 || (paired && na !== nb)) return { difference: Number.NaN, lower: Number.NaN, upper: Number.NaN, pValue: 1 };
  const difference = mean(a) - mean(b);
  const rng = createRng(seed);
  const reps = new Float64Array(samples);
  if (paired) {
    const d = new Float64Array(na);
    for (let i = 0; i < na; i++) d[i] = a[i] - b[i];
    for (let s = 0; s < samples; s++) {
      let sum = 0;
      for (let i = 0; i < na; i++) sum += d[randomIndex(rng, na)];
      reps[s] = sum / na;
    }
  } else {
    for (let s = 0; s < samples; s++) {
      let sa = 0;
      for (let i = 0; i < na; i++) sa += a[randomIndex(rng, na)];
      let sb = 0;
      for (let i = 0; i < nb; i++) sb += b[randomIndex(rng, nb)];
      reps[s] = sa / na - sb / nb;
    }
  }
  let atMost = 0;
  let atLeast = 0;
  for (let s = 0; s < samples; s++) {
    if (reps[s] <= 0) atMost++;
    if (reps[s] >= 0) atLeast++;
  }
  reps.sort();
  const pValue = Math.min(1, 2 * Math.min((atMost + 1) / (samples + 1), (atLeast + 1) / (samples + 1)));
  return { difference, lower: quantileSortedImpl(reps, 0.025), upper: quantileSortedImpl(reps, 0.975), pValue };
}

function mean(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}
