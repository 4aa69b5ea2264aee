import type { MetricPoint } from '../metadata-store.js';
import { toDate, toMillis } from './codec.js';
import type { Db, MetricTable } from './schema.js';

/** Keeps each INSERT well under SQLite's and Postgres's bound-parameter limits. */
const BATCH_ROWS = 500;

const toRow = (jobName: string, p: MetricPoint): MetricTable => ({
  job_name: jobName,
  name: p.name,
  step: p.step,
  value: Number.isNaN(p.value) ? null : p.value,
  timestamp: toMillis(p.timestamp),
});

const toPoint = (row: MetricTable): MetricPoint => ({
  name: row.name,
  value: row.value === null ? Number.NaN : row.value,
  step: Number(row.step),
  timestamp: toDate(row.timestamp),
});

export async function appendMetrics(db: Db, jobName: string, points: MetricPoint[]): Promise<void> {
  for (let i = 0; i < points.length; i += BATCH_ROWS) {
    const rows = points.slice(i, i + BATCH_ROWS).map((p) => toRow(jobName, p));
    await db.insertInto('training_job_metrics').values(rows).execute();
  }
}

/** Points ordered by (name, step, timestamp), optionally of one metric. */
export async function readMetrics(db: Db, jobName: string, name?: string): Promise<MetricPoint[]> {
  let query = db.selectFrom('training_job_metrics').selectAll().where('job_name', '=', jobName);
  if (name !== undefined) query = query.where('name', '=', name);
  const rows = await query.orderBy('name').orderBy('step').orderBy('timestamp').execute();
  return rows.map(toPoint);
}
