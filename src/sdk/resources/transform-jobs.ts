import { listAll } from '../paginate.js';
import { pollUntil, type WaitOptions } from '../poll.js';
import { pathOf, type Transport } from '../transport.js';
import type { CreateTransformJobRequest, TransformJob, TransformJobList, TransformJobListQuery } from '../types.js';
import { isTerminal } from './training-jobs.js';

const BASE = '/api/v1/transform-jobs';

/** Batch transform jobs: run a model over a dataset version, predictions to the artifact store. */
export class TransformJobsApi {
  constructor(readonly transport: Transport) {}

  /**
   * Starts a transform job.
   * @example
   * await client.transformJobs.create({
   *   name: 'score-all', model: 'bc-model',
   *   input: { dataset: 'customers', contentType: 'text/csv', splitType: 'Line' },
   *   dataProcessing: { inputFilter: '$[1:]', joinSource: 'Input' },
   *   accept: 'text/csv',
   * });
   * const job = await client.transformJobs.waitFor('score-all');
   * if (job.status === 'Completed') await client.artifacts.download(job.outputArtifact!, './predictions.csv');
   */
  create(request: CreateTransformJobRequest): Promise<TransformJob> {
    return this.transport.json({ method: 'POST', path: BASE, body: request });
  }

  /** One page of transform jobs, newest first. */
  list(query: TransformJobListQuery = {}): Promise<TransformJobList> {
    return this.transport.json({ path: BASE, query });
  }

  /** Every transform job matching the filters, page after page. */
  listAll(query: Omit<TransformJobListQuery, 'nextToken'> = {}): AsyncGenerator<TransformJobList['items'][number]> {
    return listAll((q) => this.list({ ...query, ...q }));
  }

  /** The job, with its progress (records processed so far, bad records with their lines). */
  get(name: string): Promise<TransformJob> {
    return this.transport.json({ path: pathOf(BASE, name) });
  }

  /** Asks a running job to stop; it moves to `Stopping`, then `Stopped`. */
  stop(name: string): Promise<TransformJob> {
    return this.transport.json({ method: 'POST', path: pathOf(BASE, name, 'stop') });
  }

  /** Polls until the job is `Completed`, `Failed` or `Stopped` and returns it (it does not throw for a failed job). */
  waitFor(name: string, opts: WaitOptions<TransformJob> = {}): Promise<TransformJob> {
    return pollUntil(`transform job ${name}`, () => this.get(name), (j) => isTerminal(j.status), opts);
  }
}
