import { S3_BUCKET, s3UriOfKey } from '../../artifacts/artifact-store.js';
import type { Platform } from '../../platform.js';
import type { Role } from '../../store/metadata-store.js';
import { validationException } from './errors.js';
import type { Shape } from './shape.js';

/** The account id in every ARN Stratus answers with (one Stratus server is one "account"). */
export const ACCOUNT = '000000000000';
/** The bucket name in the s3:// URLs Stratus answers with; incoming URLs may name any bucket. */
export const BUCKET = S3_BUCKET;

export type ArnKind = 'model' | 'endpoint-config' | 'endpoint' | 'training-job' | 'transform-job';

/** What an operation runs with: the platform and who called, in which region. */
export interface OpContext {
  readonly platform: Platform;
  /** The region of the request's signature; echoed in ARNs. */
  readonly region: string;
  readonly role: Role;
}

/** One SageMaker operation: its input shape and what it does. */
export interface Operation {
  /** Describe*, List*: allowed to reader keys. */
  readonly readOnly: boolean;
  readonly input: Shape;
  run(input: Record<string, any>, ctx: OpContext): Promise<Record<string, unknown>>;
}

/** `arn:aws:sagemaker:<region>:000000000000:<kind>/<name>`. Names keep their case (Stratus names are case-sensitive). */
export const arnOf = (ctx: OpContext, kind: ArnKind, name: string) => `arn:aws:sagemaker:${ctx.region}:${ACCOUNT}:${kind}/${name}`;

const ARN_RE = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:[0-9]{12}:([a-z-]+)\/(.+)$/;

/** The kind and name an ARN points at. @throws ValidationException */
export function parseArn(arn: string): { kind: string; name: string } {
  const m = ARN_RE.exec(arn);
  if (!m) throw validationException(`Invalid resource ARN "${arn}": expected arn:aws:sagemaker:<region>:<account>:<type>/<name>.`);
  return { kind: m[1], name: m[2] };
}

/** Epoch seconds with millisecond precision, as the SDKs parse timestamps. */
export const epoch = (d: Date) => d.getTime() / 1000;

/** A request timestamp (epoch seconds, number or numeric string) as a Date. */
export const fromEpoch = (v: unknown) => new Date(Number(v) * 1000);

/**
 * `s3://<bucket>/<key>` → artifact store key `<key>`. Any bucket name maps to the store's root
 * (a Stratus server has one artifact store); the URL as given is kept and echoed by Describe*.
 * @throws ValidationException for https:// or a URL without a key.
 */
export function keyOfS3Url(url: string, path: string): string {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!m) {
    throw validationException(`'${path}' must be an s3://<bucket>/<key> URL naming an object in Stratus's artifact store (any bucket name maps to the store root); got "${url}".`);
  }
  return m[2];
}

/** The s3:// URL Stratus gives an artifact key: `s3://stratus/<key>`. */
export const s3UrlOf = s3UriOfKey;

export interface ListInput {
  SortBy?: string;
  SortOrder?: 'Ascending' | 'Descending';
  NextToken?: string;
  MaxResults?: number;
  NameContains?: string;
  CreationTimeBefore?: number;
  CreationTimeAfter?: number;
  LastModifiedTimeBefore?: number;
  LastModifiedTimeAfter?: number;
  StatusEquals?: string;
}

/** What a List* filters and sorts on. */
export interface Listed {
  name: string;
  createdAt: Date;
  modifiedAt?: Date;
  status?: string;
}

const DEFAULT_MAX_RESULTS = 10;

function decodeToken(token: string): number {
  const n = Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isInteger(n) || n < 0) throw validationException('Invalid pagination token: pass the NextToken of a previous response.');
  return n;
}

/**
 * Filters, sorts (default CreationTime Descending, as AWS) and pages records in memory. The token
 * is an offset into the sorted, filtered list.
 */
export function pageOf<T extends Listed>(items: T[], input: ListInput): { items: T[]; nextToken?: string } {
  const contains = input.NameContains?.toLowerCase();
  const filtered = items.filter(
    (r) =>
      (!contains || r.name.toLowerCase().includes(contains)) &&
      (input.CreationTimeBefore === undefined || r.createdAt < fromEpoch(input.CreationTimeBefore)) &&
      (input.CreationTimeAfter === undefined || r.createdAt > fromEpoch(input.CreationTimeAfter)) &&
      (input.LastModifiedTimeBefore === undefined || (r.modifiedAt ?? r.createdAt) < fromEpoch(input.LastModifiedTimeBefore)) &&
      (input.LastModifiedTimeAfter === undefined || (r.modifiedAt ?? r.createdAt) > fromEpoch(input.LastModifiedTimeAfter)) &&
      (input.StatusEquals === undefined || r.status === input.StatusEquals),
  );
  const by = input.SortBy ?? 'CreationTime';
  const key = (r: T) => (by === 'Name' ? r.name : by === 'Status' ? (r.status ?? '') : r.createdAt.getTime());
  const sign = (input.SortOrder ?? 'Descending') === 'Ascending' ? 1 : -1;
  filtered.sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    return (x < y ? -1 : x > y ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0) * sign;
  });
  const start = input.NextToken ? decodeToken(input.NextToken) : 0;
  const max = input.MaxResults ?? DEFAULT_MAX_RESULTS;
  const page = filtered.slice(start, start + max);
  const next = start + max < filtered.length ? Buffer.from(String(start + max)).toString('base64url') : undefined;
  return next ? { items: page, nextToken: next } : { items: page };
}

/** Every record of a paged store listing. */
export async function listAll<T>(list: (q: { limit: number; nextToken?: string }) => Promise<{ items: T[]; nextToken?: string }>): Promise<T[]> {
  const all: T[] = [];
  let nextToken: string | undefined;
  do {
    const page = await list({ limit: 100, ...(nextToken ? { nextToken } : {}) });
    all.push(...page.items);
    nextToken = page.nextToken;
  } while (nextToken);
  return all;
}

/** SageMaker's `[{Key, Value}]` from a map, and back. */
export const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
export const tagMap = (tags: Array<{ Key: string; Value: string }> | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.Key, t.Value]));
