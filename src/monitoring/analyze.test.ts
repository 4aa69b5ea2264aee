import { describe, expect, it } from 'vitest';
import { analyzeRows, DEFAULT_THRESHOLDS } from './analyze.js';
import { computeBaseline } from './baseline.js';
import { parseCaptureObject, splitCsvLine } from './capture-rows.js';

const record = (data: string, observedContentType: string, encoding: string) =>
  JSON.stringify({ captureData: { endpointInput: { observedContentType, mode: 'INPUT', data, encoding } }, eventMetadata: { eventId: 'e' }, eventVersion: '0' });

describe('captured rows', () => {
  it('reads CSV, JSON, JSON lines and base64 inputs, and counts unreadable records', () => {
    const text = [
      record('1,a\n2,"b,c"', 'text/csv', 'CSV'),
      record(JSON.stringify({ instances: [{ features: [3, 'd'] }, [4, 'e']] }), 'application/json', 'JSON'),
      record(JSON.stringify({ x: 5, color: 'f' }), 'application/json', 'JSON'),
      record('[6,"g"]\n[7,"h"]', 'application/jsonlines', 'JSON'),
      record(Buffer.from('8,i').toString('base64'), 'text/csv', 'BASE64'),
      record('\u0000\u0001', 'application/x-image', 'BASE64'),
      'not json',
    ].join('\n');
    const parsed = parseCaptureObject(text);
    expect(parsed.rows).toEqual([['1', 'a'], ['2', 'b,c'], [3, 'd'], [4, 'e'], { x: 5, color: 'f' }, [6, 'g'], [7, 'h'], ['8', 'i']]);
    expect(parsed.skipped).toBe(2);
    expect(splitCsvLine('a,"say ""hi""",')).toEqual(['a', 'say "hi"', '']);
  });
});

describe('analyzeRows', () => {
  const n = 200;
  const xs = Array.from({ length: n }, (_, i) => i / 10);
  const colors = Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 'red' : i % 4 === 1 ? 'green' : 'blue'));
  const base = computeBaseline({
    baseline: 'b', dataset: { name: 'd', version: 1 }, rows: n,
    features: [
      { name: 'x', stats: { name: 'x', type: 'float', count: n, nullCount: 0, distinctCount: n, min: 0, max: 19.9, mean: 9.95, std: 5.8 }, sample: { name: 'x', type: 'float', values: xs } },
      { name: 'color', stats: { name: 'color', type: 'string', count: n, nullCount: 0, distinctCount: 3 }, sample: { name: 'color', type: 'string', values: colors, categories: [{ value: 'blue', count: 100 }, { value: 'red', count: 50 }, { value: 'green', count: 50 }] } },
    ],
  });

  it('suggests constraints from the baseline', () => {
    expect(base.constraints.features).toEqual([
      { name: 'x', inferred_type: 'Fractional', completeness: 1, num_constraints: { is_non_negative: true, min: 0, max: 19.9 } },
      { name: 'color', inferred_type: 'String', completeness: 1, string_constraints: { domains: ['blue', 'red', 'green'] } },
    ]);
  });

  it('finds nothing wrong in rows like the baseline', () => {
    const rows = xs.map((x, i) => [String(x), colors[i]]);
    const a = analyzeRows(rows, base, DEFAULT_THRESHOLDS);
    expect(a.violations).toEqual([]);
    expect(a.features[0].ks).toEqual({ statistic: 0, pValue: 1, method: 'exact' });
    expect(a.features[1].chiSquare?.pValue).toBeGreaterThan(0.5);
  });

  it('flags missing values, type violations, new categories and categorical drift', () => {
    const rows = [
      ...Array.from({ length: 60 }, (_, i) => ({ x: i % 3 === 0 ? '' : String(i % 20), color: i % 2 ? 'purple' : 'red' })),
      ['oops', 'red'], ['1e400', 'red'], ['1'],
    ];
    const a = analyzeRows(rows, base, DEFAULT_THRESHOLDS);
    const kinds = a.violations.map((v) => `${v.feature}:${v.kind}`);
    expect(kinds).toEqual(expect.arrayContaining(['x:completeness', 'x:data_type', 'color:new_category', 'color:drift_chi_square', 'color:drift_psi']));
    expect(a.malformedRows).toBe(1);
    expect(a.features[0]).toMatchObject({ count: 62, missing: 20, typeViolations: 2 });
    expect(a.features[1].newCategories).toEqual(['purple']);
    expect(analyzeRows(rows, base, DEFAULT_THRESHOLDS, ['color']).features.map((f) => f.name)).toEqual(['color']);
  });
});

describe('model quality', () => {
  it('reads the first prediction of JSON, JSON lines and CSV answers, and joins by inference id', async () => {
    const { capturedPredictions, firstPrediction, qualityMetrics, qualityViolations } = await import('./model-quality.js');
    expect(firstPrediction('{"predictions":[{"score":0.9,"predicted_label":1}]}', 'application/json')).toEqual({ score: 0.9, label: 1 });
    expect(firstPrediction('[3.5]', 'application/json')).toEqual({ score: 3.5, label: 3.5 });
    expect(firstPrediction('0.25\n', 'text/csv')).toEqual({ score: 0.25, label: 0.25 });
    expect(firstPrediction('{"score":0.1}', 'application/jsonlines')).toEqual({ score: 0.1 });
    expect(firstPrediction('not json', 'application/json')).toBeUndefined();
    const line = (id: string | undefined, data: string) => JSON.stringify({
      captureData: { endpointOutput: { observedContentType: 'application/json', mode: 'OUTPUT', data, encoding: 'JSON' } }, eventMetadata: { eventId: 'e', ...(id ? { inferenceId: id } : {}) },
    });
    const into = new Map();
    capturedPredictions([line('a', '{"predictions":[{"score":0.8}]}'), line(undefined, '[1]'), line('b', '{"predictions":[{"score":0.3}]}')].join('\n'), into);
    expect([...into.entries()]).toEqual([['a', { score: 0.8 }], ['b', { score: 0.3 }]]);
    const m = qualityMetrics({ problemType: 'binary' }, [1, 0, 1, 0], [{ score: 0.9 }, { score: 0.2 }, { score: 0.4 }, { score: 0.6 }]);
    expect(m).toMatchObject({ count: 4, accuracy: 0.5, rocAuc: 0.75 });
    expect(qualityViolations({ problemType: 'binary', minimums: { accuracy: 0.9 }, maximums: { accuracy: 0.4 } }, m).map((v) => v.description)).toEqual(['accuracy 0.5000 below the minimum 0.9', 'accuracy 0.5000 above the maximum 0.4']);
    expect(qualityMetrics({ problemType: 'regression' }, [1, 2, 3], [{ score: 1 }, { score: 2 }, { score: 5 }]).mae).toBeCloseTo(2 / 3, 12);
  });
});
