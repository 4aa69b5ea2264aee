import type { MetricDefinition } from '../algorithm.js';
import type { Metrics } from './evaluate.js';
import type { EpochReport } from './trainer.js';

const CHANNELS = ['train', 'validation', 'test'] as const;
const METRIC_NAMES = [
  'objective_loss',
  'binary_classification_accuracy',
  'binary_f_beta',
  'precision',
  'recall',
  'roc_auc_score',
  'multiclass_accuracy',
  'multiclass_top_k_accuracy',
  'mse',
  'rmse',
  'absolute_loss',
] as const;

/**
 * One definition per `<channel>:<metric>` the job log can carry. Each regex matches both the
 * per-epoch `#metrics` lines and the closing `#final` line, so the last match is the final value.
 */
export const LINEAR_LEARNER_METRICS: readonly MetricDefinition[] = CHANNELS.flatMap((ch) =>
  METRIC_NAMES.map((m) => ({ name: `${ch}:${m}`, regex: `${ch}:${m}=(\\S+)` })),
);

/** Six significant digits; 'nan' for a non-finite value (readable by Python's float()). */
export function formatMetric(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(6))) : 'nan';
}

/** `channel:name=value` pairs separated by spaces. */
export function formatMetrics(channel: string, metrics: Metrics): string {
  return Object.entries(metrics)
    .map(([name, v]) => `${channel}:${name}=${formatMetric(v)}`)
    .join(' ');
}

/** The per-epoch log line, e.g. `#metrics epoch=3 train:objective_loss=0.41 validation:objective_loss=0.43`. */
export function epochLine(r: EpochReport): string {
  const parts = [`#metrics epoch=${r.epoch}`, formatMetrics('train', r.train)];
  if (r.validation) parts.push(formatMetrics('validation', r.validation));
  return parts.join(' ');
}

/** The closing log line with the final model's metrics on every channel. */
export function finalLine(byChannel: Record<string, Metrics>): string {
  return ['#final', ...Object.entries(byChannel).map(([ch, m]) => formatMetrics(ch, m))].join(' ');
}
