import { describe, expect, it } from 'vitest';
import { applyFilter, csvCells, csvLine, isIdentity, parseFilter } from './filters.js';

const apply = (filter: string, value: unknown) => applyFilter(parseFilter(filter), value);

describe('parseFilter', () => {
  it('reads the JSONPath forms SageMaker documents', () => {
    expect(parseFilter('$').segments).toEqual([]);
    expect(parseFilter('$[1:]').segments).toEqual([{ kind: 'slice', start: 1 }]);
    expect(parseFilter('$[1:4]').segments).toEqual([{ kind: 'slice', start: 1, end: 4 }]);
    expect(parseFilter('$[:-1]').segments).toEqual([{ kind: 'slice', end: -1 }]);
    expect(parseFilter('$[0,2,5]').segments).toEqual([{ kind: 'indexes', indexes: [0, 2, 5], single: false }]);
    expect(parseFilter('$[3]').segments).toEqual([{ kind: 'indexes', indexes: [3], single: true }]);
    expect(parseFilter('$.features').segments).toEqual([{ kind: 'keys', keys: ['features'] }]);
    expect(parseFilter("$['id','SageMakerOutput']").segments).toEqual([{ kind: 'keys', keys: ['id', 'SageMakerOutput'] }]);
    expect(parseFilter('$.data.features[1:]').segments).toHaveLength(3);
    expect(isIdentity(parseFilter('$'))).toBe(true);
    expect(isIdentity(undefined)).toBe(true);
  });

  it('refuses anything else with a ValidationError naming the field', () => {
    for (const bad of ['', 'features', '$[', '$[a]', '$[1:2:3]', '$..x', "$['a',b]", '$ [1]']) {
      expect(() => parseFilter(bad, 'dataProcessing.inputFilter'), bad).toThrow(expect.objectContaining({
        code: 'ValidationError',
        details: expect.objectContaining({ field: 'dataProcessing.inputFilter' }),
      }));
    }
  });
});

describe('applyFilter', () => {
  const row = ['id7', '1.5', '2', '3', '4', '5'];

  it('slices, picks and indexes arrays, negative indexes from the end', () => {
    expect(apply('$', row)).toBe(row);
    expect(apply('$[1:]', row)).toEqual(['1.5', '2', '3', '4', '5']);
    expect(apply('$[1:4]', row)).toEqual(['1.5', '2', '3']);
    expect(apply('$[0,2,5]', row)).toEqual(['id7', '2', '5']);
    expect(apply('$[5,0]', row)).toEqual(['5', 'id7']);
    expect(apply('$[0,-1]', row)).toEqual(['id7', '5']);
    expect(apply('$[-2:]', row)).toEqual(['4', '5']);
    expect(apply('$[0]', row)).toBe('id7');
  });

  it('selects object keys, one (the value) or several (an object)', () => {
    const rec = { id: 3, features: [1, 2, 3], SageMakerOutput: { score: 0.5 } };
    expect(apply('$.features', rec)).toEqual([1, 2, 3]);
    expect(apply('$.features[1:]', rec)).toEqual([2, 3]);
    expect(apply("$['id','SageMakerOutput']", rec)).toEqual({ id: 3, SageMakerOutput: { score: 0.5 } });
    expect(apply('$.SageMakerOutput.score', rec)).toBe(0.5);
  });

  it('says what is wrong when the record does not have the shape the filter needs', () => {
    expect(() => apply('$.features', [1, 2])).toThrow('expected an object, got an array');
    expect(() => apply('$[1:]', { a: 1 })).toThrow('expected an array, got object');
    expect(() => apply('$.missing', { a: 1 })).toThrow("no key 'missing'");
    expect(() => apply('$[9]', row)).toThrow("index 9 is outside the record's 6 values");
  });
});

describe('csv cells', () => {
  it('splits on commas outside quotes and joins back to the same text', () => {
    expect(csvCells('a,b,,c')).toEqual(['a', 'b', '', 'c']);
    const quoted = '1,"x, y",2,"say ""hi"""';
    expect(csvCells(quoted)).toEqual(['1', '"x, y"', '2', '"say ""hi"""']);
    expect(csvLine(csvCells(quoted))).toBe(quoted);
    expect(csvLine('0.5')).toBe('0.5');
  });
});
