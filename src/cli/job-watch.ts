import type { MetricPoint, StratusClient, TrainingJob } from '../sdk/index.js';
import type { CliContext } from './context.js';
import { formatNumber } from './format.js';
import { StatusLine } from './progress.js';

/**
 * Waits for a training job while showing its logs and a live status line (spinner, status,
 * secondary status, elapsed time, latest metrics) on stderr. Resolves with the ended job.
 */
export async function watchJob(ctx: CliContext, name: string): Promise<TrainingJob> {
  const client = ctx.client;
  const first = await client.trainingJobs.get(name);
  const status = new StatusLine(ctx.io.stderr, Date.parse(first.createdAt) || Date.now());
  const stopLogs = new AbortController();
  const logs = printLogs(client, name, stopLogs.signal, (line) => status.log(line));
  const metrics = new LatestMetrics(client, name);
  try {
    return await client.trainingJobs.waitFor(name, {
      intervalMs: 1000,
      onUpdate: (job) => {
        status.set(describeProgress(job, metrics.text), `${job.status}/${job.secondaryStatus}`);
        metrics.refresh();
      },
    });
  } finally {
    stopLogs.abort();
    await logs;
    status.stop();
  }
}

// Logs are a courtesy while waiting: a server without log streaming must not fail the wait.
async function printLogs(client: StratusClient, name: string, signal: AbortSignal, print: (line: string) => void) {
  try {
    for await (const ev of client.trainingJobs.followLogs(name, { signal })) if (ev.type === 'log') print(ev.line);
  } catch {
    /* ignored, see above */
  }
}

function describeProgress(job: TrainingJob, metrics: string): string {
  const secondary = job.secondaryStatus && job.secondaryStatus !== job.status ? ` / ${job.secondaryStatus}` : '';
  return `${job.name}: ${job.status}${secondary}${metrics ? `  ${metrics}` : ''}`;
}

/** The last value of each metric, fetched in the background so polling never waits on it. */
class LatestMetrics {
  text = '';
  #busy = false;

  constructor(
    private readonly client: StratusClient,
    private readonly job: string,
  ) {}

  refresh(): void {
    if (this.#busy) return;
    this.#busy = true;
    this.client.trainingJobs
      .metrics(this.job)
      .then((series) => (this.text = latestText(series.metrics)))
      .catch(() => undefined)
      .finally(() => (this.#busy = false));
  }
}

/** `name=value` for the latest point of each metric. */
export function latestText(points: MetricPoint[]): string {
  const latest = new Map<string, MetricPoint>();
  for (const p of points) {
    const prev = latest.get(p.name);
    if (!prev || p.step >= prev.step) latest.set(p.name, p);
  }
  return [...latest.values()].map((p) => `${p.name}=${formatNumber(p.value)}`).join(' ');
}
