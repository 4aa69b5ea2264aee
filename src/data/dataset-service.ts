import { open, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { s3UriOfKey, type ArtifactStore } from '../artifacts/artifact-store.js';
import type { Dataset, DatasetFormat, DatasetVersion } from '../contracts/dataset.js';
import type { Clock } from '../core/clock.js';
import type { PlatformEvents } from '../core/events.js';
import { PlatformError, validationError } from '../core/errors.js';
import { arnOf, isValidName, randomSuffix } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { DatasetVersionRecord, ListQuery, MetadataStore } from '../store/metadata-store.js';
import { describeTable, detectHeader, type DatasetColumnStats } from './statistics.js';

export interface UploadOptions {
  format?: DatasetFormat;
  header?: boolean | 'auto';
  contentType?: string;
  signal?: AbortSignal;
}

const EXTENSIONS: Record<DatasetFormat, string> = { csv: 'csv', parquet: 'parquet', jsonl: 'jsonl' };

/** Datasets: named, versioned files in the artifact store, described with DuckDB at upload. */
export class DatasetService {
  constructor(
    private readonly deps: { store: MetadataStore; artifacts: ArtifactStore; clock: Clock; log: Logger; maxUploadBytes: number; events?: PlatformEvents },
  ) {}

  /** Streams `body` into the store as the next version of `name`, then describes it. */
  async upload(name: string, body: Readable, opts: UploadOptions = {}): Promise<DatasetVersion> {
    if (!isValidName(name)) throw validationError(`invalid dataset name '${name}': use letters, digits and hyphens (at most 63)`, { field: 'name' });
    const format = opts.format ?? formatFromContentType(opts.contentType);
    const key = `datasets/${name}/${Date.now()}-${randomSuffix()}.${EXTENSIONS[format]}`;
    const { artifacts } = this.deps;
    const info = await artifacts.put(key, body, { maxBytes: this.deps.maxUploadBytes, signal: opts.signal });
    try {
      const described = await this.#describe(key, format, opts.header ?? 'auto');
      const record = await this.deps.store.datasets.addVersion({
        datasetName: name,
        arn: arnOf('dataset', name),
        uri: info.uri,
        format,
        sizeBytes: info.sizeBytes,
        header: described.header,
        rows: described.rows,
        columns: described.columns,
      });
      this.deps.log.info({ dataset: name, version: record.version, rows: record.rows }, 'dataset version added');
      for (const err of this.deps.events?.emit('dataset.version', { dataset: name, version: record.version, rows: record.rows, uri: record.uri }) ?? []) {
        this.deps.log.error({ err, dataset: name }, 'a dataset.version listener failed');
      }
      return toDatasetVersion(record, artifacts);
    } catch (e) {
      await artifacts.delete(key).catch(() => undefined);
      throw e;
    }
  }

  async #describe(key: string, format: DatasetFormat, header: boolean | 'auto') {
    return this.withLocalFile(this.deps.artifacts.uriOf(key), async (path) => {
      const hasHeader = format === 'csv' ? (header === 'auto' ? await sniffHeader(path) : header) : true;
      const table = await describeTable(path, format, { header: hasHeader });
      if (table.rows === 0) throw validationError('the uploaded file holds no data rows', { field: 'body' });
      return { header: hasHeader, rows: table.rows, columns: table.columns as DatasetColumnStats[] };
    });
  }

  /** Runs `fn` with a local path of an artifact: the file itself for a local store, else a temporary copy. */
  async withLocalFile<T>(uri: string, fn: (path: string) => Promise<T>): Promise<T> {
    if (uri.startsWith('file:')) return fn(fileURLToPath(uri));
    const dir = join(tmpdir(), `stratus-${randomSuffix()}`);
    await mkdir(dir, { recursive: true });
    try {
      const path = join(dir, 'data');
      await this.deps.artifacts.download(this.deps.artifacts.keyOf(uri), path);
      return await fn(path);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async list(q: ListQuery) {
    const page = await this.deps.store.datasets.list(q);
    return { items: page.items.map(toDatasetSummary), ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  async get(name: string): Promise<Dataset> {
    const ds = await this.deps.store.datasets.get(name);
    const versions = await this.deps.store.datasets.listVersions(name);
    const latest = versions.find((v) => v.version === ds.latestVersion);
    return {
      ...toDatasetSummary(ds),
      ...(latest ? { latest: toDatasetVersion(latest, this.deps.artifacts) } : {}),
      versions: versions.map((v) => {
        const { columns: _columns, ...rest } = toDatasetVersion(v, this.deps.artifacts);
        return rest;
      }),
    };
  }

  async getVersion(name: string, version?: number): Promise<DatasetVersionRecord> {
    return this.deps.store.datasets.getVersion(name, version);
  }

  /** The API view of one version. */
  async describeVersion(name: string, version?: number): Promise<DatasetVersion> {
    return toDatasetVersion(await this.getVersion(name, version), this.deps.artifacts);
  }

  async delete(name: string): Promise<void> {
    const versions = await this.deps.store.datasets.delete(name);
    for (const v of versions) {
      await this.deps.artifacts.delete(this.deps.artifacts.keyOf(v.uri)).catch((e: unknown) => {
        this.deps.log.warn({ err: e, uri: v.uri }, 'could not delete dataset file');
      });
    }
  }
}

function formatFromContentType(contentType: string | undefined): DatasetFormat {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/x-parquet' || type === 'application/vnd.apache.parquet') return 'parquet';
  if (type === 'application/jsonlines' || type === 'application/x-ndjson' || type === 'application/jsonl') return 'jsonl';
  if (type === 'text/csv' || type === 'application/octet-stream' || type === '') return 'csv';
  throw new PlatformError('UnsupportedMediaType', `cannot store a dataset of type '${type}'; send text/csv, application/x-parquet or application/jsonlines, or name the format with ?format=`);
}

async function sniffHeader(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const lines = buf.subarray(0, bytesRead).toString('utf8').split(/\r?\n/);
    return detectHeader(lines[0] ?? '', lines[1]);
  } finally {
    await fh.close();
  }
}

const toDatasetSummary = (d: { name: string; arn: string; latestVersion: number; createdAt: Date; updatedAt: Date }) => ({
  name: d.name,
  arn: d.arn,
  latestVersion: d.latestVersion,
  createdAt: d.createdAt.toISOString(),
  updatedAt: d.updatedAt.toISOString(),
});

export function toDatasetVersion(v: DatasetVersionRecord, artifacts: Pick<ArtifactStore, 'keyOf'>): DatasetVersion {
  return {
    dataset: v.datasetName,
    version: v.version,
    uri: v.uri,
    s3Uri: s3UriOfKey(artifacts.keyOf(v.uri)),
    format: v.format as DatasetFormat,
    sizeBytes: v.sizeBytes,
    header: v.header,
    rows: v.rows,
    columns: v.columns as DatasetVersion['columns'],
    createdAt: v.createdAt.toISOString(),
  };
}
