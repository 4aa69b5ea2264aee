import { describe, expect, it } from 'vitest';
import { byteSizes, miniBatches, splitLines } from './splitter.js';

describe('splitLines', () => {
  it('makes one record per non-empty line and keeps each line number', () => {
    const { records, lines } = splitLines('a,1\n\nb,2\r\n  \nc,3\n');
    expect(records).toEqual(['a,1', 'b,2', 'c,3']);
    expect([...lines]).toEqual([1, 3, 5]);
  });

  it('handles a last line without a newline, a BOM, and a header to skip', () => {
    expect(splitLines('\ufeffx\ny').records).toEqual(['x', 'y']);
    const withHeader = splitLines('f1,f2\n1,2\n3,4', { skipFirst: true });
    expect(withHeader.records).toEqual(['1,2', '3,4']);
    expect([...withHeader.lines]).toEqual([2, 3]);
    expect(splitLines('').records).toEqual([]);
  });
});

describe('miniBatches', () => {
  const records = ['aaaa', 'bb', 'cccccc', 'd', 'ééé'];
  const sizes = byteSizes(records);

  it('counts UTF-8 bytes', () => {
    expect([...sizes]).toEqual([4, 2, 6, 1, 6]);
  });

  it('fills MultiRecord batches up to the payload limit, a newline per record, in order', () => {
    const { batches, tooLarge } = miniBatches(sizes, [0, 1, 2, 3, 4], { strategy: 'MultiRecord', maxPayloadBytes: 9 });
    expect(batches).toEqual([[0, 1], [2, 3], [4]]);
    expect(tooLarge).toEqual([]);
    expect(miniBatches(sizes, [0, 1, 2, 3, 4], { strategy: 'MultiRecord', maxPayloadBytes: 1000 }).batches).toEqual([[0, 1, 2, 3, 4]]);
    expect(miniBatches(sizes, [0, 1, 2, 3, 4], { strategy: 'MultiRecord', maxPayloadBytes: 1000, maxRecords: 2 }).batches).toEqual([[0, 1], [2, 3], [4]]);
  });

  it('sends one record per request with SingleRecord, and sets aside records too large alone', () => {
    expect(miniBatches(sizes, [0, 1, 3], { strategy: 'SingleRecord', maxPayloadBytes: 100 }).batches).toEqual([[0], [1], [3]]);
    const { batches, tooLarge } = miniBatches(sizes, [0, 1, 2, 3], { strategy: 'MultiRecord', maxPayloadBytes: 6 });
    expect(tooLarge).toEqual([2]);
    expect(batches).toEqual([[0], [1, 3]]);
  });
});
