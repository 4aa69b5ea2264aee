import { validationError } from '../../core/errors.js';
import { describeRange, normalizeHyperparameters, type ParamSpec } from '../hyperparameters.js';

/** Linear learner's specs use the shared spec type. */
export type LinearLearnerParamSpec = ParamSpec;
export { describeRange } from '../hyperparameters.js';

/** SageMaker Linear Learner's predictor types. */
export const PREDICTOR_TYPES = ['binary_classifier', 'multiclass_classifier', 'regressor'] as const;
/** One of {@link PREDICTOR_TYPES}. */
export type PredictorType = (typeof PREDICTOR_TYPES)[number];

/** Losses each predictor type accepts ('auto' included). */
export const LOSSES_BY_PREDICTOR: Record<PredictorType, readonly string[]> = {
  binary_classifier: ['auto', 'logistic', 'hinge_loss'],
  multiclass_classifier: ['auto', 'softmax_loss'],
  regressor: [
    'auto',
    'squared_loss',
    'absolute_loss',
    'eps_insensitive_squared_loss',
    'eps_insensitive_absolute_loss',
    'quantile_loss',
    'huber_loss',
  ],
};

const AUTO_BOOL = ['auto', 'true', 'false'];
const UNIT_OPEN = { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true } as const;

const spec = (s: LinearLearnerParamSpec): LinearLearnerParamSpec => s;

/** SageMaker Linear Learner's hyperparameters as this implementation supports them. */
export const LINEAR_LEARNER_HYPERPARAMETERS: readonly LinearLearnerParamSpec[] = [
  spec({ name: 'predictor_type', type: 'string', required: true, enum: [...PREDICTOR_TYPES], description: 'Binary classification, multiclass classification or regression.' }),
  spec({ name: 'num_classes', type: 'integer', min: 3, max: 1_000_000, description: "Number of classes, labelled 0..num_classes−1. Required when predictor_type is 'multiclass_classifier'; ignored otherwise." }),
  spec({ name: 'epochs', type: 'integer', default: '15', min: 1, description: 'Maximum number of passes over the training data.' }),
  spec({ name: 'mini_batch_size', type: 'integer', default: '1000', min: 1, description: 'Rows per mini-batch.' }),
  spec({ name: 'learning_rate', type: 'float', default: 'auto', enum: ['auto'], min: 0, exclusiveMin: true, description: 'Step size (> 0). auto: chosen from the optimizer and the number of updates.' }),
  spec({ name: 'optimizer', type: 'string', default: 'auto', enum: ['auto', 'sgd', 'adam', 'rmsprop'], description: 'Optimization algorithm; auto is adam.' }),
  spec({ name: 'beta_1', type: 'float', default: 'auto', enum: ['auto'], ...UNIT_OPEN, description: 'Adam first-moment decay, in (0, 1). auto: 0.9.' }),
  spec({ name: 'beta_2', type: 'float', default: 'auto', enum: ['auto'], ...UNIT_OPEN, description: 'Adam second-moment decay, in (0, 1). auto: 0.999.' }),
  spec({ name: 'momentum', type: 'float', default: 'auto', enum: ['auto'], min: 0, max: 1, exclusiveMax: true, description: 'Momentum of the sgd optimizer, in [0, 1). auto: 0.9.' }),
  spec({ name: 'bias_lr_mult', type: 'float', default: 'auto', enum: ['auto'], min: 0, exclusiveMin: true, description: 'Learning-rate multiplier of the bias (> 0). auto: 1.' }),
  spec({ name: 'bias_wd_mult', type: 'float', default: 'auto', enum: ['auto'], min: 0, description: 'L2 multiplier of the bias (≥ 0). auto: 0 (the bias is not regularized).' }),
  spec({ name: 'l1', type: 'float', default: 'auto', enum: ['auto'], min: 0, description: 'L1 regularization (≥ 0), applied by soft-thresholding. auto: 0.' }),
  spec({ name: 'wd', type: 'float', default: 'auto', enum: ['auto'], min: 0, description: 'L2 regularization (weight decay, ≥ 0). auto: 0.' }),
  spec({ name: 'use_bias', type: 'boolean', default: 'true', description: 'Whether the model has an intercept.' }),
  spec({ name: 'normalize_data', type: 'string', default: 'true', enum: AUTO_BOOL, description: 'Scale each feature to unit standard deviation (auto: true).' }),
  spec({ name: 'normalize_label', type: 'string', default: 'auto', enum: AUTO_BOOL, description: 'Scale the label to unit standard deviation; regressor only (auto: true for regressor).' }),
  spec({ name: 'unbias_data', type: 'string', default: 'auto', enum: AUTO_BOOL, description: 'Shift each feature to mean 0 (auto: when use_bias is true).' }),
  spec({ name: 'unbias_label', type: 'string', default: 'auto', enum: AUTO_BOOL, description: 'Shift the label to mean 0; regressor only (auto: when use_bias is true).' }),
  spec({ name: 'use_lr_scheduler', type: 'boolean', default: 'true', description: 'Decay the learning rate during training.' }),
  spec({ name: 'lr_scheduler_step', type: 'integer', default: 'auto', enum: ['auto'], min: 1, description: 'Updates between learning-rate decays. auto: 100.' }),
  spec({ name: 'lr_scheduler_factor', type: 'float', default: 'auto', enum: ['auto'], ...UNIT_OPEN, description: 'Learning-rate decay factor, in (0, 1). auto: 0.99.' }),
  spec({ name: 'lr_scheduler_minimum_lr', type: 'float', default: 'auto', enum: ['auto'], min: 0, exclusiveMin: true, description: 'Floor of the decayed learning rate (> 0). auto: 1e-5, or learning_rate if lower.' }),
  spec({ name: 'early_stopping_patience', type: 'integer', default: '3', min: 1, description: 'Epochs without relative improvement of the objective (validation if given, else training) before stopping.' }),
  spec({ name: 'early_stopping_tolerance', type: 'float', default: '0.001', min: 0, exclusiveMin: true, description: 'Relative improvement below which an epoch counts as no improvement.' }),
  spec({ name: 'loss', type: 'string', default: 'auto', enum: [...new Set(Object.values(LOSSES_BY_PREDICTOR).flat())], description: 'Loss function; auto is logistic, softmax_loss or squared_loss by predictor_type.' }),
  spec({ name: 'loss_insensitivity', type: 'float', default: '0.01', min: 0, exclusiveMin: true, description: 'Epsilon of the eps_insensitive losses (in normalized label units).' }),
  spec({ name: 'huber_delta', type: 'float', default: '1', min: 0, exclusiveMin: true, description: 'Delta of huber_loss (in normalized label units).' }),
  spec({ name: 'quantile', type: 'float', default: '0.5', ...UNIT_OPEN, description: 'Quantile of quantile_loss, in (0, 1).' }),
  spec({ name: 'margin', type: 'float', default: '1', min: 0, exclusiveMin: true, description: 'Margin of hinge_loss.' }),
  spec({ name: 'positive_example_weight_mult', type: 'float', default: '1', enum: ['auto', 'balanced'], min: 0, exclusiveMin: true, description: "Weight of positive examples (binary); 'balanced' (and 'auto') weigh both classes equally in total." }),
  spec({ name: 'balance_multiclass_weights', type: 'boolean', default: 'false', description: 'Weigh classes so that each has equal total weight (multiclass).' }),
  spec({ name: 'binary_classifier_model_selection_criteria', type: 'string', default: 'accuracy', enum: ['accuracy', 'f_beta', 'precision_at_target_recall', 'recall_at_target_precision', 'loss_function'], description: 'How the decision threshold is chosen, on validation data if given, else training data (loss_function: 0.5).' }),
  spec({ name: 'num_calibration_samples', type: 'integer', default: 'auto', enum: ['auto'], min: 1, description: 'Rows (a seeded sample of the validation data if given, else of the training data) on which the decision threshold is chosen. auto: 200000.' }),
  spec({ name: 'f_beta', type: 'float', default: '1', min: 0, exclusiveMin: true, description: 'Beta of the F score.' }),
  spec({ name: 'target_precision', type: 'float', default: '0.8', min: 0, max: 1, exclusiveMin: true, description: 'Precision held for recall_at_target_precision, in (0, 1].' }),
  spec({ name: 'target_recall', type: 'float', default: '0.8', min: 0, max: 1, exclusiveMin: true, description: 'Recall held for precision_at_target_recall, in (0, 1].' }),
  spec({ name: 'accuracy_top_k', type: 'integer', default: '3', min: 1, description: 'k of the multiclass top-k accuracy metric.' }),
  spec({ name: 'init_method', type: 'string', default: 'uniform', enum: ['uniform', 'normal'], description: 'Distribution of the initial weights.' }),
  spec({ name: 'init_scale', type: 'float', default: '0.07', min: 0, exclusiveMin: true, description: 'Initial weights are uniform in [−init_scale, init_scale].' }),
  spec({ name: 'init_sigma', type: 'float', default: '0.01', min: 0, exclusiveMin: true, description: 'Standard deviation of normal initial weights.' }),
  spec({ name: 'init_bias', type: 'float', default: '0', description: 'Initial bias.' }),
  spec({ name: 'feature_dim', type: 'integer', default: 'auto', enum: ['auto'], min: 1, description: 'Number of features; when set, the data must have exactly this many.' }),
  spec({ name: 'seed', type: 'integer', default: '0', min: 0, max: 4294967295, description: 'Seed of initialization and shuffling (Stratus addition).' }),
];

