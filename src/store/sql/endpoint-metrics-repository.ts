import type { EndpointMetricBucketQuery, EndpointMetricBucketRecord, EndpointMetricsRepository } from '../metadata-store.js';
import type { Db, EndpointMetricBucketTable } from './schema.js';

/** Rows per INSERT: 11 parameters each stays under SQLite's 999-variable limit. */
const CHUNK = 80;

/** `3:12,4:40` for [0, 0, 0, 12, 40]: most latency bins are empty. */
export function encodeHistogram(counts: ArrayLike<number>): string {
  const parts: string[] = [];
  for (let i = 0; i < counts.length; i++) if (counts[i] > 0) parts.push(`${i}:${counts[i]}`);
  return parts.join(',');
}

export function decodeHistogram(text: string): number[] {
  const out: number[] = [];
  if (text === '') return out;
  for (const part of text.split(',')) {
    const cut = part.indexOf(':');
    const bin = Number(part.slice(0, cut));
    while (out.length <= bin) out.push(0);
    out[bin] = Number(part.slice(cut + 1));
  }
  return out;
}

const toRow = (r: EndpointMetricBucketRecord): EndpointMetricBucketTable => ({
  endpoint_name: r.endpoint,
  resolution: r.resolution,
  bucket: r.bucket,
  kind: r.kind,
  series: r.series,
  node: r.node,
  invocations: r.invocations,
  errors_4xx: r.errors4xx,
  errors_5xx: r.errors5xx,
  model_latency: encodeHistogram(r.modelLatency),
  overhead_latency: encodeHistogram(r.overheadLatency),
});

const toRecord = (r: EndpointMetricBucketTable): EndpointMetricBucketRecord => ({
  node: r.node,
  endpoint: r.endpoint_name,
  kind: r.kind as EndpointMetricBucketRecord['kind'],
  series: r.series,
  resolution: Number(r.resolution),
  bucket: Number(r.bucket),
  invocations: Number(r.invocations),
  errors4xx: Number(r.errors_4xx),
  errors5xx: Number(r.errors_5xx),
  modelLatency: decodeHistogram(r.model_latency),
  overheadLatency: decodeHistogram(r.overhead_latency),
});

/** Cluster-wide endpoint metrics: one row per node, endpoint, series and time bucket (migration 0011). */
export class SqlEndpointMetricsRepository implements EndpointMetricsRepository {
  constructor(private readonly db: Db) {}

  async put(rows: readonly EndpointMetricBucketRecord[]): Promise<void> {
    for (let i = 0; i < rows.length; i += CHUNK) {
      await this.db
        .insertInto('endpoint_metric_buckets')
        .values(rows.slice(i, i + CHUNK).map(toRow))
        .onConflict((oc) =>
          oc.columns(['endpoint_name', 'resolution', 'bucket', 'kind', 'series', 'node']).doUpdateSet((eb) => ({
            invocations: eb.ref('excluded.invocations'),
            errors_4xx: eb.ref('excluded.errors_4xx'),
            errors_5xx: eb.ref('excluded.errors_5xx'),
            model_latency: eb.ref('excluded.model_latency'),
            overhead_latency: eb.ref('excluded.overhead_latency'),
          })),
        )
        .execute();
    }
  }

  async rows(q: EndpointMetricBucketQuery): Promise<EndpointMetricBucketRecord[]> {
    let query = this.db
      .selectFrom('endpoint_metric_buckets')
      .selectAll()
      .where('endpoint_name', '=', q.endpoint)
      .where('resolution', '=', q.resolution)
      .where('bucket', '>=', q.from)
      .where('bucket', '<=', q.to);
    if (q.kind !== undefined) query = query.where('kind', '=', q.kind);
    if (q.series !== undefined) query = query.where('series', '=', q.series);
    if (q.excludeNode !== undefined) query = query.where('node', '<>', q.excludeNode);
    return (await query.orderBy('bucket').orderBy('kind').orderBy('series').orderBy('node').execute()).map(toRecord);
  }

  async prune(resolution: number, before: number): Promise<number> {
    const { numDeletedRows } = await this.db
      .deleteFrom('endpoint_metric_buckets')
      .where('resolution', '=', resolution)
      .where('bucket', '<', before)
      .executeTakeFirst();
    return Number(numDeletedRows);
  }

  async deleteNodeEndpoint(node: string, endpoint: string): Promise<void> {
    await this.db.deleteFrom('endpoint_metric_buckets').where('endpoint_name', '=', endpoint).where('node', '=', node).execute();
  }
}
