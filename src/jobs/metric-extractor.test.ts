import { describe, expect, it } from 'vitest';
import { MetricExtractor } from './metric-extractor.js';

describe('MetricExtractor', () => {
  it('takes the first group of the last match, counting steps per metric', () => {
    const m = new MetricExtractor([{ name: 'loss', regex: 'loss=(\\S+)' }, { name: 'acc', regex: 'acc=([0-9.]+)' }]);
    expect(m.extract('epoch 1 loss=0.5 loss=0.4 acc=0.9')).toEqual([
      { name: 'loss', value: 0.4, step: 0 },
      { name: 'acc', value: 0.9, step: 0 },
    ]);
    expect(m.extract('loss=0.3')).toEqual([{ name: 'loss', value: 0.3, step: 1 }]);
  });

  it('ignores non-numeric captures and matches tabs written as #011', () => {
    const m = new MetricExtractor([{ name: 'rmse', regex: '#011validation-rmse:(\\S+)' }, { name: 'x', regex: 'x=(\\S+)' }]);
    expect(m.extract('[3]\ttrain-rmse:1.5\tvalidation-rmse:1.25')).toEqual([{ name: 'rmse', value: 1.25, step: 0 }]);
    expect(m.extract('x=nan-ish')).toEqual([]);
  });

  it('rejects a regex without a capture group', () => {
    expect(() => new MetricExtractor([{ name: 'bad', regex: 'loss=\\S+' }])).toThrow(/capture group/);
    expect(() => new MetricExtractor([{ name: 'bad', regex: 'loss=(' }])).toThrow(/invalid regex/);
  });
});
