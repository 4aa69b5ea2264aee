import { validationError } from '../../core/errors.js';
import { describeRange, normalizeHyperparameters, type ParamSpec } from '../hyperparameters.js';
import type { BoosterParams } from './engine/index.js';
import { EVAL_METRICS, OBJECTIVES, type EvalMetric, type Objective } from './model.js';

const UNIT_LEFT_OPEN = { min: 0, max: 1, exclusiveMin: true } as const;
const spec = (s: ParamSpec): ParamSpec => s;

/** XGBoost 1.7's learning parameters under their own names, as SageMaker's XGBoost takes them. */
export const XGBOOST_HYPERPARAMETERS: readonly ParamSpec[] = [
  spec({ name: 'num_round', type: 'integer', required: true, min: 1, max: 100_000, description: 'Number of boosting rounds.' }),
  spec({ name: 'objective', type: 'string', default: 'reg:squarederror', enum: [...OBJECTIVES], description: 'Learning objective.' }),
  spec({ name: 'num_class', type: 'integer', min: 2, max: 10_000, description: 'Number of classes, labelled 0..num_class−1; required for multi:softprob and multi:softmax.' }),
  spec({ name: 'eta', type: 'float', default: '0.3', min: 0, max: 1, description: 'Step size shrinkage applied to each tree (learning rate).' }),
  spec({ name: 'gamma', type: 'float', default: '0', min: 0, description: 'Minimum loss reduction to make a further split.' }),
  spec({ name: 'max_depth', type: 'integer', default: '6', min: 0, max: 30, description: 'Maximum tree depth; 0 means no limit (lossguide only).' }),
  spec({ name: 'max_leaves', type: 'integer', default: '0', min: 0, description: 'Maximum leaves per tree (lossguide); 0 means no limit.' }),
  spec({ name: 'grow_policy', type: 'string', default: 'depthwise', enum: ['depthwise', 'lossguide'], description: 'depthwise: split level by level; lossguide: split the leaf with the highest gain first.' }),
  spec({ name: 'min_child_weight', type: 'float', default: '1', min: 0, description: 'Minimum sum of instance weight (hessian) in a child.' }),
  spec({ name: 'lambda', type: 'float', default: '1', min: 0, description: 'L2 regularization of leaf weights.' }),
  spec({ name: 'alpha', type: 'float', default: '0', min: 0, description: 'L1 regularization of leaf weights.' }),
  spec({ name: 'max_delta_step', type: 'float', default: '0', min: 0, description: 'Maximum absolute leaf weight; 0 means no limit (count:poisson uses 0.7 when unset).' }),
  spec({ name: 'subsample', type: 'float', default: '1', ...UNIT_LEFT_OPEN, description: 'Share of rows sampled for each tree, in (0, 1].' }),
  spec({ name: 'colsample_bytree', type: 'float', default: '1', ...UNIT_LEFT_OPEN, description: 'Share of columns sampled for each tree, in (0, 1].' }),
  spec({ name: 'colsample_bylevel', type: 'float', default: '1', ...UNIT_LEFT_OPEN, description: 'Share of the tree’s columns sampled for each depth level, in (0, 1].' }),
  spec({ name: 'colsample_bynode', type: 'float', default: '1', ...UNIT_LEFT_OPEN, description: 'Share of the level’s columns sampled for each split, in (0, 1].' }),
  spec({ name: 'scale_pos_weight', type: 'float', default: '1', min: 0, exclusiveMin: true, description: 'Weight of positive examples (binary objectives).' }),
  spec({ name: 'base_score', type: 'float', default: '0.5', description: 'Initial prediction of every row, in the objective’s output space.' }),
  spec({ name: 'seed', type: 'integer', default: '0', min: 0, max: 2_147_483_647, description: 'Random seed of row and column sampling.' }),
  spec({ name: 'max_bin', type: 'integer', default: '256', min: 2, max: 256, description: 'Maximum number of histogram bins per feature.' }),
  spec({ name: 'tree_method', type: 'string', default: 'auto', enum: ['auto', 'hist'], description: 'Tree construction algorithm; Stratus implements hist (auto means hist).' }),
  spec({ name: 'booster', type: 'string', default: 'gbtree', enum: ['gbtree'], description: 'Booster; Stratus implements gbtree.' }),
  spec({ name: 'eval_metric', type: 'string', description: `Evaluation metrics, comma-separated, from ${EVAL_METRICS.join(', ')}; default: the objective’s (logloss, rmse, mlogloss, mae, poisson-nloglik).` }),
  spec({ name: 'early_stopping_rounds', type: 'integer', min: 1, description: 'Stop when the last metric on the validation channel has not improved for this many rounds; the best round is kept.' }),
  spec({ name: 'nthread', type: 'integer', min: 1, max: 256, description: 'Worker threads; default: the CPUs of the job’s instance.' }),
  spec({ name: 'verbosity', type: 'integer', default: '1', min: 0, max: 3, description: 'Log detail (accepted for compatibility).' }),
];

