/**
 * Feature importance as XGBoost's `Booster.get_score(importance_type=...)` defines it.
 */
import { validationError } from '../../core/errors.js';
import type { BoosterModel } from './model.js';

export const IMPORTANCE_TYPES = ['weight', 'gain', 'cover', 'total_gain', 'total_cover'] as const;
export type ImportanceType = (typeof IMPORTANCE_TYPES)[number];

export interface FeatureImportance {
  /** The feature's name, or `f<index>` when the model has no feature names. */
  feature: string;
  value: number;
}

/**
 * Importance of every feature used in a split, in feature order (features never split on are
 * left out, as XGBoost does): `weight` counts splits, `total_gain` / `total_cover` sum the
 * splits' loss reduction / hessian cover, and `gain` / `cover` are those sums per split.
 * Like `get_score`, it reads every tree, whatever `bestIteration` says.
 * @throws ValidationError for an unknown importance type.
 */
export function featureImportance(model: BoosterModel, type: ImportanceType): FeatureImportance[] {
  if (!IMPORTANCE_TYPES.includes(type)) {
    throw validationError(`importance type must be one of ${IMPORTANCE_TYPES.join(', ')}, got '${String(type)}'`);
  }
  const { splits, gain, cover } = splitStatsImpl(model);
  const result: FeatureImportance[] = [];
  for (let f = 0; f < splits.length; f++) {
    if (splits[f] === 0) continue;
    const feature = model.featureNames?.[f] ?? `f${f}`;
    result.push({ feature, value: importanceValue(type, splits[f], gain[f], cover[f]) });
  }
  return result;
}

function importanceValue(type: ImportanceType, splits: number, gain: number, cover: number): number {
  switch (type) {
    case 'weight':
      return splits;
    case 'gain':
      return gain / splits;
    case 'cover':
      return cover / splits;
    case 'total_gain':
      return gain;
    case 'total_cover':
      return cover;
  }
}

/** Per feature: the number of splits and the sums of their gain and cover, over the nodes reachable from each root. */
export function splitStatsImpl(model: BoosterModel): { splits: Float64Array; gain: Float64Array; cover: Float64Array } {
  const m = model.numFeature;
  const splits = new Float64Array(m);
  const gain = new Float64Array(m);
  const cover = new Float64Array(m);
  let largest = 1;
  for (const tree of model.trees) largest = Math.max(largest, tree.left.length);
  const stack = new Int32Array(largest);
  for (const tree of model.trees) {
    let top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const i = stack[--top];
      if (tree.left[i] === -1) continue;
      const f = tree.splitFeature[i];
      splits[f] += 1;
      gain[f] += tree.gain[i];
      cover[f] += tree.cover[i];
      stack[top++] = tree.left[i];
      stack[top++] = tree.right[i];
    }
  }
  return { splits, gain, cover };
}
