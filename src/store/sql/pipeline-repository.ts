import type { Updateable } from 'kysely';
import { notFound } from '../../core/errors.js';
import type { ListQuery, Page } from '../metadata-store.js';
import type {
  PipelineExecutionRecord, PipelineExecutionStatus, PipelineRecord, PipelineRepository, PipelineStepPatch, PipelineStepRecord, PipelineVersionRecord,
} from '../pipeline-store.js';
import { compact, fromJson, orUndefined, toDate, toJson, toMillis, toOptionalDate, toOptionalMillis } from './codec.js';
import { insertUnique } from './errors.js';
import { fetchPage, mapPage } from './pagination.js';
import type { PipelineExecutionStepTable, PipelineExecutionTable, PipelineTable, PipelineVersionTable } from './pipeline-schema.js';
import { inTransaction, type Db } from './schema.js';

const toPipeline = (r: PipelineTable): PipelineRecord => ({
  name: r.name, arn: r.arn, latestVersion: Number(r.latest_version), createdAt: toDate(r.created_at), updatedAt: toDate(r.updated_at),
});

const toVersion = (r: PipelineVersionTable): PipelineVersionRecord => ({
  pipeline: r.pipeline_name, version: Number(r.version), definition: fromJson<Record<string, unknown>>(r.definition), createdAt: toDate(r.created_at),
});

const toExecution = (r: PipelineExecutionTable): PipelineExecutionRecord => compact({
  name: r.name,
  arn: r.arn,
  pipeline: r.pipeline_name,
  pipelineVersion: Number(r.pipeline_version),
  parameters: fromJson<Record<string, unknown>>(r.parameters),
  trigger: fromJson<Record<string, unknown>>(r.trigger),
  status: r.status,
  failureReason: orUndefined(r.failure_reason),
  createdAt: toDate(r.created_at),
  updatedAt: toDate(r.updated_at),
  endedAt: toOptionalDate(r.ended_at),
});

const toStep = (r: PipelineExecutionStepTable): PipelineStepRecord => compact({
  execution: r.execution_name,
  step: r.step_name,
  type: r.step_type,
  status: r.status,
  attempts: Number(r.attempts),
  cacheKey: orUndefined(r.cache_key),
  cachedFrom: orUndefined(r.cached_from),
  outputs: r.outputs === null ? undefined : fromJson<Record<string, unknown>>(r.outputs),
  resources: r.resources === null ? undefined : fromJson<Record<string, string>>(r.resources),
  failureReason: orUndefined(r.failure_reason),
  startedAt: toOptionalDate(r.started_at),
  endedAt: toOptionalDate(r.ended_at),
});

/** Pipelines, versions, executions and step rows (tables of migration 0009). */
export class SqlPipelineRepository implements PipelineRepository {
  constructor(private readonly db: Db) {}

  putVersion(r: { name: string; arn: string; definition: Record<string, unknown>; at: Date; update: boolean }): Promise<PipelineVersionRecord> {
    const at = toMillis(r.at);
    return inTransaction(this.db, async (tx) => {
      let version = 1;
      if (r.update) {
        const row = await tx.updateTable('pipelines').set((eb) => ({ latest_version: eb('latest_version', '+', 1), updated_at: at })).where('name', '=', r.name).returningAll().executeTakeFirst();
        if (!row) throw notFound('Pipeline', r.name);
        version = Number(row.latest_version);
      } else {
        const row: PipelineTable = { name: r.name, arn: r.arn, latest_version: 1, created_at: at, updated_at: at };
        await insertUnique('Pipeline', r.name, () => tx.insertInto('pipelines').values(row).execute());
      }
      const v: PipelineVersionTable = { pipeline_name: r.name, version, definition: toJson(r.definition), created_at: at };
      await tx.insertInto('pipeline_versions').values(v).execute();
      return toVersion(v);
    });
  }

  async find(name: string): Promise<PipelineRecord | undefined> {
    const row = await this.db.selectFrom('pipelines').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toPipeline(row);
  }

  async get(name: string): Promise<PipelineRecord> {
    const found = await this.find(name);
    if (!found) throw notFound('Pipeline', name);
    return found;
  }

  async list(q: ListQuery = {}): Promise<Page<PipelineRecord>> {
    return mapPage(await fetchPage(this.db.selectFrom('pipelines').selectAll(), q), (rows) => rows.map(toPipeline));
  }

  async latestDefinitions(): Promise<PipelineVersionRecord[]> {
    const rows = await this.db
      .selectFrom('pipeline_versions as v')
      .innerJoin('pipelines as p', (j) => j.onRef('p.name', '=', 'v.pipeline_name').onRef('p.latest_version', '=', 'v.version'))
      .selectAll('v')
      .orderBy('v.pipeline_name')
      .execute();
    return rows.map(toVersion);
  }

  async getVersion(name: string, version?: number): Promise<PipelineVersionRecord> {
    const v = version ?? (await this.get(name)).latestVersion;
    const row = await this.db.selectFrom('pipeline_versions').selectAll().where('pipeline_name', '=', name).where('version', '=', v).executeTakeFirst();
    if (!row) throw notFound('PipelineVersion', `${name}/${v}`);
    return toVersion(row);
  }

