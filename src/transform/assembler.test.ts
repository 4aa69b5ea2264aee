import { describe, expect, it } from 'vitest';
import { assembleLines, BadRecordError, finishRecord, prepareInput, splitModelOutput, type RecordProcessing } from './assembler.js';
import { parseFilter } from './filters.js';

const csv = (over: Partial<RecordProcessing> = {}): RecordProcessing => ({ contentType: 'text/csv', accept: 'text/csv', joinSource: 'None', ...over });
const jsonl = (over: Partial<RecordProcessing> = {}): RecordProcessing => ({ contentType: 'application/jsonlines', accept: 'application/jsonlines', joinSource: 'None', ...over });

describe('prepareInput', () => {
  it('sends records as they are without an input filter', () => {
    expect(prepareInput('id1,1,2,3', csv())).toBe('id1,1,2,3');
  });

  it('drops an id column from CSV and picks the features of a JSON record', () => {
    expect(prepareInput('id1,1,2,3', csv({ inputFilter: parseFilter('$[1:]') }))).toBe('1,2,3');
    expect(prepareInput('{"id":1,"features":[1,2]}', jsonl({ inputFilter: parseFilter('$.features') }))).toBe('[1,2]');
  });

  it('marks records the filter cannot apply to as bad', () => {
    expect(() => prepareInput('{"id":1', jsonl({ inputFilter: parseFilter('$.features') }))).toThrow(BadRecordError);
    expect(() => prepareInput('{"id":1}', jsonl({ inputFilter: parseFilter('$.features') }))).toThrow("no key 'features'");
  });
});

describe('finishRecord', () => {
  it('joins CSV input columns then prediction columns, then applies the output filter', () => {
    const p = csv({ joinSource: 'Input', inputFilter: parseFilter('$[1:]') });
    expect(finishRecord('id1,1,2,3', '1,0.93', p)).toBe('id1,1,2,3,1,0.93');
    expect(finishRecord('id1,1,2,3', '1,0.93', { ...p, outputFilter: parseFilter('$[0,-1]') })).toBe('id1,0.93');
    expect(finishRecord('id1,1,2,3', '0.93', csv({ outputFilter: parseFilter('$[0]') }))).toBe('0.93');
  });

  it('adds SageMakerOutput to JSON input objects and appends to JSON arrays', () => {
    const p = jsonl({ joinSource: 'Input' });
    expect(JSON.parse(finishRecord('{"id":7,"features":[1,2]}', '{"score":0.5}', p))).toEqual({ SageMakerOutput: { score: 0.5 }, id: 7, features: [1, 2] });
    expect(Object.keys(JSON.parse(finishRecord('{"id":7}', '{"score":0.5}', p)))[0]).toBe('SageMakerOutput');
    expect(finishRecord('[1,2]', '{"score":0.5}', p)).toBe('[1,2,{"score":0.5}]');
    const filtered = { ...p, outputFilter: parseFilter("$['id','SageMakerOutput']") };
    expect(finishRecord('{"id":7,"features":[1,2]}', '{"score":0.5}', filtered)).toBe('{"id":7,"SageMakerOutput":{"score":0.5}}');
  });

  it('passes predictions through untouched without join or filter', () => {
    expect(finishRecord('anything', '{"score": 0.50}', jsonl())).toBe('{"score": 0.50}');
  });
});

describe('splitModelOutput and assembleLines', () => {
  it('gives one output per record and refuses a response with another count', () => {
    expect(splitModelOutput('1,0.9\r\n0,0.1\n', 2)).toEqual(['1,0.9', '0,0.1']);
    expect(() => splitModelOutput('1\n2\n3\n', 2)).toThrow('answered 3 lines for 2 records');
  });

  it('writes a line per record, empty for a skipped one', () => {
    expect(assembleLines(['a', undefined, 'c'])).toBe('a\n\nc\n');
  });
});
