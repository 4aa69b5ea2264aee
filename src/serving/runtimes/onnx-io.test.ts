import { describe, expect, it } from 'vitest';
import { describeTensor, feedsOf, formatOutputs, joinFeeds, joinKey, recordsOf, splitOutputs, takesBatches, type Fetched, type TensorSpec } from './onnx-io.js';

const ONE: TensorSpec[] = [{ name: 'input', type: 'float32', shape: ['N', 3] }];

describe('feedsOf', () => {
  it('builds a [N, d] tensor of the input type from CSV, JSON and JSON lines rows', () => {
    for (const [body, type] of [
      ['1,2,3\n4,5,6\n', 'text/csv'],
      ['{"instances":[[1,2,3],[4,5,6]]}', 'application/json'],
      ['{"features":[1,2,3]}\n{"features":[4,5,6]}', 'application/jsonlines'],
    ]) {
      const { feeds, rows } = feedsOf(body, type, ONE);
      expect(rows).toBe(2);
      expect(feeds.input.dims).toEqual([2, 3]);
      expect(feeds.input.data).toBeInstanceOf(Float32Array);
      expect(Array.from(feeds.input.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    }
  });

  it('says which shape the model expects when a row does not fit', () => {
    const spec: TensorSpec[] = [{ name: 'input', type: 'float32', shape: ['N', 30] }];
    const row = Array.from({ length: 30 }, (_, i) => i).join(',');
    expect(() => feedsOf(`${row}\n${row.split(',').slice(1).join(',')}`, 'text/csv', spec)).toThrow(
      /model expects 30 values per row \(input 'input' float32 \[N,30\]\); row 2 has 29 values, expected 30/,
    );
  });

  it('flattens fixed inner dimensions of an [N, a, b] input', () => {
    const { feeds } = feedsOf('1,2,3,4', 'text/csv', [{ name: 'x', type: 'float64', shape: [-1, 2, 2] }]);
    expect(feeds.x.dims).toEqual([1, 2, 2]);
    expect(feeds.x.data).toBeInstanceOf(Float64Array);
  });

  it('takes named inputs as {"inputs": {...}} and checks their shapes and integer types', () => {
    const specs: TensorSpec[] = [
      { name: 'a', type: 'float32', shape: ['N', 2] },
      { name: 'b', type: 'int64', shape: ['N'] },
    ];
    const { feeds, rows } = feedsOf('{"inputs":{"a":[[1,2],[3,4]],"b":[7,8]}}', 'application/json', specs);
    expect(rows).toBe(2);
    expect(feeds.b.data).toEqual(BigInt64Array.from([7n, 8n]));
    expect(() => feedsOf('{"inputs":{"a":[[1,2,3]],"b":[7]}}', 'application/json', specs)).toThrow(/input 'a' has shape \[1,3\]; the model expects input 'a' float32 \[N,2\]/);
    expect(() => feedsOf('{"inputs":{"a":[[1,2]],"b":[1.5]}}', 'application/json', specs)).toThrow(/takes integers, got 1.5/);
    expect(() => feedsOf('{"inputs":{"a":[[1,2]]}}', 'application/json', specs)).toThrow(/missing input 'b'/);
    expect(() => feedsOf('{"inputs":{"a":[[1,2],[3]],"b":[1,2]}}', 'application/json', specs)).toThrow(/not rectangular/);
    expect(() => feedsOf('1,2', 'text/csv', specs)).toThrow(/the model has 2 inputs \(input 'a' float32 \[N,2\], input 'b' int64 \[N\]\); send application\/json/);
  });
});

describe('recordsOf and formatOutputs', () => {
  const outputs: Array<[string, Fetched]> = [
    ['label', { type: 'int64', data: BigInt64Array.from([0n, 1n]), dims: [2] }],
    ['probabilities', { type: 'float32', data: Float32Array.from([0.75, 0.25, 0.5, 0.5]), dims: [2, 2] }],
  ];

  it('gives each row every output by name', () => {
    expect(recordsOf(outputs, 2)).toEqual([{ label: 0, probabilities: [0.75, 0.25] }, { label: 1, probabilities: [0.5, 0.5] }]);
    expect(() => recordsOf(outputs, 3)).toThrow(/output 'label' has shape \[2\], not one entry per row/);
  });

  it('answers JSON by default, CSV one line per row, and JSON lines', () => {
    const records = recordsOf(outputs, 2);
    expect(JSON.parse(formatOutputs(records, undefined).body)).toEqual({ predictions: records });
    expect(formatOutputs(records, 'text/csv')).toEqual({ body: '0,0.75,0.25\n1,0.5,0.5\n', contentType: 'text/csv' });
    expect(formatOutputs(records, 'application/jsonlines').body.split('\n')[0]).toBe('{"label":0,"probabilities":[0.75,0.25]}');
    expect(() => formatOutputs(records, 'image/png')).toThrow(/cannot respond/);
  });

  it('describes tensors with symbolic dimensions', () => {
    expect(describeTensor('input', { name: 'x', type: 'float32', shape: ['batch', 30] })).toBe("input 'x' float32 [batch,30]");
  });
});

describe('joining requests into one run', () => {
  it('joins only models whose every input has a dynamic first dimension', () => {
    expect(takesBatches(ONE)).toBe(true);
    expect(takesBatches([{ name: 'input', type: 'float32', shape: [-1, 3] }])).toBe(true);
    expect(takesBatches([{ name: 'input', type: 'float32', shape: [1, 3] }])).toBe(false);
    expect(takesBatches([...ONE, { name: 'scale', type: 'float32', shape: [] }])).toBe(false);
  });

  it('joins requests of the same shape row after row, and splits the outputs back per request', () => {
    const two: TensorSpec[] = [{ name: 'a', type: 'int64', shape: ['N', 2] }, { name: 'b', type: 'float32', shape: ['N', 'K'] }];
    const r1 = feedsOf('{"inputs": {"a": [[1, 2]], "b": [[0.5]]}}', 'application/json', two);
    const r2 = feedsOf('{"inputs": {"a": [[3, 4], [5, 6]], "b": [[1.5], [2.5]]}}', 'application/json', two);
    const wide = feedsOf('{"inputs": {"a": [[7, 8]], "b": [[1, 2]]}}', 'application/json', two);
    const uneven = feedsOf('{"inputs": {"a": [[7, 8]], "b": [[1], [2]]}}', 'application/json', two);
    expect(joinKey(r1.feeds, r1.rows, two)).toBe(joinKey(r2.feeds, r2.rows, two));
    expect(joinKey(wide.feeds, wide.rows, two)).not.toBe(joinKey(r1.feeds, r1.rows, two));
    expect(joinKey(uneven.feeds, uneven.rows, two)).toBeUndefined();

    const joined = joinFeeds([r1.feeds, r2.feeds], two);
    expect(joined.a.dims).toEqual([3, 2]);
    expect(joined.a.data).toEqual(BigInt64Array.from([1n, 2n, 3n, 4n, 5n, 6n]));
    expect(joined.b.dims).toEqual([3, 1]);
    expect(Array.from(joined.b.data as Float32Array)).toEqual([0.5, 1.5, 2.5]);

    const out: Fetched = { type: 'float32', data: Float32Array.from([10, 11, 20, 21, 30, 31]), dims: [3, 2] };
    const labels: Fetched = { type: 'string', data: ['x', 'y', 'z'], dims: [3] };
    const [first, second] = splitOutputs([['p', out], ['l', labels]], [1, 2]);
    expect(recordsOf(first, 1)).toEqual([{ p: [10, 11], l: 'x' }]);
    expect(recordsOf(second, 2)).toEqual([{ p: [20, 21], l: 'y' }, { p: [30, 31], l: 'z' }]);
    expect(() => splitOutputs([['p', { ...out, dims: [1, 6] }]], [1, 2])).toThrow("the model's output 'p' has shape [1,6], not one entry per row of the run (3 rows)");
  });
});
