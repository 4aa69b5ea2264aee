/** Scores of a binary problem split by label, each sorted ascending (typed-array sort). */
export interface SortedScores {
  pos: Float64Array;
  neg: Float64Array;
}

/** Splits `scores[0..n)` by `labels` (> 0.5 is positive) and sorts each side ascending. */
export function splitSortedImpl(scores: Float64Array, labels: Float64Array, n: number): SortedScores {
  let p = 0;
  for (let i = 0; i < n; i++) if (labels[i] > 0.5) p++;
  const pos = new Float64Array(p);
  const neg = new Float64Array(n - p);
  for (let i = 0, a = 0, b = 0; i < n; i++) {
    if (labels[i] > 0.5) pos[a++] = scores[i];
    else neg[b++] = scores[i];
  }
  pos.sort();
  neg.sort();
  return { pos, neg };
}

/** Area under the ROC curve: P(score⁺ > score⁻), ties counting half. NaN without both classes. */
export function rocAucImpl({ pos, neg }: SortedScores): number {
  if (pos.length === 0 || neg.length === 0) return NaN;
  let below = 0;
  let equal = 0;
  let sum = 0;
  for (let i = 0; i < pos.length; i++) {
    const s = pos[i];
    if (i === 0 || s !== pos[i - 1]) {
      below += equal;
      equal = 0;
      while (below < neg.length && neg[below] < s) below++;
      while (below + equal < neg.length && neg[below + equal] === s) equal++;
    }
    sum += below + 0.5 * equal;
  }
  return sum / (pos.length * neg.length);
}

/** How {@link selectThresholdImpl} ranks thresholds (SageMaker's model selection criteria). */
export type ThresholdCriterion =
  | 'accuracy'
  | 'f_beta'
  | 'precision_at_target_recall'
  | 'recall_at_target_precision'
  | 'loss_function';

/** Criterion and targets of {@link selectThresholdImpl}. */
export interface ThresholdOptions {
  criterion: ThresholdCriterion;
  beta: number;
  targetPrecision: number;
  targetRecall: number;
  /** Returned for `loss_function` or when no threshold qualifies; preferred among ties. */
  preferred: number;
}

/**
 * Picks the decision threshold (predict 1 ⇔ score ≥ threshold) that is best for the criterion
 * on these scores. Candidates lie midway between consecutive distinct scores.
 */
export function selectThresholdImpl(scores: SortedScores, opts: ThresholdOptions): number {
  const { pos, neg } = scores;
  if (opts.criterion === 'loss_function' || pos.length + neg.length === 0) return opts.preferred;
  let i = pos.length - 1;
  let j = neg.length - 1;
  const top = Math.max(i >= 0 ? pos[i] : -Infinity, j >= 0 ? neg[j] : -Infinity);
  let bestThr = opts.preferred;
  let best = -Infinity;
  const consider = (tp: number, fp: number, thr: number) => {
    const m = criterionValue(opts, tp, fp, pos.length, neg.length);
    const tie = Math.abs(m - best) <= 1e-12;
    if ((m > best && !tie) || (tie && Math.abs(thr - opts.preferred) < Math.abs(bestThr - opts.preferred))) {
      best = m;
      bestThr = thr;
    }
  };
  consider(0, 0, top + Math.max(1e-9, Math.abs(top) * 1e-9));
  let tp = 0;
  let fp = 0;
  while (i >= 0 || j >= 0) {
    const s = Math.max(i >= 0 ? pos[i] : -Infinity, j >= 0 ? neg[j] : -Infinity);
    while (i >= 0 && pos[i] === s) (tp++, i--);
    while (j >= 0 && neg[j] === s) (fp++, j--);
    const next = Math.max(i >= 0 ? pos[i] : -Infinity, j >= 0 ? neg[j] : -Infinity);
    consider(tp, fp, next === -Infinity ? s : (s + next) / 2);
  }
  return best === -Infinity ? opts.preferred : bestThr;
}

function criterionValue(opts: ThresholdOptions, tp: number, fp: number, P: number, N: number): number {
  const precision = tp + fp > 0 ? tp / (tp + fp) : 1;
  const recall = P > 0 ? tp / P : 0;
  switch (opts.criterion) {
    case 'accuracy':
      return (tp + N - fp) / (P + N);
    case 'f_beta':
      return fBeta(tp, fp, P - tp, opts.beta);
    case 'precision_at_target_recall':
      return recall >= opts.targetRecall ? precision : -Infinity;
    case 'recall_at_target_precision':
      return tp > 0 && precision >= opts.targetPrecision ? recall : -Infinity;
    default:
      return -Infinity;
  }
}

/** F-beta from confusion counts; 0 when there are no true positives. */
export function fBeta(tp: number, fp: number, fn: number, beta: number): number {
  const b2 = beta * beta;
  const denom = (1 + b2) * tp + b2 * fn + fp;
  return denom > 0 ? ((1 + b2) * tp) / denom : 0;
}
