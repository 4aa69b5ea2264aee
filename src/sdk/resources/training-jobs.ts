import { isAbortError, StratusApiError } from '../errors.js';
import { listAll } from '../paginate.js';
import { pollUntil, type WaitOptions } from '../poll.js';
import { parseSse } from '../sse.js';
import { pathOf, type Transport } from '../transport.js';
import type {
  CreateTrainingJobRequest,
  FeatureImportance,
  LogMetricsRequest,
  LogParamsRequest,
  MetricSeries,
  MetricsOptions,
  TrainingJob,
  TrainingJobList,
  TrainingJobListQuery,
  TrainingJobStatus,
} from '../types.js';

const BASE = '/api/v1/training-jobs';

/** Statuses a training job never leaves. */
export const TERMINAL_JOB_STATUSES: readonly TrainingJobStatus[] = ['Completed', 'Failed', 'Stopped'];

/** What {@link TrainingJobsApi.followLogs} yields: log lines, then the final status. */
export type LogEvent = { type: 'log'; line: string } | { type: 'end'; status: TrainingJobStatus };

/** Training jobs: start them, watch them, read their logs and metrics. */
export class TrainingJobsApi {
  constructor(readonly transport: Transport) {}

  /**
   * Starts a training job: a built-in `algorithm`, or your own code as a `script` (a .tar.gz
   * uploaded with `client.artifacts.upload`, run SageMaker-style with SM_* variables and
   * hyperparameters as `--name value`).
   * @example
   * await client.trainingJobs.create({
   *   name: 'bc-1', algorithm: 'linear-learner',
   *   hyperparameters: { predictor_type: 'binary_classifier' },
   *   inputs: [{ channel: 'train', dataset: 'breast-cancer' }],
   * });
   * @example
   * const code = await client.artifacts.upload('sources/bc-2/sourcedir.tar.gz', './sourcedir.tar.gz');
   * await client.trainingJobs.create({
   *   name: 'bc-2', script: { source: code.uri, entryPoint: 'train.py' },
   *   hyperparameters: { epochs: 5 }, metricDefinitions: [{ name: 'accuracy', regex: 'accuracy=([0-9.]+)' }],
   *   inputs: [{ channel: 'train', dataset: 'breast-cancer' }],
   *   checkpointConfig: {},
   * });
   */
  create(request: CreateTrainingJobRequest): Promise<TrainingJob> {
    return this.transport.json({ method: 'POST', path: BASE, body: request });
  }

  /** One page of training jobs, newest first. */
  list(query: TrainingJobListQuery = {}): Promise<TrainingJobList> {
    return this.transport.json({ path: BASE, query });
  }

  /** Every training job matching the filters, page after page. */
  listAll(query: Omit<TrainingJobListQuery, 'nextToken'> = {}): AsyncGenerator<TrainingJobList['items'][number]> {
    return listAll((q) => this.list({ ...query, ...q }));
  }

  get(name: string): Promise<TrainingJob> {
    return this.transport.json({ path: pathOf(BASE, name) });
  }

  /** Asks a running job to stop; it moves to `Stopping`, then `Stopped`. */
  stop(name: string): Promise<TrainingJob> {
    return this.transport.json({ method: 'POST', path: pathOf(BASE, name, 'stop') });
  }

  /** The job's metric points, all of them or those of one metric. */
  metrics(name: string, query: MetricsOptions = {}): Promise<MetricSeries> {
    return this.transport.json({ path: pathOf(BASE, name, 'metrics'), query });
  }

  /**
   * Adds points to a running job's metric series (what `runContext().logMetric` sends; a job's
   * own STRATUS_JOB_TOKEN may call it). 409 once the job is no longer InProgress.
   */
  logMetrics(name: string, metrics: LogMetricsRequest['metrics']): Promise<{ recorded: number }> {
    return this.transport.json({ method: 'POST', path: pathOf(BASE, name, 'metrics'), body: { metrics } });
  }

  /** Records params on a running job beside its hyperparameters. 409 once it is no longer InProgress. */
  logParams(name: string, params: LogParamsRequest['params']): Promise<{ recorded: number }> {
    return this.transport.json({ method: 'POST', path: pathOf(BASE, name, 'params'), body: { params } });
  }

  /**
   * Per-feature importance of a Completed job's model, most important first (409 while it is
   * not Completed; 400 for an algorithm without feature importance).
   * @param type the algorithm's importance type. @defaultValue `'gain'`
   */
  featureImportance(name: string, type = 'gain'): Promise<FeatureImportance> {
    return this.transport.json({ path: pathOf(BASE, name, 'feature-importance'), query: { type } });
  }

  /** The whole log so far, as text. */
  async logs(name: string): Promise<string> {
    const res = await this.transport.send({ path: pathOf(BASE, name, 'logs'), headers: { accept: 'text/plain' } });
    return res.text();
  }

  /**
   * Streams the log, line by line, until the job ends (then yields its final status) or
   * `signal` aborts (then it just stops).
   * @example
   * for await (const ev of client.trainingJobs.followLogs('bc-1')) {
   *   if (ev.type === 'log') console.log(ev.line); else console.log('finished:', ev.status);
   * }
   */
  async *followLogs(name: string, opts: { signal?: AbortSignal } = {}): AsyncGenerator<LogEvent> {
    try {
      const res = await this.transport.send({
        path: pathOf(BASE, name, 'logs'),
        query: { follow: true },
        headers: { accept: 'text/event-stream' },
        signal: opts.signal,
      });
      if (!res.body) return;
      for await (const ev of parseSse(res.body)) {
        if (ev.event === 'log') yield { type: 'log', line: ev.data };
        if (ev.event !== 'end') continue;
        yield { type: 'end', status: endStatus(ev.data) };
        return;
      }
    } catch (err) {
      if (opts.signal?.aborted && (isAbortError(err) || err instanceof StratusApiError)) return;
      throw err;
    }
  }

  /**
   * Polls the job until it is `Completed`, `Failed` or `Stopped`, and returns it (it does not
   * throw for a failed job: check `status` and `failureReason`).
   */
  waitFor(name: string, opts: WaitOptions<TrainingJob> = {}): Promise<TrainingJob> {
    return pollUntil(`training job ${name}`, () => this.get(name), (j) => isTerminal(j.status), opts);
  }
}

/** Whether a training job in this status will never change again. */
export const isTerminal = (status: string) => (TERMINAL_JOB_STATUSES as readonly string[]).includes(status);

function endStatus(data: string): TrainingJobStatus {
  try {
    const parsed = JSON.parse(data) as { status?: TrainingJobStatus };
    if (parsed.status) return parsed.status;
  } catch {
    // fall through to the error below
  }
  throw new StratusApiError(0, 'InvalidResponse', `malformed end event in the log stream: ${data.slice(0, 200)}`);
}
