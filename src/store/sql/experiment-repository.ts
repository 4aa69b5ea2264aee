import { sql, type SqlBool } from 'kysely';
import { notFound, validationError } from '../../core/errors.js';
import type { ExperimentRecord, ExperimentRepository, ListQuery, Page, TrainingJobStatus } from '../metadata-store.js';
import { toDate } from './codec.js';
import { pageLimit } from './pagination.js';
import type { Db } from './schema.js';

/*
 * Experiments are the `experiment` names of training jobs: listing groups the jobs, so an
 * experiment appears with its first run and has nothing to delete or keep in step.
 */

interface Row {
  name: string;
  run_count: number | string | bigint;
  created_at: number | string;
  last_activity_at: number | string;
}

const encodeToken = (name: string) => Buffer.from(JSON.stringify([name])).toString('base64url');

function decodeToken(token: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && typeof parsed[0] === 'string') return parsed[0];
  } catch {
    // falls through to the validation error
  }
  throw validationError('nextToken is not valid; pass the nextToken of a previous page', { nextToken: token });
}

/** Experiments, as aggregates of the training jobs that name them. */
export class SqlExperimentRepository implements ExperimentRepository {
  constructor(private readonly db: Db) {}

  async list(q: Omit<ListQuery, 'order'> = {}): Promise<Page<ExperimentRecord>> {
    const limit = pageLimit(q.limit);
    let query = this.aggregate();
    if (q.nameContains) {
      const pattern = `%${q.nameContains.replace(/[!%_]/g, (c) => `!${c}`)}%`;
      query = query.where(sql<SqlBool>`lower(experiment) like lower(${pattern}) escape '!'`);
    }
    if (q.nextToken) query = query.where('experiment', '>', decodeToken(q.nextToken));
    const rows = await query.orderBy('experiment').limit(limit + 1).execute();
    const items = await this.withStatusCounts(rows.slice(0, limit));
    return rows.length > limit ? { items, nextToken: encodeToken(items[items.length - 1].name) } : { items };
  }

  async find(name: string): Promise<ExperimentRecord | undefined> {
    const rows = await this.aggregate().where('experiment', '=', name).execute();
    return (await this.withStatusCounts(rows))[0];
  }

  async get(name: string): Promise<ExperimentRecord> {
    const found = await this.find(name);
    if (!found) throw notFound('Experiment', name);
    return found;
  }

  private aggregate() {
    return this.db
      .selectFrom('training_jobs')
      .select((eb) => [
        'experiment as name',
        eb.fn.countAll().as('run_count'),
        eb.fn.min('created_at').as('created_at'),
        eb.fn.max('updated_at').as('last_activity_at'),
      ])
      .groupBy('experiment');
  }

  private async withStatusCounts(rows: Row[]): Promise<ExperimentRecord[]> {
    if (rows.length === 0) return [];
    const counts = await this.db
      .selectFrom('training_jobs')
      .select((eb) => ['experiment', 'status', eb.fn.countAll().as('n')])
      .where('experiment', 'in', rows.map((r) => r.name))
      .groupBy(['experiment', 'status'])
      .execute();
    const byName = new Map<string, Partial<Record<TrainingJobStatus, number>>>();
    for (const c of counts) {
      const entry = byName.get(c.experiment) ?? {};
      entry[c.status] = Number(c.n);
      byName.set(c.experiment, entry);
    }
    return rows.map((r) => ({
      name: r.name,
      runCount: Number(r.run_count),
      statusCounts: byName.get(r.name) ?? {},
      createdAt: toDate(r.created_at),
      lastActivityAt: toDate(r.last_activity_at),
    }));
  }
}
