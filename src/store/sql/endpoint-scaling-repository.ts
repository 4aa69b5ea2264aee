import { notFound } from '../../core/errors.js';
import type { EndpointScalingRepository, ScalingEventRecord, ScalingPolicyRecord } from '../metadata-store.js';
import { fromJson, toDate, toJson, toMillis } from './codec.js';
import { inTransaction, type Db, type EndpointScalingEventTable, type EndpointScalingPolicyTable } from './schema.js';

const toPolicy = (r: EndpointScalingPolicyTable): ScalingPolicyRecord => ({
  endpoint: r.endpoint_name,
  variant: r.variant_name,
  policy: fromJson<Record<string, unknown>>(r.policy),
  updatedAt: toDate(r.updated_at),
});

const toEvent = (r: EndpointScalingEventTable): ScalingEventRecord => ({
  endpoint: r.endpoint_name,
  variant: r.variant_name,
  at: toDate(r.at),
  action: r.action,
  fromInstances: Number(r.from_count),
  toInstances: Number(r.to_count),
  detail: fromJson<Record<string, unknown>>(r.detail),
});

/** Autoscaling policies and decisions (tables of migration 0005). */
export class SqlEndpointScalingRepository implements EndpointScalingRepository {
  constructor(private readonly db: Db) {}

  putPolicy(r: ScalingPolicyRecord): Promise<void> {
    return inTransaction(this.db, async (tx) => {
      await tx.deleteFrom('endpoint_scaling_policies').where('endpoint_name', '=', r.endpoint).where('variant_name', '=', r.variant).execute();
      await tx
        .insertInto('endpoint_scaling_policies')
        .values({ endpoint_name: r.endpoint, variant_name: r.variant, policy: toJson(r.policy), updated_at: toMillis(r.updatedAt) })
        .execute();
    });
  }

  async deletePolicy(endpoint: string, variant: string): Promise<void> {
    const { numDeletedRows } = await this.db
      .deleteFrom('endpoint_scaling_policies')
      .where('endpoint_name', '=', endpoint)
      .where('variant_name', '=', variant)
      .executeTakeFirst();
    if (numDeletedRows === 0n) throw notFound('ScalingPolicy', `${endpoint}/${variant}`);
  }

  async policies(endpoint?: string): Promise<ScalingPolicyRecord[]> {
    let q = this.db.selectFrom('endpoint_scaling_policies').selectAll();
    if (endpoint !== undefined) q = q.where('endpoint_name', '=', endpoint);
    return (await q.orderBy('endpoint_name').orderBy('variant_name').execute()).map(toPolicy);
  }

  appendEvent(e: ScalingEventRecord): Promise<void> {
    return inTransaction(this.db, async (tx) => {
      const { last } = await tx
        .selectFrom('endpoint_scaling_events')
        .select((eb) => eb.fn.max('seq').as('last'))
        .where('endpoint_name', '=', e.endpoint)
        .executeTakeFirstOrThrow();
      await tx
        .insertInto('endpoint_scaling_events')
        .values({
          endpoint_name: e.endpoint,
          seq: Number(last ?? 0) + 1,
          variant_name: e.variant,
          at: toMillis(e.at),
          action: e.action,
          from_count: e.fromInstances,
          to_count: e.toInstances,
          detail: toJson(e.detail),
        })
        .execute();
    });
  }

  async events(endpoint: string, q: { variant?: string; limit?: number } = {}): Promise<ScalingEventRecord[]> {
    let query = this.db.selectFrom('endpoint_scaling_events').selectAll().where('endpoint_name', '=', endpoint);
    if (q.variant !== undefined) query = query.where('variant_name', '=', q.variant);
    return (await query.orderBy('seq', 'desc').limit(q.limit ?? 100).execute()).map(toEvent);
  }

  deleteEndpoint(endpoint: string): Promise<void> {
    return inTransaction(this.db, async (tx) => {
      await tx.deleteFrom('endpoint_scaling_events').where('endpoint_name', '=', endpoint).execute();
      await tx.deleteFrom('endpoint_scaling_policies').where('endpoint_name', '=', endpoint).execute();
    });
  }
}
