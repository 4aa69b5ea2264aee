import { notFound, validationError } from '../../core/errors.js';
import type {
  ApprovalRecord, ApprovalStatus, ModelPackageGroupRecord, ModelPackageRecord, ModelRegistryRepository, RegistryEventRecord, RegistryEventType,
} from '../evaluation-registry-store.js';
import type { ListQuery, Page } from '../metadata-store.js';
import { compact, fromJson, orUndefined, toDate, toJson, toMillis } from './codec.js';
import { insertUnique } from './errors.js';
import { fetchPage, mapPage, pageLimit } from './pagination.js';
import type { ModelPackageEventTable, ModelPackageGroupTable, ModelPackageTable } from './registry-schema.js';
import { inTransaction, type Db } from './schema.js';

const GROUP = 'ModelPackageGroup';
const VERSION = 'ModelPackage';

const toGroup = (row: ModelPackageGroupTable): ModelPackageGroupRecord => compact({
  name: row.name,
  arn: row.arn,
  description: orUndefined(row.description),
  tags: row.tags === null ? undefined : fromJson<Record<string, string>>(row.tags),
  latestVersion: Number(row.latest_version),
  createdAt: toDate(row.created_at),
  updatedAt: toDate(row.updated_at),
});

function toApproval(text: string | null): ApprovalRecord | undefined {
  if (text === null) return undefined;
  const a = fromJson<{ by: string; at: number; reason?: string }>(text);
  return compact({ by: a.by, at: toDate(a.at), reason: a.reason });
}

const approvalJson = (a: ApprovalRecord | undefined) => (a ? toJson(compact({ by: a.by, at: toMillis(a.at), reason: a.reason })) : null);

const toVersion = (row: ModelPackageTable): ModelPackageRecord => compact({
  group: row.group_name,
  version: Number(row.version),
  arn: row.arn,
  spec: fromJson<Record<string, unknown>>(row.spec),
  model: orUndefined(row.model_name),
  trainingJob: orUndefined(row.training_job),
  evaluationJob: orUndefined(row.evaluation_job),
  approvalStatus: row.approval_status as ApprovalStatus,
  approval: toApproval(row.approval),
  createdAt: toDate(row.created_at),
  updatedAt: toDate(row.updated_at),
});

const toEvent = (row: ModelPackageEventTable): RegistryEventRecord => compact({
  group: row.group_name,
  seq: Number(row.seq),
  at: toDate(row.at),
  type: row.type as RegistryEventType,
  version: row.version === null ? undefined : Number(row.version),
  actor: orUndefined(row.actor),
  detail: fromJson<Record<string, unknown>>(row.detail),
});

/** Model package groups, versions, aliases and the append-only event log. */
export class SqlModelRegistryRepository implements ModelRegistryRepository {
  constructor(private readonly db: Db) {}

  createGroup(r: { name: string; arn: string; description?: string; tags?: Record<string, string>; at: Date; actor?: string }): Promise<ModelPackageGroupRecord> {
    const row: ModelPackageGroupTable = {
      name: r.name, arn: r.arn, description: r.description ?? null, tags: r.tags ? toJson(r.tags) : null,
      latest_version: 0, created_at: toMillis(r.at), updated_at: toMillis(r.at),
    };
    return inTransaction(this.db, async (tx) => {
      await insertUnique(GROUP, r.name, () => tx.insertInto('model_package_groups').values(row).execute());
      // A group of an earlier incarnation may have left nothing: deleteGroup removes its events.
      await appendEvent(tx, { group: r.name, at: r.at, type: 'group_created', actor: r.actor, detail: compact({ description: r.description }) });
      return toGroup(row);
    });
  }

  async findGroup(name: string) {
    const row = await this.db.selectFrom('model_package_groups').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toGroup(row);
  }

  async getGroup(name: string) {
    const g = await this.findGroup(name);
    if (!g) throw notFound(GROUP, name);
    return g;
  }

  async listGroups(q: ListQuery = {}): Promise<Page<ModelPackageGroupRecord>> {
    return mapPage(await fetchPage(this.db.selectFrom('model_package_groups').selectAll(), q), (rows) => rows.map(toGroup));
  }

