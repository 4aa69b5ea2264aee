import { stat } from 'node:fs/promises';
import { validationError } from '../../core/errors.js';
import { listChannelFiles, readNumericTable } from '../../data/numeric-table.js';
import type { ChannelInput } from '../algorithm.js';
import type { LinearLearnerConfig } from './config.js';
import type { Dataset } from './evaluate.js';

/** One channel read into memory, with what the job log reports about it. */
export interface ChannelData {
  name: string;
  data: Dataset;
  featureNames: string[];
  hasHeader: boolean;
  files: number;
  bytes: number;
  seconds: number;
}

/** The label check of a predictor type: a message for a bad label, else undefined. */
export function labelValidator(cfg: LinearLearnerConfig): ((label: number) => string | undefined) | undefined {
  if (cfg.predictorType === 'binary_classifier') {
    return (v) => (v === 0 || v === 1 ? undefined : `label ${v} is not 0 or 1 (predictor_type 'binary_classifier')`);
  }
  if (cfg.predictorType === 'multiclass_classifier') {
    const K = cfg.numClasses;
    return (v) => (Number.isInteger(v) && v >= 0 && v < K ? undefined : `label ${v} is not a class: expected an integer from 0 to ${K - 1} (num_classes is ${K})`);
  }
  return undefined;
}

/**
 * Reads every file of a CSV channel into one labelled data set.
 * @throws ValidationError for a non-CSV content type, a channel without files or rows, or any
 * bad cell or label (naming its file, line and column).
 */
export async function loadChannel(name: string, ch: ChannelInput, cfg: LinearLearnerConfig, signal?: AbortSignal): Promise<ChannelData> {
  if (!/^text\/csv\b/i.test(ch.contentType)) {
    throw validationError(`linear-learner reads text/csv; channel '${name}' has content type '${ch.contentType}'`, {
      field: 'contentType',
      channel: name,
    });
  }
  const started = performance.now();
  const files = await listChannelFiles(ch.path);
  if (files.length === 0) throw validationError(`channel '${name}' has no data files`, { channel: name });
  const table = await readNumericTable(files, {
    header: ch.header,
    targetColumn: ch.targetColumn,
    root: ch.path,
    signal,
    validateLabel: labelValidator(cfg),
  });
  if (table.rows === 0) throw validationError(`channel '${name}' has no data rows`, { channel: name });
  const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size));
  return {
    name,
    data: { x: table.features, y: table.labels, rows: table.rows, d: table.cols },
    featureNames: table.featureNames,
    hasHeader: ch.header,
    files: files.length,
    bytes: sizes.reduce((a, b) => a + b, 0),
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * Checks that another channel has the training channel's features.
 * @throws ValidationError naming both channels.
 */
export function checkSameFeatures(train: ChannelData, other: ChannelData): void {
  if (other.data.d !== train.data.d) {
    throw validationError(`channel '${other.name}' has ${other.data.d} features but channel 'train' has ${train.data.d}`, {
      channel: other.name,
    });
  }
  if (train.hasHeader && other.hasHeader && other.featureNames.join(',') !== train.featureNames.join(',')) {
    throw validationError(`channel '${other.name}' has columns ${other.featureNames.join(', ')} but channel 'train' has ${train.featureNames.join(', ')}`, {
      channel: other.name,
    });
  }
}
