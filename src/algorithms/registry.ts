import { validationError } from '../core/errors.js';
import type { BuiltinAlgorithm } from './algorithm.js';
import { linearLearner } from './linear-learner/index.js';
import { xgboost } from './xgboost/index.js';

/** The built-in algorithms, registered explicitly (no side-effect imports). */
export const BUILTIN_ALGORITHMS = {
  'linear-learner': linearLearner,
  xgboost,
} satisfies Record<string, BuiltinAlgorithm>;

export function findBuiltinAlgorithm(name: string): BuiltinAlgorithm | undefined {
  return Object.hasOwn(BUILTIN_ALGORITHMS, name) ? BUILTIN_ALGORITHMS[name as keyof typeof BUILTIN_ALGORITHMS] : undefined;
}

export function builtinAlgorithm(name: string): BuiltinAlgorithm {
  const a = findBuiltinAlgorithm(name);
  if (!a) {
    throw validationError(`unknown algorithm '${name}'; built-in algorithms: ${Object.keys(BUILTIN_ALGORITHMS).join(', ')}`, { field: 'algorithm' });
  }
  return a;
}
