import { listAll } from '../paginate.js';
import { pathOf, type Transport } from '../transport.js';
import type { Experiment, ExperimentList, ExperimentListOptions, RunComparison, RunList, RunListOptions } from '../types.js';

const BASE = '/api/v1/experiments';

/**
 * Experiments: every training job is a run of one (`experiment` on create, 'Default' otherwise).
 * A run's metric history is `client.trainingJobs.metrics(run, { name })`.
 * @example
 * const { items } = await client.experiments.runs('churn', { sortBy: 'metric:validation:auc', order: 'desc', status: 'Completed' });
 * console.log(items[0].name, items[0].metrics['validation:auc'], items[0].params);
 */
export class ExperimentsApi {
  constructor(readonly transport: Transport) {}

  /** One page of experiments by name, with run counts and last activity. */
  list(query: ExperimentListOptions = {}): Promise<ExperimentList> {
    return this.transport.json({ path: BASE, query });
  }

  /** Every experiment, page after page. */
  listAll(query: Omit<ExperimentListOptions, 'nextToken'> = {}): AsyncGenerator<Experiment> {
    return listAll((q) => this.list({ ...query, ...q }));
  }

  get(name: string): Promise<Experiment> {
    return this.transport.json({ path: pathOf(BASE, name) });
  }

  /**
   * One page of the experiment's runs: params, final metrics, tags, inputs and models.
   * `sortBy`: 'createdAt' (default, newest first), 'name', 'metric:<name>' or 'param:<name>'.
   */
  runs(name: string, query: RunListOptions = {}): Promise<RunList> {
    return this.transport.json({ path: pathOf(BASE, name, 'runs'), query });
  }

  /** Params and final metrics of the given runs side by side (union of names, differing ones flagged). */
  compare(name: string, runs: string[]): Promise<RunComparison> {
    return this.transport.json({ path: pathOf(BASE, name, 'compare'), query: { runs: runs.join(',') } });
  }
}
