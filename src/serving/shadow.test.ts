import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PlatformError } from '../core/errors.js';
import { EndpointMetrics } from './endpoint-metrics.js';
import type { InvokeRequest, InvokeResult } from './runtimes/runtime.js';
import { parsePredictions, ShadowFleet, type ShadowVariantSpec } from './shadow.js';
import type { VariantPool } from './variant-pool.js';

const log = pino({ level: 'silent' });
const spec = (name: string, samplingPercentage: number): ShadowVariantSpec => ({ name, model: `${name}-model`, instanceType: 'ml.m5.large', instanceCount: 1, samplingPercentage });
/** A stand-in for a variant's replicas: answers with `answer(req)`. */
const fakePool = (answer: (req: InvokeRequest) => InvokeResult) => ({ invoke: async (req: InvokeRequest) => answer(req), stop: async () => undefined }) as unknown as VariantPool;

describe('parsePredictions', () => {
  it('reads JSON predictions, JSON lines and CSV numbers', () => {
    expect(parsePredictions('{"predictions":[{"score":0.9,"predicted_label":1},{"score":0.2,"predicted_label":0}]}', 'application/json')).toEqual([
      { label: 1, values: [0.9] },
      { label: 0, values: [0.2] },
    ]);
    expect(parsePredictions('{"score":[0.1,0.7,0.2]}\n', 'application/jsonlines')).toEqual([{ values: [0.1, 0.7, 0.2] }]);
    expect(parsePredictions(Buffer.from('0.5\n1.5,2\n'), 'text/csv; charset=utf-8')).toEqual([{ values: [0.5] }, { values: [1.5, 2] }]);
    expect(parsePredictions('not,numbers', 'text/csv')).toBeUndefined();
    expect(parsePredictions('{', 'application/json')).toBeUndefined();
    expect(parsePredictions('AAAA', 'application/x-npy')).toBeUndefined();
  });
});

describe('ShadowFleet', () => {
  it('mirrors the sampled share, compares answers, and keeps shadow errors to itself', async () => {
    const metrics = new EndpointMetrics();
    let r = 0;
    const random = () => ((r++ % 10) + 0.5) / 10; // 0.05, 0.15, … : exactly 2 in 10 under 20 %
    const close = fakePool(() => ({ body: '{"predictions":[{"score":0.8}]}', contentType: 'application/json' }));
    const broken = fakePool(() => {
      throw new PlatformError('ModelError', 'boom');
    });
    const fleet = new ShadowFleet([{ spec: spec('close', 20), pool: close }, { spec: spec('broken', 20), pool: broken }], { endpoint: 'e', metrics, log, capture: () => undefined, random });
    const production = { body: '{"predictions":[{"score":0.75,"predicted_label":1}]}', contentType: 'application/json' };
    for (let i = 0; i < 50; i++) fleet.mirror({ body: '1,2', contentType: 'text/csv', accept: 'application/json' }, production, undefined);
    await fleet.idle();
    const [a, b] = fleet.comparison();
    expect(a).toMatchObject({ variant: 'close', mirrored: 10, requestsCompared: 10, agreementRate: 1, shadowErrors: 0 });
    expect(a.meanAbsoluteDifference).toBeCloseTo(0.05, 9);
    expect(a.maxAbsoluteDifference).toBeCloseTo(0.05, 9);
    expect(b).toMatchObject({ variant: 'broken', mirrored: 10, shadowErrors: 10, requestsCompared: 0, agreementRate: null });
    expect(b.shadow).toMatchObject({ invocations: 10, errorRate: 1 });
    expect(metrics.window('e', 'broken', 60).errors4xx).toBe(10); // ModelError is a 424
    expect(metrics.window('e', undefined, 60).invocations).toBe(0); // shadows are not production traffic
  });

  it('counts disagreeing labels and answers of another length', async () => {
    const metrics = new EndpointMetrics();
    const answers = ['{"predictions":[{"score":0.3}]}', '{"predictions":[{"score":0.3},{"score":0.4}]}'];
    let n = 0;
    const pool = fakePool(() => ({ body: answers[n++ % 2], contentType: 'application/json' }));
    const fleet = new ShadowFleet([{ spec: spec('s', 100), pool }], { endpoint: 'e', metrics, log, capture: () => undefined });
    const production = { body: '{"predictions":[{"score":0.9,"predicted_label":1}]}', contentType: 'application/json' };
    for (let i = 0; i < 4; i++) fleet.mirror({ body: '1', contentType: 'text/csv', accept: undefined }, production, undefined);
    await fleet.idle();
    expect(fleet.comparison()[0]).toMatchObject({ mirrored: 4, requestsCompared: 2, incomparable: 2, agreementRate: 0 });
  });
});
