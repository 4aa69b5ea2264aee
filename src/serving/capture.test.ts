import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CaptureWriter, dataCaptureSpec } from './capture.js';

const log = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 1, 14, 17, 25, 49, 123);

/** An artifact store whose writes take `delayMs` and are kept in memory. */
function slowStore(delayMs: number) {
  const objects = new Map<string, string>();
  return {
    objects,
    async put(key: string, body: Uint8Array | unknown) {
      await new Promise((r) => setTimeout(r, delayMs));
      objects.set(key, Buffer.from(body as Uint8Array).toString('utf8'));
      return { key, uri: `file:///x/${key}`, sizeBytes: 0, modifiedAt: new Date() };
    },
  };
}

const lines = (objects: Map<string, string>) => [...objects.values()].flatMap((t) => t.trim().split('\n')).map((l) => JSON.parse(l) as Record<string, any>);

describe('CaptureWriter', () => {
  it("writes SageMaker's capture layout: one object per variant and hour, CSV and JSON as text, others base64", async () => {
    const store = slowStore(0);
    const w = new CaptureWriter({ endpoint: 'ep', spec: dataCaptureSpec({ samplingPercentage: 100 }), store, log, now: () => T0 });
    expect(w.offer('AllTraffic', { body: Buffer.from('1,2\n'), contentType: 'text/csv' }, { body: '0.25\n', contentType: 'text/csv; charset=utf-8' }, 'inf-1')).toBe(true);
    w.offer('AllTraffic', { body: '{"instances":[[1,2]]}', contentType: 'application/json' }, { body: Buffer.from([0, 255]), contentType: 'application/x-npy' });
    w.offer('Shadow', { body: '1,2', contentType: undefined }, { body: '0.3', contentType: 'text/csv' });
    await w.close();
    const keys = [...store.objects.keys()].sort();
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^data-capture\/ep\/AllTraffic\/2026\/02\/14\/17\/25-49-123-[0-9a-f-]{36}\.jsonl$/);
    expect(keys[1]).toMatch(/^data-capture\/ep\/Shadow\/2026\/02\/14\/17\//);
    const [first, second] = store.objects.get(keys[0])!.trim().split('\n').map((l) => JSON.parse(l));
    expect(first).toEqual({
      captureData: {
        endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: '1,2\n', encoding: 'CSV' },
        endpointOutput: { observedContentType: 'text/csv; charset=utf-8', mode: 'OUTPUT', data: '0.25\n', encoding: 'CSV' },
      },
      eventMetadata: { eventId: expect.stringMatching(/^[0-9a-f-]{36}$/), inferenceTime: '2026-02-14T17:25:49Z', inferenceId: 'inf-1' },
      eventVersion: '0',
    });
    expect(second.captureData.endpointInput).toMatchObject({ data: '{"instances":[[1,2]]}', encoding: 'JSON' });
    expect(second.captureData.endpointOutput).toEqual({ observedContentType: 'application/x-npy', mode: 'OUTPUT', data: 'AP8=', encoding: 'BASE64' });
    expect(second.eventMetadata.inferenceId).toBeUndefined();
    expect(w.stats).toEqual({ captured: 3, dropped: 0, written: 3, files: 2 });
  });

  it('captures only the chosen options and share of requests', async () => {
    const store = slowStore(0);
    let i = 0;
    const w = new CaptureWriter({ endpoint: 'ep', spec: dataCaptureSpec({ samplingPercentage: 50, captureOptions: ['Input'], destination: 'cap' }), store, log, random: () => (i++ % 2 ? 0.7 : 0.2) });
    for (let n = 0; n < 10; n++) w.offer('v', { body: '1', contentType: 'text/csv' }, { body: '2', contentType: 'text/csv' });
    await w.close();
    const records = lines(store.objects);
    expect(records).toHaveLength(5);
    expect(Object.keys(records[0].captureData)).toEqual(['endpointInput']);
    expect([...store.objects.keys()][0]).toMatch(/^cap\/ep\/v\//);
  });

  it('never makes the request path wait for a slow store, and drops and counts past its buffer', async () => {
    const store = slowStore(300);
    const w = new CaptureWriter({ endpoint: 'ep', spec: dataCaptureSpec({ samplingPercentage: 100 }), store, log, maxRecordsPerFile: 10, maxBufferedRecords: 50 });
    const t0 = performance.now();
    for (let n = 0; n < 100; n++) w.offer('v', { body: '1,2,3', contentType: 'text/csv' }, { body: '0.5', contentType: 'text/csv' });
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeLessThan(50); // 100 offers against a store taking 300 ms a write
    expect(w.stats.captured).toBe(50);
    expect(w.stats.dropped).toBe(50);
    await w.close();
    expect(w.stats.written).toBe(50);
    expect(lines(store.objects)).toHaveLength(50);
  });

  it('counts the records of a failed write as dropped', async () => {
    const store = { put: async () => Promise.reject(new Error('disk full')) };
    const w = new CaptureWriter({ endpoint: 'ep', spec: dataCaptureSpec({ samplingPercentage: 100 }), store, log });
    w.offer('v', { body: '1', contentType: 'text/csv' }, { body: '2', contentType: 'text/csv' });
    await w.close();
    expect(w.stats).toMatchObject({ captured: 1, dropped: 1, written: 0 });
    expect(w.offer('v', { body: '1', contentType: 'text/csv' }, { body: '2', contentType: 'text/csv' })).toBe(false);
  });
});