  deleteGroup(name: string): Promise<void> {
    return inTransaction(this.db, async (tx) => {
      const found = await tx.selectFrom('model_package_groups').select('name').where('name', '=', name).executeTakeFirst();
      if (!found) throw notFound(GROUP, name);
      await tx.deleteFrom('model_package_aliases').where('group_name', '=', name).execute();
      await tx.deleteFrom('model_packages').where('group_name', '=', name).execute();
      await tx.deleteFrom('model_package_events').where('group_name', '=', name).execute();
      await tx.deleteFrom('model_package_groups').where('name', '=', name).execute();
    });
  }

  registerVersion(r: Parameters<ModelRegistryRepository['registerVersion']>[0]): Promise<ModelPackageRecord> {
    return inTransaction(this.db, async (tx) => {
      // Bumping the counter first locks the group row, so two registrations get distinct numbers.
      const group = await tx
        .updateTable('model_package_groups')
        .set((eb) => ({ latest_version: eb('latest_version', '+', 1), updated_at: toMillis(r.at) }))
        .where('name', '=', r.group)
        .returning('latest_version')
        .executeTakeFirst();
      if (!group) throw notFound(GROUP, r.group);
      const version = Number(group.latest_version);
      const row: ModelPackageTable = {
        group_name: r.group, version, arn: r.arnOf(version), spec: toJson(r.spec),
        model_name: r.model ?? null, training_job: r.trainingJob ?? null, evaluation_job: r.evaluationJob ?? null,
        approval_status: r.approvalStatus ?? 'PendingManualApproval', approval: approvalJson(r.approval),
        created_at: toMillis(r.at), updated_at: toMillis(r.at),
      };
      await tx.insertInto('model_packages').values(row).execute();
      await appendEvent(tx, {
        group: r.group, at: r.at, type: 'registered', version, actor: r.actor,
        detail: compact({ model: r.model, trainingJob: r.trainingJob, evaluationJob: r.evaluationJob, approvalStatus: row.approval_status }),
      });
      return toVersion(row);
    });
  }

  async findVersion(group: string, version: number) {
    const row = await this.db.selectFrom('model_packages').selectAll().where('group_name', '=', group).where('version', '=', version).executeTakeFirst();
    return row && toVersion(row);
  }

  async getVersion(group: string, version: number) {
    const v = await this.findVersion(group, version);
    if (!v) throw notFound(VERSION, `${group}/${version}`);
    return v;
  }

  async listVersions(group: string, q: { approvalStatus?: ApprovalStatus; limit?: number; nextToken?: string } = {}): Promise<Page<ModelPackageRecord>> {
    const limit = pageLimit(q.limit);
    let query = this.db.selectFrom('model_packages').selectAll().where('group_name', '=', group).orderBy('version', 'desc').limit(limit + 1);
    if (q.approvalStatus) query = query.where('approval_status', '=', q.approvalStatus);
    if (q.nextToken !== undefined) {
      const before = Number(Buffer.from(q.nextToken, 'base64url').toString('utf8'));
      if (!Number.isInteger(before)) throw validationError('nextToken is not valid; pass the nextToken of a previous page', { nextToken: q.nextToken });
      query = query.where('version', '<', before);
    }
    const rows = (await query.execute()).map(toVersion);
    if (rows.length <= limit) return { items: rows };
    const items = rows.slice(0, limit);
    return { items, nextToken: Buffer.from(String(items[items.length - 1].version)).toString('base64url') };
  }

  setApproval(group: string, version: number, status: ApprovalStatus, approval: ApprovalRecord): Promise<ModelPackageRecord> {
    return inTransaction(this.db, async (tx) => {
      const before = await tx.selectFrom('model_packages').select('approval_status').where('group_name', '=', group).where('version', '=', version).executeTakeFirst();
      if (!before) throw notFound(VERSION, `${group}/${version}`);
      const row = await tx
        .updateTable('model_packages')
        .set({ approval_status: status, approval: approvalJson(approval), updated_at: toMillis(approval.at) })
        .where('group_name', '=', group)
        .where('version', '=', version)
        .returningAll()
        .executeTakeFirstOrThrow();
      await appendEvent(tx, {
        group, at: approval.at, type: 'approval_changed', version, actor: approval.by,
        detail: compact({ from: before.approval_status, to: status, reason: approval.reason }),
      });
      return toVersion(row);
    });
  }

