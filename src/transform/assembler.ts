import { applyFilter, csvCells, csvLine, isIdentity, type RecordFilter } from './filters.js';

/** Record formats of transform input and output. */
export type RecordFormat = 'text/csv' | 'application/jsonlines';

/** How records go into the model and come back out (SageMaker's DataProcessing). */
export interface RecordProcessing {
  contentType: RecordFormat;
  accept: RecordFormat;
  inputFilter?: RecordFilter;
  outputFilter?: RecordFilter;
  joinSource: 'Input' | 'None';
}

/** A record that cannot be processed; its message is reported with the record's position. */
export class BadRecordError extends Error {}

function parseJsonRecord(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BadRecordError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

function filtered(f: RecordFilter, value: unknown): unknown {
  try {
    return applyFilter(f, value);
  } catch (e) {
    throw new BadRecordError((e as Error).message);
  }
}

/**
 * The text sent to the model for one input record: the record after InputFilter.
 * @throws BadRecordError when the record does not parse or lacks what the filter selects.
 */
export function prepareInput(record: string, p: RecordProcessing): string {
  const f = p.inputFilter;
  if (isIdentity(f)) return record;
  if (p.contentType === 'text/csv') return csvLine(filtered(f!, csvCells(record)));
  return JSON.stringify(filtered(f!, parseJsonRecord(record, 'the input record')));
}

/**
 * Splits a line-format model response into one output per record.
 * @throws Error when the model answered a different number of lines than it was sent records.
 */
export function splitModelOutput(body: string, count: number): string[] {
  const lines = body.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) if (lines[i].endsWith('\r')) lines[i] = lines[i].slice(0, -1);
  if (lines.length !== count) {
    throw new Error(`the model answered ${lines.length} lines for ${count} records; batch transform with assembleWith Line needs one output line per record`);
  }
  return lines;
}

/**
 * One output line: the prediction, joined with its input record when JoinSource is Input (CSV:
 * the input's columns then the prediction's; JSON: `{"SageMakerOutput": prediction, ...input}`,
 * or the prediction appended to an input array), then OutputFilter.
 * @throws BadRecordError when a JSON record or prediction does not parse or lacks what the
 *   filter selects.
 */
export function finishRecord(input: string, prediction: string, p: RecordProcessing): string {
  const join = p.joinSource === 'Input';
  const f = p.outputFilter;
  if (!join && isIdentity(f)) return prediction;
  if (p.accept === 'text/csv') {
    const cells = join ? [...csvCells(input), ...csvCells(prediction)] : csvCells(prediction);
    return csvLine(isIdentity(f) ? cells : filtered(f!, cells));
  }
  const pred = parseJsonRecord(prediction, "the model's output");
  let value: unknown = pred;
  if (join) {
    const source = parseJsonRecord(input, 'the input record');
    if (Array.isArray(source)) value = [...source, pred];
    else if (typeof source === 'object' && source !== null) value = { SageMakerOutput: pred, ...source };
    else throw new BadRecordError('JoinSource Input needs JSON objects or arrays as input records');
  }
  return JSON.stringify(isIdentity(f) ? value : filtered(f!, value));
}

/** AssembleWith Line: each record's output on its own line; a skipped record gets an empty line. */
export function assembleLines(outputs: ReadonlyArray<string | undefined>): string {
  let out = '';
  for (const o of outputs) out += `${o ?? ''}\n`;
  return out;
}
