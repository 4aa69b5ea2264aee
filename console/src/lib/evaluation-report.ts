/**
 * The evaluation report document (`GET /evaluation-jobs/:name/report`), typed for the console.
 * The API declares it as a free-form object; its shape is written by src/evaluation (metric
 * objects of metrics/binary.ts, multiclass.ts, regression.ts) and described in
 * docs/architecture.md, "Evaluation jobs". Undefined metrics (an AUC of one class) are null.
 */

export interface ThresholdMetrics { threshold: number; accuracy: number; precision: number; recall: number; f1: number; specificity: number }
export interface BinaryMetrics extends ThresholdMetrics {
  count: number; positives: number; negatives: number;
  confusionMatrix: { tn: number; fp: number; fn: number; tp: number };
  rocAuc: number | null; prAuc: number | null; logLoss?: number | null;
  rocCurve: { fpr: number[]; tpr: number[]; thresholds: number[] };
  prCurve: { precision: number[]; recall: number[]; thresholds: number[] };
  thresholdSweep: ThresholdMetrics[];
}
export interface Averaged { precision: number; recall: number; f1: number }
export interface MulticlassMetrics {
  count: number; accuracy: number; macro: Averaged; micro: Averaged; weighted: Averaged;
  perClass: Array<Averaged & { label: number; support: number }>;
  labels: number[]; confusionMatrix: number[][]; logLoss?: number | null;
}
export interface RegressionMetrics {
  count: number; rmse: number; mse: number; mae: number; mape: number; r2: number;
  residualQuantiles: Array<{ q: number; value: number }>;
}
export type Task = 'binary' | 'multiclass' | 'regression';
export type TaskMetrics = BinaryMetrics | MulticlassMetrics | RegressionMetrics;

export interface ReportPart { trainingJob?: string; testRows?: number[]; metrics: TaskMetrics }
export interface EvaluationReportDoc {
  name: string;
  task: Task;
  method: { type: 'holdout' | 'kfold'; testShare?: number; k?: number; stratified: boolean; seed?: number };
  threshold: number;
  featureNames?: string[];
  rows: { total: number; test: number };
  summary: Record<string, { mean: number | null; std?: number | null; values?: Array<number | null> }>;
  holdout?: ReportPart;
  folds?: Array<ReportPart & { fold: number }>;
}

/** Narrows the API's free-form report; throws with a plain message when it is not one. */
export function asReport(doc: Record<string, unknown>): EvaluationReportDoc {
  const task = doc.task;
  if (task !== 'binary' && task !== 'multiclass' && task !== 'regression') throw new Error(`the report has an unknown task '${String(task)}'`);
  if (!doc.holdout && !Array.isArray(doc.folds)) throw new Error('the report has neither a hold-out part nor folds');
  return doc as unknown as EvaluationReportDoc;
}

/** Headline metrics in reading order, with their labels; the rest follow by name. */
export const METRIC_LABELS: Record<string, string> = {
  accuracy: 'Accuracy', precision: 'Precision', recall: 'Recall', f1: 'F1', specificity: 'Specificity', rocAuc: 'ROC AUC', prAuc: 'PR AUC', logLoss: 'Log loss',
  macroPrecision: 'Macro precision', macroRecall: 'Macro recall', macroF1: 'Macro F1', microPrecision: 'Micro precision', microRecall: 'Micro recall', microF1: 'Micro F1',
  weightedPrecision: 'Weighted precision', weightedRecall: 'Weighted recall', weightedF1: 'Weighted F1',
  rmse: 'RMSE', mse: 'MSE', mae: 'MAE', mape: 'MAPE', r2: 'R²',
};

export function orderedMetricNames(names: string[]): string[] {
  const known = Object.keys(METRIC_LABELS);
  const rank = (n: string) => (known.includes(n) ? known.indexOf(n) : known.length);
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}
