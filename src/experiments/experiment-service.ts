import type { Experiment, ExperimentList, ExperimentListQuery, Run, RunComparison, RunList, RunListQuery } from '../contracts/experiment.js';
import { validationError } from '../core/errors.js';
import type { ExperimentRecord, MetadataStore, MetricPoint, TrainingJobRecord } from '../store/metadata-store.js';
import type { NormalizedTrainingJobSpec } from '../training/job-spec.js';
import { sortRuns } from './run-sort.js';

const PAGE = 100;
const MAX_COMPARED = 20;

const iso = (d: Date | undefined) => d?.toISOString();

function toExperiment(r: ExperimentRecord): Experiment {
  return {
    name: r.name,
    runCount: r.runCount,
    statusCounts: r.statusCounts as Record<string, number>,
    createdAt: r.createdAt.toISOString(),
    lastActivityAt: r.lastActivityAt.toISOString(),
  };
}

const encodeOffset = (offset: number) => Buffer.from(JSON.stringify({ offset })).toString('base64url');

function decodeOffset(token: string): number {
  try {
    const { offset } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset?: unknown };
    if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // falls through to the validation error
  }
  throw validationError('nextToken is not valid; pass the nextToken of a previous page', { field: 'nextToken' });
}

/**
 * Experiments and their runs. A run is a training job viewed for comparison: its params
 * (hyperparameters, then logged params), the final value of each metric series, tags, inputs
 * and the models created from it.
 */
export class ExperimentService {
  constructor(private readonly deps: { store: MetadataStore }) {}

  async list(q: ExperimentListQuery = {}): Promise<ExperimentList> {
    const page = await this.deps.store.experiments.list(q);
    return { items: page.items.map(toExperiment), ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  async get(name: string): Promise<Experiment> {
    return toExperiment(await this.deps.store.experiments.get(name));
  }

  /**
   * The experiment's runs, sorted (by default newest first) and paged. Sorting by a metric or
   * param reads every run of the experiment, so a page costs as much as the whole experiment.
   */
  async runs(name: string, q: RunListQuery = {}): Promise<RunList> {
    await this.deps.store.experiments.get(name);
    const jobs = await this.#jobsOf(name, q.status);
    const sorted = sortRuns(await this.#toRuns(jobs), q.sortBy ?? 'createdAt', q.order);
    const offset = q.nextToken ? decodeOffset(q.nextToken) : 0;
    const limit = q.limit ?? 50;
    const items = sorted.slice(offset, offset + limit);
    return { items, ...(offset + limit < sorted.length ? { nextToken: encodeOffset(offset + limit) } : {}) };
  }

  /** Params and final metrics of some runs side by side: the union of their names, each flagged when the runs differ. */
  async compare(name: string, runNames: string[]): Promise<RunComparison> {
    await this.deps.store.experiments.get(name);
    const names = [...new Set(runNames.map((r) => r.trim()).filter((r) => r !== ''))];
    if (names.length === 0 || names.length > MAX_COMPARED) {
      throw validationError(`runs: give 1 to ${MAX_COMPARED} run names, comma-separated`, { field: 'runs' });
    }
    const jobs: TrainingJobRecord[] = [];
    for (const run of names) {
      const job = await this.deps.store.trainingJobs.find(run);
      if (!job || job.experiment !== name) {
        throw validationError(`runs: '${run}' is not a run of experiment '${name}'${job ? ` (it is in '${job.experiment}')` : ''}`, { field: 'runs', run });
      }
      jobs.push(job);
    }
    const runs = await this.#toRuns(jobs);
    return {
      experiment: name,
      runs: names,
      params: side(runs.map((r) => r.params)),
      metrics: side(runs.map((r) => r.metrics)),
    };
  }

  async #jobsOf(experiment: string, status: RunListQuery['status']): Promise<TrainingJobRecord[]> {
    const jobs: TrainingJobRecord[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.deps.store.trainingJobs.list({ experiment, ...(status ? { status } : {}), limit: PAGE, nextToken });
      jobs.push(...page.items);
      nextToken = page.nextToken;
    } while (nextToken);
    return jobs;
  }

  async #toRuns(jobs: TrainingJobRecord[]): Promise<Run[]> {
    const names = jobs.map((j) => j.name);
    const [logged, final, models] = await Promise.all([
      this.deps.store.runs.params(names),
      this.deps.store.runs.finalMetrics(names),
      this.#modelsByJob(),
    ]);
    return jobs.map((j) => toRun(j, logged.get(j.name) ?? {}, final.get(j.name) ?? [], models.get(j.name) ?? []));
  }

  /** Lineage: the models created from each training job (`trainingJob` in the model's spec). */
  async #modelsByJob(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    let nextToken: string | undefined;
    do {
      const page = await this.deps.store.models.list({ limit: PAGE, nextToken, order: 'asc' });
      for (const m of page.items) {
        const job = m.spec.trainingJob;
        if (typeof job === 'string') out.set(job, [...(out.get(job) ?? []), m.name]);
      }
      nextToken = page.nextToken;
    } while (nextToken);
    return out;
  }
}

function toRun(j: TrainingJobRecord, logged: Record<string, string>, final: MetricPoint[], models: string[]): Run {
  const spec = j.spec as unknown as NormalizedTrainingJobSpec;
  const trainingStart = j.transitions.find((t) => t.status === 'Training')?.startTime;
  return {
    name: j.name,
    experiment: j.experiment,
    status: j.status,
    ...(spec.algorithm ? { algorithm: spec.algorithm } : {}),
    ...(spec.script ? { entryPoint: spec.script.entryPoint ?? spec.script.command?.[0] } : {}),
    params: { ...spec.hyperparameters, ...logged },
    metrics: Object.fromEntries(final.map((p) => [p.name, Number.isNaN(p.value) ? null : p.value])),
    tags: spec.tags ?? {},
    inputs: spec.inputs.map((i) => (i.artifactPrefix !== undefined
      ? { channel: i.channel, artifactPrefix: i.artifactPrefix }
      : { channel: i.channel, dataset: i.dataset!, version: i.version! })),
    models,
    createdAt: j.createdAt.toISOString(),
    ...(j.startedAt ? { startedAt: iso(j.startedAt) } : {}),
    ...(j.endedAt ? { endedAt: iso(j.endedAt) } : {}),
    ...(trainingStart && j.endedAt ? { durationSeconds: Math.max(0, (j.endedAt.getTime() - trainingStart.getTime()) / 1000) } : {}),
    ...(j.failureReason ? { failureReason: j.failureReason } : {}),
  };
}

/** The union of names over the runs, each with every run's value (null where absent) and whether they differ. */
function side<V extends string | number | null>(maps: Record<string, V>[]) {
  const names = [...new Set(maps.flatMap((m) => Object.keys(m)))].sort();
  return names.map((name) => {
    const values = maps.map((m) => (name in m ? m[name] : null));
    return { name, values, differs: values.some((v) => v !== values[0]) };
  });
}
