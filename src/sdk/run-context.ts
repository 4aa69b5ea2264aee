import { pathOf, Transport } from './transport.js';
import type { LogMetricsRequest } from './types.js';

type LoggedMetric = LogMetricsRequest['metrics'][number];
type ParamValue = string | number | boolean;

/** Options of {@link runContext}. */
export interface RunContextOptions {
  /** Where to read `STRATUS_API_URL`, `STRATUS_JOB_TOKEN` and `TRAINING_JOB_NAME`. @defaultValue `process.env` */
  env?: Record<string, string | undefined>;
  /** Send buffered points at least this often (ms). @defaultValue 2000 */
  flushIntervalMs?: number;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
}

const NAME = /^[A-Za-z0-9_.:/-]{1,255}$/;
const BATCH = 1000;

/**
 * The run a training script belongs to, for logging metrics and params through the API.
 * Metric points are buffered and sent every couple of seconds, when the process is about to exit
 * (`beforeExit`), or on {@link RunContext.flush}; call `await run.flush()` before `process.exit()`.
 */
export class RunContext {
  /** The training job (run) name; undefined outside a job. */
  readonly jobName: string | undefined;
  readonly #transport: Transport | undefined;
  #pending: LoggedMetric[] = [];
  #timer: NodeJS.Timeout | undefined;
  #sending: Promise<void> = Promise.resolve();
  #warned = false;

  constructor(opts: RunContextOptions = {}) {
    const env = opts.env ?? process.env;
    const url = env.STRATUS_API_URL;
    const token = env.STRATUS_JOB_TOKEN;
    this.jobName = env.TRAINING_JOB_NAME;
    if (url && token && this.jobName) {
      this.#transport = new Transport(url, token, opts.fetch ?? globalThis.fetch);
      this.#timer = setInterval(() => void this.flush().catch((e: unknown) => this.#report(e)), opts.flushIntervalMs ?? 2000).unref();
      process.once('beforeExit', () => void this.flush().catch((e: unknown) => this.#report(e)));
    }
  }

  /** Whether this process runs in a Stratus job that can log (else every call is a no-op). */
  get enabled(): boolean {
    return this.#transport !== undefined;
  }

  /**
   * Records one point of a metric, in the same series as the job's regex metrics.
   * @param step an integer ≥ 0; by default one past the metric's last step.
   * @throws TypeError for a bad name or a value that is not a finite number.
   */
  logMetric(name: string, value: number, step?: number): void {
    checkName('metric', name);
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`metric '${name}': value must be a finite number, got ${String(value)}`);
    if (step !== undefined && !(Number.isInteger(step) && step >= 0)) throw new TypeError(`metric '${name}': step must be an integer >= 0, got ${step}`);
    if (!this.#transport) return this.#warnOnce();
    this.#pending.push({ name, value, ...(step === undefined ? {} : { step }), timestamp: new Date().toISOString() });
    if (this.#pending.length >= BATCH) void this.flush().catch((e: unknown) => this.#report(e));
  }

  /** Records params of the run beside its hyperparameters; sent with the next flush. */
  logParams(params: Record<string, ParamValue>): void {
    for (const [name, value] of Object.entries(params)) {
      checkName('param', name);
      if (!['string', 'number', 'boolean'].includes(typeof value)) throw new TypeError(`param '${name}': value must be a string, number or boolean`);
    }
    if (!this.#transport) return this.#warnOnce();
    if (Object.keys(params).length === 0) return;
    const transport = this.#transport;
    this.#sending = this.#sending.then(() => transport.json({ method: 'POST', path: pathOf('/api/v1/training-jobs', this.jobName!, 'params'), body: { params } }));
  }

  /** Sends everything logged so far; resolves when the server has it. */
  flush(): Promise<void> {
    const transport = this.#transport;
    if (!transport) return Promise.resolve();
    const batch = this.#pending.splice(0);
    const path = pathOf('/api/v1/training-jobs', this.jobName!, 'metrics');
    const send = async () => {
      for (let i = 0; i < batch.length; i += BATCH) await transport.json({ method: 'POST', path, body: { metrics: batch.slice(i, i + BATCH) } });
    };
    // Sends keep their order; one failure does not stop later ones, but reaches this caller.
    const sent = this.#sending.catch((e: unknown) => this.#report(e)).then(send);
    this.#sending = sent;
    return sent;
  }

  /** Flushes and stops the background timer. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }

  #warnOnce() {
    if (this.#warned) return;
    this.#warned = true;
    process.stderr.write('stratus runContext: not in a Stratus job (no STRATUS_API_URL/STRATUS_JOB_TOKEN); metrics and params are not recorded\n');
  }

  #report(e: unknown) {
    process.stderr.write(`stratus runContext: could not send metrics or params: ${(e as Error).message}\n`);
  }
}

function checkName(kind: string, name: string) {
  if (typeof name !== 'string' || !NAME.test(name)) throw new TypeError(`${kind} name '${name}': use letters, digits and _ . : / - (at most 255 characters)`);
}

/**
 * The run of the training job this process is (from its environment). Outside a job, logging
 * calls do nothing, so a script runs unchanged on a laptop.
 * @example
 * import { runContext } from 'stratus/sdk';
 *
 * const run = runContext();
 * run.logParams({ optimizer: 'adam' });
 * for (let epoch = 0; epoch < epochs; epoch++) run.logMetric('train:loss', loss, epoch);
 * await run.flush();
 */
export function runContext(opts: RunContextOptions = {}): RunContext {
  return new RunContext(opts);
}
