import type { BuiltinAlgorithm } from '../algorithm.js';
import { LINEAR_LEARNER_HYPERPARAMETERS, validateLinearLearnerHyperparameters } from './hyperparameters.js';
import { LINEAR_LEARNER_METRICS } from './metrics.js';
import { loadLinearModel } from './model.js';
import { createLinearPredictor } from './predict.js';
import { trainLinearLearner } from './train.js';

/**
 * The built-in `linear-learner`: SageMaker Linear Learner's hyperparameters, channels, metrics
 * and response shapes; binary (logistic or hinge), multiclass (softmax) and regression losses,
 * trained by shuffled mini-batch Adam/RMSProp/SGD on standardized features with early stopping;
 * data-parallel across the hosts of a multi-instance job (see distributed.ts).
 */
export const linearLearner: BuiltinAlgorithm = {
  name: 'linear-learner',
  description:
    'Linear models for binary classification, multiclass classification and regression (SageMaker Linear Learner compatible).',
  hyperparameters: LINEAR_LEARNER_HYPERPARAMETERS,
  metricDefinitions: LINEAR_LEARNER_METRICS,
  channels: { required: ['train'], optional: ['validation', 'test'] },
  dataParallel: true,
  validateHyperparameters: validateLinearLearnerHyperparameters,
  train: trainLinearLearner,
  async loadPredictor(modelDir: string) {
    return createLinearPredictor(await loadLinearModel(modelDir));
  },
};
