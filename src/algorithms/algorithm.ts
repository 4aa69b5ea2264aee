import type { PlatformError } from '../core/errors.js';
import type { Collective } from './distributed/collective.js';

/** One hyperparameter of a built-in algorithm, as the API and console describe it. */
export interface HyperparameterSpec {
  name: string;
  type: 'integer' | 'float' | 'string' | 'boolean';
  description: string;
  /** Default as a string (SageMaker passes every hyperparameter as a string); absent when required. */
  default?: string;
  required?: boolean;
  /** Inclusive numeric range. */
  min?: number;
  max?: number;
  /** Allowed strings; 'auto' is listed where the algorithm chooses. */
  enum?: string[];
}

/** A channel as a built-in algorithm sees it inside the job folder. */
export interface ChannelInput {
  /** Folder holding the channel's files (input/data/<channel>). */
  path: string;
  /** e.g. 'text/csv'. */
  contentType: string;
  /** CSV: whether the first line of each file is a header. */
  header: boolean;
  /** With a header: the name of the label column; without one: the label is column 0. */
  targetColumn?: string;
}

export interface TrainContext {
  channels: Record<string, ChannelInput>;
  /** Validated and normalized by `validateHyperparameters`; every key present (defaults filled). */
  hyperparameters: Record<string, string>;
  modelDir: string;
  outputDataDir: string;
  /** Writes one log line to the job's log (stdout). Metric lines follow `metricDefinitions`. */
  log(line: string): void;
  signal: AbortSignal;
  /** Worker threads the algorithm may use. */
  cpus: number;
  /**
   * The job's hosts, connected, when the job runs on several and the algorithm is
   * `dataParallel`: each host's channels hold its share of the data, and the algorithm exchanges
   * what it needs (sums of statistics) so every host trains the same model. Absent on one host.
   */
  collective?: Collective;
}

/** One prediction in the algorithm's documented response shape. */
export type PredictionRecord = Record<string, number | number[]>;

export interface Predictor {
  /** Number of features a request row must have. */
  readonly featureCount: number;
  /** Predicts `rows` rows held row-major in `features` (rows × featureCount). */
  predict(features: Float64Array, rows: number): PredictionRecord[];
  /** One CSV line (no newline) for a prediction, for `Accept: text/csv`. */
  csvLine(record: PredictionRecord): string;
  /** Response type when the request has no Accept header or accepts anything. @defaultValue 'application/json' */
  readonly defaultAccept?: 'application/json' | 'text/csv';
}

export interface MetricDefinition {
  name: string;
  regex: string;
}

/** A built-in algorithm: trains inside a job process, predicts inside a replica worker. */
export interface BuiltinAlgorithm {
  readonly name: string;
  readonly description: string;
  readonly hyperparameters: readonly HyperparameterSpec[];
  /** Regexes that pick this algorithm's metrics out of its log lines (first capture group). */
  readonly metricDefinitions: readonly MetricDefinition[];
  /** Channels it requires and accepts. */
  readonly channels: { required: readonly string[]; optional: readonly string[] };
  /**
   * Trains data-parallel across the hosts of a multi-instance job (through `TrainContext.collective`).
   * Otherwise every host trains alone on its share and the master's (`algo-1`'s) model is kept.
   */
  readonly dataParallel?: boolean;
  /**
   * Checks raw (string) hyperparameters: unknown names and out-of-range values throw a
   * ValidationError naming the field and its valid range. Returns every hyperparameter with
   * defaults filled in, as strings.
   */
  validateHyperparameters(raw: Record<string, string>): Record<string, string>;
  /** Trains from ctx.channels and writes the model (manifest.json + blobs) into ctx.modelDir. */
  train(ctx: TrainContext): Promise<void>;
  /** Loads a model folder written by `train`. */
  loadPredictor(modelDir: string): Promise<Predictor>;
  /** Formats `exportModel` writes, e.g. 'onnx'. */
  readonly exportFormats?: readonly string[];
  /** The model of a model folder in a portable format (one of `exportFormats`). */
  exportModel?(modelDir: string, format: string): Promise<ModelExport>;
  /** Per-feature importance of a model folder, where the algorithm has such a notion. */
  featureImportance?(modelDir: string, type: string): Promise<FeatureImportance>;
}

/** A model in a portable format, ready to download. */
export interface ModelExport {
  format: string;
  contentType: string;
  /** Suggested file name, e.g. `model.onnx`. */
  fileName: string;
  body: Uint8Array;
}

/** Importance of each feature, most important first. */
export interface FeatureImportance {
  type: string;
  features: { feature: string; value: number }[];
}

export type AlgorithmError = PlatformError;