  delete(name: string): Promise<void> {
    return inTransaction(this.db, async (tx) => {
      const executions = tx.selectFrom('pipeline_executions').select('name').where('pipeline_name', '=', name);
      await tx.deleteFrom('pipeline_execution_steps').where('execution_name', 'in', executions).execute();
      await tx.deleteFrom('pipeline_executions').where('pipeline_name', '=', name).execute();
      await tx.deleteFrom('pipeline_versions').where('pipeline_name', '=', name).execute();
      const { numDeletedRows } = await tx.deleteFrom('pipelines').where('name', '=', name).executeTakeFirst();
      if (numDeletedRows === 0n) throw notFound('Pipeline', name);
    });
  }

  createExecution(
    e: Omit<PipelineExecutionRecord, 'status' | 'updatedAt' | 'endedAt' | 'failureReason'>,
    steps: Array<{ step: string; type: string }>,
  ): Promise<PipelineExecutionRecord> {
    const at = toMillis(e.createdAt);
    const row: PipelineExecutionTable = {
      name: e.name, arn: e.arn, pipeline_name: e.pipeline, pipeline_version: e.pipelineVersion, parameters: toJson(e.parameters), trigger: toJson(e.trigger),
      status: 'Executing', failure_reason: null, created_at: at, updated_at: at, ended_at: null,
    };
    return inTransaction(this.db, async (tx) => {
      await insertUnique('PipelineExecution', e.name, () => tx.insertInto('pipeline_executions').values(row).execute());
      if (steps.length > 0) {
        await tx.insertInto('pipeline_execution_steps').values(steps.map((s, position): PipelineExecutionStepTable => ({
          execution_name: e.name, step_name: s.step, position, step_type: s.type, status: 'Pending', attempts: 0, cache_key: null, cached_from: null,
          outputs: null, resources: null, failure_reason: null, started_at: null, ended_at: null,
        }))).execute();
      }
      return toExecution(row);
    });
  }

  async findExecution(name: string): Promise<PipelineExecutionRecord | undefined> {
    const row = await this.db.selectFrom('pipeline_executions').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toExecution(row);
  }

  async getExecution(name: string): Promise<PipelineExecutionRecord> {
    const found = await this.findExecution(name);
    if (!found) throw notFound('PipelineExecution', name);
    return found;
  }

  async listExecutions(q: ListQuery & { pipeline?: string; status?: PipelineExecutionStatus } = {}): Promise<Page<PipelineExecutionRecord>> {
    let query = this.db.selectFrom('pipeline_executions').selectAll();
    if (q.pipeline) query = query.where('pipeline_name', '=', q.pipeline);
    if (q.status) query = query.where('status', '=', q.status);
    return mapPage(await fetchPage(query, q), (rows) => rows.map(toExecution));
  }

  async updateExecution(name: string, patch: { status?: PipelineExecutionStatus; failureReason?: string; endedAt?: Date }, at: Date): Promise<PipelineExecutionRecord> {
    const set: Updateable<PipelineExecutionTable> = compact({
      status: patch.status, failure_reason: patch.failureReason, ended_at: toOptionalMillis(patch.endedAt), updated_at: toMillis(at),
    });
    const row = await this.db.updateTable('pipeline_executions').set(set).where('name', '=', name).returningAll().executeTakeFirst();
    if (!row) throw notFound('PipelineExecution', name);
    return toExecution(row);
  }

  async steps(execution: string): Promise<PipelineStepRecord[]> {
    const rows = await this.db.selectFrom('pipeline_execution_steps').selectAll().where('execution_name', '=', execution).orderBy('position').execute();
    return rows.map(toStep);
  }

  async updateStep(execution: string, step: string, patch: PipelineStepPatch): Promise<PipelineStepRecord> {
    const set: Updateable<PipelineExecutionStepTable> = compact({
      status: patch.status,
      attempts: patch.attempts,
      cache_key: patch.cacheKey,
      cached_from: patch.cachedFrom,
      outputs: patch.outputs === undefined ? undefined : toJson(patch.outputs),
      resources: patch.resources === undefined ? undefined : toJson(patch.resources),
      failure_reason: patch.failureReason,
      started_at: toOptionalMillis(patch.startedAt),
      ended_at: toOptionalMillis(patch.endedAt),
    });
    const row = await this.db.updateTable('pipeline_execution_steps').set(set).where('execution_name', '=', execution).where('step_name', '=', step).returningAll().executeTakeFirst();
    if (!row) throw notFound('PipelineStep', `${execution}/${step}`);
    return toStep(row);
  }

  async findCached(cacheKey: string): Promise<PipelineStepRecord | undefined> {
    const row = await this.db
      .selectFrom('pipeline_execution_steps')
      .selectAll()
      .where('cache_key', '=', cacheKey)
      .where('status', '=', 'Succeeded')
      .where('cached_from', 'is', null)
      .orderBy('ended_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && toStep(row);
  }
}
