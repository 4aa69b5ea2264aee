import type { FailedRecord, TransformProgress } from '../contracts/transform-job.js';
import { assembleLines, BadRecordError, finishRecord, prepareInput, splitModelOutput, type RecordProcessing } from './assembler.js';
import { isBadInput, rowOf, type ModelRunner } from './model-runner.js';
import { byteSizes, miniBatches, splitLines, type Batch } from './splitter.js';

/** What one transform does with one input file. */
export interface TransformPlan {
  /** Input file name, for positions in messages and the output key. */
  file: string;
  /** The file's text. */
  text: string;
  /** Whether the file's first line is a header (not a record). */
  header: boolean;
  splitType: 'Line' | 'None';
  batchStrategy: 'MultiRecord' | 'SingleRecord';
  maxPayloadBytes: number;
  maxRecordsPerBatch?: number;
  maxConcurrent: number;
  maxRecordErrors: number;
  assembleWith: 'Line' | 'None';
  processing: RecordProcessing;
}

/** Ends a job as Failed; the message is the failure reason. */
export class TransformFailure extends Error {}

/** The failed-record positions kept in progress; the count goes on past it. */
export const MAX_FAILED_RECORDS_KEPT = 100;

export const emptyProgress = (): TransformProgress => ({ recordsProcessed: 0, recordsOut: 0, recordsFailed: 0, failedRecords: [], requests: 0 });

/** The replica's `row r, ` prefix names the row of the request, not of the file. */
const withoutRow = (message: string) => message.replace(/^row \d+(, |: )?/, '');

/**
 * Runs a transform over one input file and returns the output text. Records go to `model` in
 * mini-batches, up to `maxConcurrent` at once; outputs come back in input order. `progress` is
 * updated in place as answers arrive.
 *
 * A batch the model refuses as bad input (400) is narrowed down: when the error names the row,
 * that record is marked bad and the records around it are sent again; otherwise each record is
 * sent alone. More than `maxRecordErrors` bad records fail the job with the first position.
 *
 * @throws TransformFailure with the failure reason; the signal's reason when aborted.
 */
export async function runTransform(plan: TransformPlan, model: ModelRunner, progress: TransformProgress, signal: AbortSignal): Promise<string> {
  const { processing: p } = plan;
  if (plan.splitType === 'None') return runWhole(plan, model, progress);
  const { records, lines } = splitLines(plan.text, { skipFirst: plan.header });
  progress.recordsTotal = records.length;

  const fail = (i: number, message: string) => {
    progress.recordsFailed++;
    progress.recordsProcessed++;
    const rec: FailedRecord = { file: plan.file, line: lines[i], message };
    if (progress.failedRecords.length < MAX_FAILED_RECORDS_KEPT) progress.failedRecords.push(rec);
    if (progress.recordsFailed > plan.maxRecordErrors) {
      const limit = plan.maxRecordErrors > 0 ? ` (more than maxRecordErrors=${plan.maxRecordErrors} bad records)` : '';
      throw new TransformFailure(`ClientError: bad record at ${rec.file} line ${rec.line}: ${message}${limit}`);
    }
  };

  const prepared: string[] = new Array(records.length);
  const toSend: number[] = [];
  for (let i = 0; i < records.length; i++) {
    try {
      prepared[i] = prepareInput(records[i], p);
      toSend.push(i);
    } catch (e) {
      if (!(e instanceof BadRecordError)) throw e;
      fail(i, e.message);
    }
  }
  const { batches, tooLarge } = miniBatches(byteSizes(prepared), toSend, {
    strategy: plan.batchStrategy,
    maxPayloadBytes: plan.maxPayloadBytes,
    ...(plan.maxRecordsPerBatch ? { maxRecords: plan.maxRecordsPerBatch } : {}),
  });
  for (const i of tooLarge) fail(i, `the record is larger than maxPayloadInMB (${plan.maxPayloadBytes / 2 ** 20} MB)`);

  const outputs: Array<string | undefined> = new Array(records.length);
  const chunks = new Map<number, string>();

  const send = async (batch: Batch): Promise<void> => {
    const body = `${batch.map((i) => prepared[i]).join('\n')}\n`;
    let answer: string;
    try {
      progress.requests++;
      answer = await model.invoke(body, p.contentType, p.accept);
    } catch (e) {
      if (!isBadInput(e)) {
        const where = batch.length === 1 ? `line ${lines[batch[0]]}` : `lines ${lines[batch[0]]}-${lines[batch[batch.length - 1]]}`;
        throw new TransformFailure(`the model failed on ${plan.file} ${where}: ${(e as Error).message}`);
      }
      if (batch.length === 1) return fail(batch[0], withoutRow((e as Error).message));
      const row = rowOf(e);
      if (row !== undefined && row <= batch.length) {
        fail(batch[row - 1], withoutRow((e as Error).message));
        if (row > 1) await send(batch.slice(0, row - 1));
        if (row < batch.length) await send(batch.slice(row));
        return;
      }
      for (const i of batch) await send([i]);
      return;
    }
    if (plan.assembleWith === 'None') {
      chunks.set(batch[0], answer);
      progress.recordsProcessed += batch.length;
      progress.recordsOut += batch.length;
      return;
    }
    let predictions: string[];
    try {
      predictions = splitModelOutput(answer, batch.length);
    } catch (e) {
      throw new TransformFailure((e as Error).message);
    }
    for (let k = 0; k < batch.length; k++) {
      const i = batch[k];
      try {
        outputs[i] = finishRecord(records[i], predictions[k], p);
        progress.recordsOut++;
        progress.recordsProcessed++;
      } catch (e) {
        if (!(e instanceof BadRecordError)) throw e;
        fail(i, e.message);
      }
    }
  };

  await forEachConcurrently(batches, plan.maxConcurrent, signal, send);
  progress.failedRecords.sort((a, b) => a.line - b.line);
  if (plan.assembleWith === 'Line') return assembleLines(outputs);
  return [...chunks.entries()].sort((a, b) => a[0] - b[0]).map(([, text]) => text).join('');
}

/** SplitType None: the whole file is one request, and the answer is the output. */
async function runWhole(plan: TransformPlan, model: ModelRunner, progress: TransformProgress): Promise<string> {
  const size = Buffer.byteLength(plan.text, 'utf8');
  if (size > plan.maxPayloadBytes) {
    throw new TransformFailure(`ClientError: ${plan.file} is ${size} bytes, more than maxPayloadInMB allows with splitType None; use splitType Line`);
  }
  progress.recordsTotal = 1;
  progress.requests++;
  try {
    const answer = await model.invoke(plan.text, plan.processing.contentType, plan.processing.accept);
    progress.recordsProcessed = 1;
    progress.recordsOut = 1;
    return answer;
  } catch (e) {
    const prefix = isBadInput(e) ? 'ClientError: ' : '';
    throw new TransformFailure(`${prefix}the model refused ${plan.file}: ${(e as Error).message}`);
  }
}

/**
 * Runs `fn` over `items` with at most `limit` calls in flight, in order of start. The first
 * error stops new calls and is thrown once the calls in flight have ended; so is an abort.
 */
export async function forEachConcurrently<T>(items: readonly T[], limit: number, signal: AbortSignal, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && !signal.aborted && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  const error = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (error) throw error.reason;
  if (signal.aborted) throw signal.reason;
}
