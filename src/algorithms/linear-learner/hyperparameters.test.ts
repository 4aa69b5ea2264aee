import { describe, expect, it } from 'vitest';
import { PlatformError } from '../../core/errors.js';
import { describeRange, LINEAR_LEARNER_HYPERPARAMETERS, validateLinearLearnerHyperparameters as validate } from './hyperparameters.js';

function rejection(raw: Record<string, string>): PlatformError {
  try {
    validate(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(PlatformError);
    expect((e as PlatformError).code).toBe('ValidationError');
    return e as PlatformError;
  }
  throw new Error('expected a ValidationError');
}

const binary = { predictor_type: 'binary_classifier' };

describe('linear-learner hyperparameters', () => {
  it('fills every default, as strings', () => {
    const hp = validate(binary);
    expect(hp).toMatchObject({ epochs: '15', mini_batch_size: '1000', learning_rate: 'auto', optimizer: 'auto', use_bias: 'true' });
    expect(hp.early_stopping_patience).toBe('3');
    expect(hp.early_stopping_tolerance).toBe('0.001');
    expect(hp.seed).toBe('0');
    expect(hp.num_classes).toBeUndefined();
    for (const s of LINEAR_LEARNER_HYPERPARAMETERS) if (s.default !== undefined) expect(hp[s.name]).toBe(s.default);
  });

  it('names the field and its valid range in errors', () => {
    const e = rejection({ ...binary, epochs: '0' });
    expect(e.message).toBe("hyperparameter 'epochs' must be an integer ≥ 1, got '0'");
    expect(e.details).toEqual({ field: 'epochs', validRange: 'an integer ≥ 1' });
    expect(rejection({ ...binary, learning_rate: '0' }).message).toBe("hyperparameter 'learning_rate' must be a number > 0 or 'auto', got '0'");
    expect(rejection({ ...binary, beta_1: '1' }).message).toContain("a number in (0, 1) or 'auto'");
    expect(rejection({ predictor_type: 'multiclass_classifier', num_classes: '2' }).message).toBe(
      "hyperparameter 'num_classes' must be an integer from 3 to 1000000, got '2'",
    );
    expect(rejection({ ...binary, mini_batch_size: '10.5' }).details).toMatchObject({ field: 'mini_batch_size' });
    expect(rejection({ ...binary, optimizer: 'adagrad' }).message).toContain("one of 'auto', 'sgd', 'adam', 'rmsprop'");
    expect(rejection({ ...binary, use_bias: 'yes' }).message).toContain("'true' or 'false'");
    expect(rejection({ ...binary, wd: 'abc' }).message).toContain("'wd'");
  });

  it('rejects unknown names, a missing predictor_type and a multiclass model without num_classes', () => {
    expect(rejection({ ...binary, epoch: '3' }).message).toContain("unknown hyperparameter 'epoch'");
    expect(rejection({}).details).toMatchObject({ field: 'predictor_type' });
    expect(rejection({ predictor_type: 'multiclass_classifier' }).message).toContain("'num_classes' is required");
  });

  it('accepts only the losses of the predictor type', () => {
    expect(validate({ predictor_type: 'regressor', loss: 'huber_loss' }).loss).toBe('huber_loss');
    const e = rejection({ ...binary, loss: 'squared_loss' });
    expect(e.message).toContain("'loss' must be one of 'auto', 'logistic', 'hinge_loss' when predictor_type is 'binary_classifier'");
  });

  it('normalizes values: booleans in any case, numbers canonically, auto and balanced', () => {
    const hp = validate({
      ...binary,
      use_bias: 'False',
      epochs: '20.0',
      learning_rate: '1e-3',
      l1: 'AUTO',
      positive_example_weight_mult: 'balanced',
      normalize_data: 'false',
    });
    expect(hp).toMatchObject({ use_bias: 'false', epochs: '20', learning_rate: '0.001', l1: 'auto', positive_example_weight_mult: 'balanced', normalize_data: 'false' });
    expect(validate(hp)).toEqual(hp);
  });

  it('describes every spec as a readable range', () => {
    for (const s of LINEAR_LEARNER_HYPERPARAMETERS) expect(describeRange(s).length).toBeGreaterThan(5);
    expect(describeRange({ name: 'x', type: 'float', description: '', min: 0 })).toBe('a number ≥ 0');
  });
});