const BY_NAME = new Map(LINEAR_LEARNER_HYPERPARAMETERS.map((s) => [s.name, s]));

/**
 * Validates raw (string) hyperparameters and fills in defaults.
 * @throws ValidationError naming the field and its valid range, for unknown names, bad values,
 * a missing predictor_type or num_classes, or a loss that does not fit the predictor type.
 */
export function validateLinearLearnerHyperparameters(raw: Record<string, string>): Record<string, string> {
  const out = normalizeHyperparameters('linear-learner', LINEAR_LEARNER_HYPERPARAMETERS, raw);
  checkCombination(out);
  return out;
}

function checkCombination(hp: Record<string, string>): void {
  const predictor = hp.predictor_type as PredictorType | undefined;
  if (!predictor) throw requiredError('predictor_type', 'is required');
  if (predictor === 'multiclass_classifier' && hp.num_classes === undefined) {
    throw requiredError('num_classes', "is required when predictor_type is 'multiclass_classifier'");
  }
  const losses = LOSSES_BY_PREDICTOR[predictor];
  if (!losses.includes(hp.loss)) {
    const validRange = `one of ${losses.map((l) => `'${l}'`).join(', ')}`;
    throw validationError(`hyperparameter 'loss' must be ${validRange} when predictor_type is '${predictor}', got '${hp.loss}'`, {
      field: 'loss',
      validRange,
    });
  }
}

function requiredError(name: string, what: string) {
  const s = BY_NAME.get(name) as LinearLearnerParamSpec;
  const validRange = describeRange(s);
  return validationError(`hyperparameter '${name}' ${what} (${validRange})`, { field: name, validRange });
}