  setAlias(group: string, alias: string, version: number, at: Date, actor?: string) {
    return inTransaction(this.db, async (tx) => {
      const target = await tx.selectFrom('model_packages').select('version').where('group_name', '=', group).where('version', '=', version).executeTakeFirst();
      if (!target) throw notFound(VERSION, `${group}/${version}`);
      const prior = await tx.selectFrom('model_package_aliases').select('version').where('group_name', '=', group).where('alias', '=', alias).executeTakeFirst();
      if (prior) {
        await tx.updateTable('model_package_aliases').set({ version, updated_at: toMillis(at) }).where('group_name', '=', group).where('alias', '=', alias).execute();
      } else {
        await tx.insertInto('model_package_aliases').values({ group_name: group, alias, version, updated_at: toMillis(at) }).execute();
      }
      const previous = prior ? Number(prior.version) : undefined;
      await appendEvent(tx, { group, at, type: 'alias_moved', version, actor, detail: compact({ alias, from: previous, to: version }) });
      return compact({ alias, version, previous });
    });
  }

  deleteAlias(group: string, alias: string, at: Date, actor?: string): Promise<void> {
    return inTransaction(this.db, async (tx) => {
      const prior = await tx.selectFrom('model_package_aliases').select('version').where('group_name', '=', group).where('alias', '=', alias).executeTakeFirst();
      if (!prior) throw notFound('ModelPackageAlias', `${group}/${alias}`);
      await tx.deleteFrom('model_package_aliases').where('group_name', '=', group).where('alias', '=', alias).execute();
      await appendEvent(tx, { group, at, type: 'alias_deleted', version: Number(prior.version), actor, detail: { alias, from: Number(prior.version) } });
    });
  }

  async aliases(group: string): Promise<Map<string, number>> {
    const rows = await this.db.selectFrom('model_package_aliases').select(['alias', 'version']).where('group_name', '=', group).orderBy('alias').execute();
    return new Map(rows.map((r) => [r.alias, Number(r.version)]));
  }

  appendEvent(e: Omit<RegistryEventRecord, 'seq'>): Promise<RegistryEventRecord> {
    return inTransaction(this.db, (tx) => appendEvent(tx, e));
  }

  async events(group: string, q: { type?: RegistryEventType; since?: number; limit?: number } = {}): Promise<RegistryEventRecord[]> {
    let query = this.db.selectFrom('model_package_events').selectAll().where('group_name', '=', group).orderBy('seq');
    if (q.type) query = query.where('type', '=', q.type);
    if (q.since !== undefined) query = query.where('seq', '>', q.since);
    if (q.limit !== undefined) query = query.limit(q.limit);
    return (await query.execute()).map(toEvent);
  }

  async versionsFrom(q: { model?: string | string[]; trainingJob?: string; evaluationJob?: string }): Promise<ModelPackageRecord[]> {
    const models = q.model === undefined ? undefined : Array.isArray(q.model) ? q.model : [q.model];
    if (models?.length === 0) return [];
    let query = this.db.selectFrom('model_packages').selectAll();
    if (models) query = query.where('model_name', 'in', models);
    if (q.trainingJob !== undefined) query = query.where('training_job', '=', q.trainingJob);
    if (q.evaluationJob !== undefined) query = query.where('evaluation_job', '=', q.evaluationJob);
    return (await query.orderBy('group_name').orderBy('version').execute()).map(toVersion);
  }
}

/**
 * Appends one event with the group's next seq. Inside a transaction that already updated the
 * group row, the seq cannot race; on its own, the insert's primary key refuses a duplicate seq.
 */
async function appendEvent(db: Db, e: Omit<RegistryEventRecord, 'seq'>): Promise<RegistryEventRecord> {
  const { last } = await db
    .selectFrom('model_package_events')
    .select((eb) => eb.fn.max('seq').as('last'))
    .where('group_name', '=', e.group)
    .executeTakeFirstOrThrow();
  const seq = Number(last ?? 0) + 1;
  await db.insertInto('model_package_events').values({
    group_name: e.group, seq, at: toMillis(e.at), type: e.type, version: e.version ?? null, actor: e.actor ?? null, detail: toJson(e.detail),
  }).execute();
  return compact({ ...e, seq });
}
