import { stat } from 'node:fs/promises';
import { validationError } from '../core/errors.js';
import { listChannelFiles, readNumericTable } from '../data/numeric-table.js';
import type { ChannelInput } from './algorithm.js';

/** A labelled numeric data set, features row-major (rows × d). */
export interface Dataset {
  x: Float64Array;
  y: Float64Array;
  rows: number;
  d: number;
}

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

/**
 * Reads every file of a CSV channel into one labelled data set.
 * @throws ValidationError for a non-CSV content type, a channel without files or rows, or any
 * bad cell or label (naming its file, line and column).
 */
export async function loadChannel(
  algorithm: string,
  name: string,
  ch: ChannelInput,
  validateLabel: ((label: number) => string | undefined) | undefined,
  signal?: AbortSignal,
): Promise<ChannelData> {
  if (!/^text\/csv\b/i.test(ch.contentType)) {
    throw validationError(`${algorithm} reads text/csv; channel '${name}' has content type '${ch.contentType}'`, {
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
    validateLabel,
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
