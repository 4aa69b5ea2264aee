import type { Static } from '@sinclair/typebox';
import type { CreateEvaluationJobRequest, EvaluationJob, EvaluationJobList, EvaluationJobListQuery, EvaluationReport } from '../../contracts/evaluation-job.js';
import { pollUntil, type WaitOptions } from '../poll.js';
import { pathOf, type Transport } from '../transport.js';
import { isTerminal } from './training-jobs.js';

const BASE = '/api/v1/evaluation-jobs';

/** Evaluation jobs: hold-out and k-fold reports of a model or a training spec on a dataset. */
export class EvaluationJobsApi {
  constructor(readonly transport: Transport) {}

  /**
   * Starts an evaluation job.
   * @example
   * await client.evaluationJobs.create({ name: 'bc-eval', model: 'bc-model', dataset: { name: 'bc' }, method: { type: 'holdout', testShare: 0.2 } });
   * await client.evaluationJobs.create({
   *   name: 'bc-cv', dataset: { name: 'bc' }, method: { type: 'kfold', k: 5 },
   *   trainingSpec: { algorithm: 'xgboost', hyperparameters: { objective: 'binary:logistic', num_round: 50 } },
   * });
   * const job = await client.evaluationJobs.waitFor('bc-cv');
   * console.log(job.summary?.metrics.rocAuc); // { mean, std, values }
   */
  create(request: CreateEvaluationJobRequest): Promise<EvaluationJob> {
    return this.transport.json({ method: 'POST', path: BASE, body: request });
  }

  list(query: Static<typeof EvaluationJobListQuery> = {}): Promise<EvaluationJobList> {
    return this.transport.json({ path: BASE, query });
  }

  get(name: string): Promise<EvaluationJob> {
    return this.transport.json({ path: pathOf(BASE, name) });
  }

  /** The full report (every metric, curves, per-fold values, test rows and predictions) of a Completed job. */
  report(name: string): Promise<EvaluationReport> {
    return this.transport.json({ path: pathOf(BASE, name, 'report') });
  }

  stop(name: string): Promise<EvaluationJob> {
    return this.transport.json({ method: 'POST', path: pathOf(BASE, name, 'stop') });
  }

  /** Polls until the job is `Completed`, `Failed` or `Stopped` (it does not throw for a failed job). */
  waitFor(name: string, opts: WaitOptions<EvaluationJob> = {}): Promise<EvaluationJob> {
    return pollUntil(`evaluation job ${name}`, () => this.get(name), (j) => isTerminal(j.status), opts);
  }
}
