import { notFound } from '../../core/errors.js';
import type { MetricPoint, RunRepository } from '../metadata-store.js';
import { toDate, toMillis } from './codec.js';
import { inTransaction, type Db } from './schema.js';

/** Keeps `in (…)` lists well under both dialects' bound-parameter limits. */
const CHUNK = 500;

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** Logged params and metric summaries of runs (training jobs). */
export class SqlRunRepository implements RunRepository {
  constructor(private readonly db: Db) {}

  logParams(jobName: string, params: Record<string, string>, at: Date): Promise<void> {
    const names = Object.keys(params);
    if (names.length === 0) return this.requireJob(this.db, jobName);
    return inTransaction(this.db, async (tx) => {
      // Write first (see SqlTrainingJobRepository.appendMetrics), then check the job before the
      // insert, whose foreign key would otherwise fail with a driver error for a missing job.
      await tx.deleteFrom('training_job_params').where('job_name', '=', jobName).where('name', 'in', names).execute();
      await this.requireJob(tx, jobName);
      await tx
        .insertInto('training_job_params')
        .values(names.map((name) => ({ job_name: jobName, name, value: params[name], logged_at: toMillis(at) })))
        .execute();
    });
  }

  async params(jobNames: string[]): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>();
    for (const names of chunks(jobNames)) {
      const rows = await this.db.selectFrom('training_job_params').select(['job_name', 'name', 'value']).where('job_name', 'in', names).orderBy('name').execute();
      for (const r of rows) out.set(r.job_name, { ...out.get(r.job_name), [r.name]: r.value });
    }
    return out;
  }

  async finalMetrics(jobNames: string[]): Promise<Map<string, MetricPoint[]>> {
    const out = new Map<string, MetricPoint[]>();
    for (const names of chunks(jobNames)) {
      const ranked = this.db
        .selectFrom('training_job_metrics')
        .select((eb) => [
          'job_name',
          'name',
          'step',
          'value',
          'timestamp',
          eb.fn.agg<number>('row_number').over((ob) => ob.partitionBy(['job_name', 'name']).orderBy('step', 'desc').orderBy('timestamp', 'desc')).as('rn'),
        ])
        .where('job_name', 'in', names);
      const rows = await this.db.selectFrom(ranked.as('m')).selectAll().where('rn', '=', 1).orderBy('job_name').orderBy('name').execute();
      for (const r of rows) {
        const point = { name: r.name, value: r.value === null ? Number.NaN : r.value, step: Number(r.step), timestamp: toDate(r.timestamp) };
        out.set(r.job_name, [...(out.get(r.job_name) ?? []), point]);
      }
    }
    return out;
  }

  async lastSteps(jobName: string, names: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const some of chunks(names)) {
      const rows = await this.db
        .selectFrom('training_job_metrics')
        .select((eb) => ['name', eb.fn.max('step').as('step')])
        .where('job_name', '=', jobName)
        .where('name', 'in', some)
        .groupBy('name')
        .execute();
      for (const r of rows) out.set(r.name, Number(r.step));
    }
    return out;
  }

  private async requireJob(db: Db, name: string): Promise<void> {
    const row = await db.selectFrom('training_jobs').select('name').where('name', '=', name).executeTakeFirst();
    if (!row) throw notFound('TrainingJob', name);
  }
}
