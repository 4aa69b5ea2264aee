import { pathOf, type Transport } from '../transport.js';
import { contentTypeOf, formatFromPath, uploadBody, type ProgressCallback } from '../upload-body.js';
import { listAll } from '../paginate.js';
import type { Dataset, DatasetFormat, DatasetList, DatasetVersion, ListOptions } from '../types.js';

const BASE = '/api/v1/datasets';

/** Options of {@link DatasetsApi.upload}. */
export interface UploadOptions {
  /** @defaultValue from the file extension, else the server infers it */
  format?: DatasetFormat;
  /** Whether a CSV's first row names the columns. @defaultValue `'auto'` */
  header?: boolean | 'auto';
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

/** Versioned datasets: upload files, read their schema and statistics. */
export class DatasetsApi {
  constructor(readonly transport: Transport) {}

  /**
   * Uploads a file (streamed from disk) or bytes as a new version of the dataset `name`.
   * @example
   * const v = await client.datasets.upload('breast-cancer', './breast_cancer.csv', { header: false });
   * console.log(v.version, v.rows);
   */
  async upload(name: string, source: string | Uint8Array, opts: UploadOptions = {}): Promise<DatasetVersion> {
    const format = opts.format ?? (typeof source === 'string' ? formatFromPath(source) : undefined);
    const { stream } = await uploadBody(source, opts.onProgress);
    return this.transport.json<DatasetVersion>({
      method: 'POST',
      path: pathOf(BASE, name),
      query: { format, header: opts.header },
      headers: { 'content-type': contentTypeOf(format) },
      body: stream,
      signal: opts.signal,
    });
  }

  /** One page of datasets. */
  list(query: ListOptions = {}): Promise<DatasetList> {
    return this.transport.json({ path: BASE, query });
  }

  /** Every dataset, page after page. */
  listAll(query: Omit<ListOptions, 'nextToken'> = {}): AsyncGenerator<DatasetList['items'][number]> {
    return listAll((q) => this.list({ ...query, ...q }));
  }

  /** A dataset with its latest version described and its version list. */
  get(name: string): Promise<Dataset> {
    return this.transport.json({ path: pathOf(BASE, name) });
  }

  /** One version of a dataset, with its columns and statistics. */
  getVersion(name: string, version: number): Promise<DatasetVersion> {
    return this.transport.json({ path: pathOf(BASE, name, 'versions', version) });
  }

  /** Deletes a dataset and all its versions. */
  async delete(name: string): Promise<void> {
    await this.transport.json({ method: 'DELETE', path: pathOf(BASE, name) });
  }
}
