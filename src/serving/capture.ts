import { randomUUID } from 'node:crypto';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { DataCaptureConfig } from '../contracts/endpoint.js';
import type { Logger } from '../core/logger.js';

/**
 * Data capture (issue 5, item 6): a share of an endpoint's requests and responses written as JSON
 * lines in SageMaker's capture layout,
 * `<destination><endpoint>/<variant>/yyyy/mm/dd/hh/<mm>-<ss>-<mmm>-<uuid>.jsonl` (UTC).
 *
 * The request path only samples and pushes a reference to the bodies into a bounded buffer
 * (`offer`); serializing and writing happen on a timer (every `flushIntervalMs`, or sooner once
 * `maxRecordsPerFile` records wait), one atomic artifact-store object per variant and hour per
 * flush. When the buffer is full new records are dropped and counted, never waited for.
 */

/** What the store keeps of an endpoint config's `dataCapture`, defaults filled in. */
export interface DataCaptureSpec {
  enabled: boolean;
  samplingPercentage: number;
  /** Artifact-store key prefix, ending with `/`. */
  destination: string;
  captureOptions: Array<'Input' | 'Output'>;
  csvContentTypes: string[];
  jsonContentTypes: string[];
}

export const DEFAULT_CAPTURE_DESTINATION = 'data-capture/';

export const dataCaptureSpec = (c: DataCaptureConfig): DataCaptureSpec => {
  const destination = c.destination ?? DEFAULT_CAPTURE_DESTINATION;
  return {
    enabled: c.enabled ?? true,
    samplingPercentage: c.samplingPercentage,
    destination: destination.endsWith('/') ? destination : `${destination}/`,
    captureOptions: c.captureOptions ?? ['Input', 'Output'],
    csvContentTypes: c.csvContentTypes ?? ['text/csv'],
    jsonContentTypes: c.jsonContentTypes ?? ['application/json', 'application/jsonlines'],
  };
};

/** A body as the caller sent it or the model answered it. */
export interface CapturedPayload {
  body: Buffer | string;
  contentType: string | undefined;
}

interface PendingRecord {
  variant: string;
  at: number;
  input: CapturedPayload;
  output: CapturedPayload;
  inferenceId: string | undefined;
}

/** Counters of one endpoint's capture since it started. */
export interface CaptureStats {
  /** Records accepted into the buffer. */
  captured: number;
  /** Records dropped because the buffer was full, or lost to a failed write. */
  dropped: number;
  /** Records written to the artifact store. */
  written: number;
  /** Objects written. */
  files: number;
}

export interface CaptureWriterOptions {
  endpoint: string;
  spec: DataCaptureSpec;
  store: Pick<ArtifactStore, 'put'>;
  log: Logger;
  /** @defaultValue 1000 */
  flushIntervalMs?: number;
  /** A flush starts early once this many records wait. @defaultValue 1000 */
  maxRecordsPerFile?: number;
  /** Records buffered or being written before new ones are dropped. @defaultValue 10000 */
  maxBufferedRecords?: number;
  /** @defaultValue Date.now */
  now?: () => number;
  /** @defaultValue Math.random */
  random?: () => number;
}

const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const three = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/** The buffered, asynchronous capture writer of one endpoint. */
export class CaptureWriter {
  readonly stats: CaptureStats = { captured: 0, dropped: 0, written: 0, files: 0 };
  #buffer: PendingRecord[] = [];
  #inFlight = 0;
  #chain: Promise<void> = Promise.resolve();
  #flushQueued = false;
  #closed = false;
  #timer: NodeJS.Timeout;
  readonly #csv: Set<string>;
  readonly #json: Set<string>;
  readonly #maxPerFile: number;
  readonly #maxBuffered: number;
  readonly #now: () => number;
  readonly #random: () => number;

  constructor(private readonly opts: CaptureWriterOptions) {
    this.#csv = new Set(opts.spec.csvContentTypes.map((t) => t.toLowerCase()));
    this.#json = new Set(opts.spec.jsonContentTypes.map((t) => t.toLowerCase()));
    this.#maxPerFile = opts.maxRecordsPerFile ?? 1000;
    this.#maxBuffered = opts.maxBufferedRecords ?? 10_000;
    this.#now = opts.now ?? Date.now;
    this.#random = opts.random ?? Math.random;
    this.#timer = setInterval(() => void this.flush(), opts.flushIntervalMs ?? 1000);
    this.#timer.unref();
  }