const MULTI = new Set<string>(['multi:softprob', 'multi:softmax']);

/**
 * Validates raw (string) hyperparameters and fills in defaults.
 * @throws ValidationError naming the field and its valid range.
 */
export function validateXGBoostHyperparameters(raw: Record<string, string>): Record<string, string> {
  const out = normalizeHyperparameters('xgboost', XGBOOST_HYPERPARAMETERS, raw);
  if (out.num_round === undefined) throw requiredError('num_round', 'is required');
  if (MULTI.has(out.objective) && out.num_class === undefined) throw requiredError('num_class', `is required for objective '${out.objective}'`);
  if (out.eval_metric !== undefined) out.eval_metric = parseEvalMetrics(out.eval_metric).join(',');
  if (out.grow_policy === 'depthwise' && out.max_depth === '0') {
    throw validationError("hyperparameter 'max_depth' must be ≥ 1 with grow_policy 'depthwise' (0, no limit, needs 'lossguide')", { field: 'max_depth' });
  }
  return out;
}

function parseEvalMetrics(text: string): EvalMetric[] {
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!(EVAL_METRICS as readonly string[]).includes(n)) {
      const validRange = `a comma-separated list of ${EVAL_METRICS.join(', ')}`;
      throw validationError(`hyperparameter 'eval_metric' must be ${validRange}; '${n}' is not one`, { field: 'eval_metric', validRange });
    }
  }
  return [...new Set(names)] as EvalMetric[];
}

function requiredError(name: string, what: string) {
  const s = XGBOOST_HYPERPARAMETERS.find((p) => p.name === name)!;
  const validRange = describeRange(s);
  return validationError(`hyperparameter '${name}' ${what} (${validRange})`, { field: name, validRange });
}

/** The engine's parameters from validated hyperparameters. */
export function toBoosterParams(hp: Record<string, string>, cpus: number): BoosterParams {
  const num = (k: string) => Number(hp[k]);
  const objective = hp.objective as Objective;
  return {
    objective,
    num_class: MULTI.has(objective) ? num('num_class') : 1,
    num_round: num('num_round'),
    eta: num('eta'),
    gamma: num('gamma'),
    max_depth: num('max_depth'),
    max_leaves: num('max_leaves'),
    grow_policy: hp.grow_policy as BoosterParams['grow_policy'],
    min_child_weight: num('min_child_weight'),
    lambda: num('lambda'),
    alpha: num('alpha'),
    max_delta_step: num('max_delta_step'),
    subsample: num('subsample'),
    colsample_bytree: num('colsample_bytree'),
    colsample_bylevel: num('colsample_bylevel'),
    colsample_bynode: num('colsample_bynode'),
    scale_pos_weight: num('scale_pos_weight'),
    base_score: num('base_score'),
    seed: num('seed'),
    max_bin: num('max_bin'),
    eval_metric: hp.eval_metric ? (hp.eval_metric.split(',') as EvalMetric[]) : [],
    ...(hp.early_stopping_rounds ? { early_stopping_rounds: num('early_stopping_rounds') } : {}),
    nthread: hp.nthread ? num('nthread') : Math.max(1, cpus),
  };
}
