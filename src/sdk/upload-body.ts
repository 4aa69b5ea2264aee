import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import type { DatasetFormat } from './types.js';

/** Called as bytes leave for the server. */
export type ProgressCallback = (bytesSent: number, totalBytes: number) => void;

const CHUNK = 64 * 1024;

/** A file or bytes as a web stream that reports progress, without reading a file into memory. */
export async function uploadBody(
  source: string | Uint8Array,
  onProgress?: ProgressCallback,
): Promise<{ stream: ReadableStream<Uint8Array>; size: number }> {
  const size = typeof source === 'string' ? (await stat(source)).size : source.byteLength;
  const input = typeof source === 'string' ? createReadStream(source, { highWaterMark: CHUNK }) : Readable.from(chunks(source));
  const counted = input.pipe(progressCounter(size, onProgress));
  input.on('error', (err: Error) => counted.destroy(err));
  return { stream: Readable.toWeb(counted) as ReadableStream<Uint8Array>, size };
}

function* chunks(bytes: Uint8Array): Generator<Uint8Array> {
  for (let i = 0; i < bytes.byteLength; i += CHUNK) yield bytes.subarray(i, i + CHUNK);
}

function progressCounter(total: number, onProgress?: ProgressCallback): Transform {
  let sent = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.byteLength;
      onProgress?.(sent, total);
      done(null, chunk);
    },
  });
}

const CONTENT_TYPES: Record<DatasetFormat, string> = {
  csv: 'text/csv',
  parquet: 'application/x-parquet',
  jsonl: 'application/jsonlines',
};

/** The format a file name suggests, if any. */
export function formatFromPath(path: string): DatasetFormat | undefined {
  const ext = /\.([a-z]+)$/i.exec(path)?.[1]?.toLowerCase();
  if (ext === 'csv') return 'csv';
  if (ext === 'parquet' || ext === 'pq') return 'parquet';
  if (ext === 'jsonl' || ext === 'ndjson') return 'jsonl';
  return undefined;
}

/** The Content-Type of an upload in the given format. */
export const contentTypeOf = (format: DatasetFormat | undefined) =>
  format ? CONTENT_TYPES[format] : 'application/octet-stream';