  get spec(): DataCaptureSpec {
    return this.opts.spec;
  }

  /**
   * Samples one finished invocation and, if chosen, buffers it. Synchronous and cheap: no
   * serialization, no I/O. Returns whether it was captured.
   */
  offer(variant: string, input: CapturedPayload, output: CapturedPayload, inferenceId?: string): boolean {
    const spec = this.opts.spec;
    if (this.#closed || !spec.enabled || !(this.#random() * 100 < spec.samplingPercentage)) return false;
    if (this.#buffer.length + this.#inFlight >= this.#maxBuffered) {
      this.stats.dropped++;
      return false;
    }
    this.#buffer.push({ variant, at: this.#now(), input, output, inferenceId });
    this.stats.captured++;
    if (this.#buffer.length >= this.#maxPerFile && !this.#flushQueued) void this.flush();
    return true;
  }

  /** Writes what is buffered; resolves once it is in the store (or counted as dropped). */
  flush(): Promise<void> {
    if (this.#flushQueued) return this.#chain;
    this.#flushQueued = true;
    this.#chain = this.#chain.then(() => {
      this.#flushQueued = false;
      return this.#writeBuffered();
    });
    return this.#chain;
  }

  /** Stops capturing and writes what is left. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.flush();
  }

  async #writeBuffered(): Promise<void> {
    if (this.#buffer.length === 0) return;
    const records = this.#buffer;
    this.#buffer = [];
    this.#inFlight += records.length;
    const groups = new Map<string, PendingRecord[]>();
    for (const r of records) {
      const d = new Date(r.at);
      const folder = `${r.variant}/${d.getUTCFullYear()}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())}/${two(d.getUTCHours())}`;
      const g = groups.get(folder);
      if (g) g.push(r);
      else groups.set(folder, [r]);
    }
    for (const [folder, group] of groups) {
      const first = new Date(group[0].at);
      const key = `${this.opts.spec.destination}${this.opts.endpoint}/${folder}/${two(first.getUTCMinutes())}-${two(first.getUTCSeconds())}-${three(first.getUTCMilliseconds())}-${randomUUID()}.jsonl`;
      try {
        let text = '';
        for (const r of group) text += `${this.#line(r)}\n`;
        await this.opts.store.put(key, Buffer.from(text, 'utf8'));
        this.stats.written += group.length;
        this.stats.files++;
      } catch (e) {
        this.stats.dropped += group.length;
        this.opts.log.warn({ endpoint: this.opts.endpoint, key, records: group.length, err: e }, 'data capture write failed; records dropped');
      } finally {
        this.#inFlight -= group.length;
      }
    }
  }

  #line(r: PendingRecord): string {
    const captureData: Record<string, unknown> = {};
    const options = this.opts.spec.captureOptions;
    if (options.includes('Input')) captureData.endpointInput = this.#payload(r.input, 'INPUT');
    if (options.includes('Output')) captureData.endpointOutput = this.#payload(r.output, 'OUTPUT');
    const eventMetadata: Record<string, string> = {
      eventId: randomUUID(),
      inferenceTime: new Date(r.at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
    if (r.inferenceId !== undefined) eventMetadata.inferenceId = r.inferenceId;
    return JSON.stringify({ captureData, eventMetadata, eventVersion: '0' });
  }

  /** CSV and JSON content types (by the config's lists) are kept as text; anything else as base64. */
  #payload(p: CapturedPayload, mode: 'INPUT' | 'OUTPUT') {
    const base = (p.contentType ?? '').split(';')[0].trim().toLowerCase();
    const encoding = this.#csv.has(base) ? 'CSV' : this.#json.has(base) ? 'JSON' : 'BASE64';
    const data = encoding === 'BASE64'
      ? (typeof p.body === 'string' ? Buffer.from(p.body, 'utf8') : p.body).toString('base64')
      : typeof p.body === 'string' ? p.body : p.body.toString('utf8');
    return { ...(p.contentType !== undefined ? { observedContentType: p.contentType } : {}), mode, data, encoding };
  }
}
