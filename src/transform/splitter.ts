/**
 * Splits transform input into records and records into mini-batches (SageMaker's SplitType and
 * BatchStrategy/MaxPayloadInMB).
 */

/** The records of one input file, with the 1-based line each starts on. */
export interface SplitInput {
  records: string[];
  lines: Int32Array;
}

/**
 * SplitType Line: one record per line; empty and blank lines are skipped (they are not records),
 * CRLF endings are accepted. `skipFirst` drops a header line.
 */
export function splitLines(text: string, opts: { skipFirst?: boolean } = {}): SplitInput {
  const records: string[] = [];
  const lines: number[] = [];
  let line = 0;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (pos <= text.length) {
    let next = text.indexOf('\n', pos);
    if (next < 0) next = text.length;
    line++;
    let end = next;
    if (end > pos && text.charCodeAt(end - 1) === 0x0d) end--;
    const record = text.slice(pos, end);
    if (!(line === 1 && opts.skipFirst) && record.trim() !== '') {
      records.push(record);
      lines.push(line);
    }
    pos = next + 1;
  }
  return { records, lines: Int32Array.from(lines) };
}

/** A mini-batch: indexes into the list of records to send, in order. */
export type Batch = number[];

export interface BatchOptions {
  strategy: 'MultiRecord' | 'SingleRecord';
  /** Largest request body, in bytes (MaxPayloadInMB × 2^20). */
  maxPayloadBytes: number;
  /** At most this many records in one MultiRecord batch. @defaultValue no limit */
  maxRecords?: number;
}

/**
 * Groups `indexes` (records that are to be sent) into mini-batches in order: one record each
 * (SingleRecord), or as many as fit in `maxPayloadBytes` counting one newline per record
 * (MultiRecord, and at most `maxRecords`). A record too large on its own is returned in `tooLarge` instead.
 */
export function miniBatches(sizes: ArrayLike<number>, indexes: readonly number[], opts: BatchOptions): { batches: Batch[]; tooLarge: number[] } {
  const batches: Batch[] = [];
  const tooLarge: number[] = [];
  let current: Batch = [];
  let bytes = 0;
  for (const i of indexes) {
    const size = sizes[i] + 1;
    if (size > opts.maxPayloadBytes) {
      tooLarge.push(i);
      continue;
    }
    const full = opts.strategy === 'SingleRecord' || bytes + size > opts.maxPayloadBytes || current.length >= (opts.maxRecords ?? Infinity);
    if (current.length > 0 && full) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(i);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return { batches, tooLarge };
}

/** UTF-8 size of each string. */
export function byteSizes(records: readonly string[]): Int32Array {
  const out = new Int32Array(records.length);
  for (let i = 0; i < records.length; i++) out[i] = Buffer.byteLength(records[i], 'utf8');
  return out;
}
