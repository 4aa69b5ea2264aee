import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeServer, type RecordedRequest } from '../../sdk/fake-server.js';
import type { CliIo } from '../context.js';
import { main } from '../main.js';
import { sparkline } from './endpoint-metrics.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function run(args: string[], reply: (req: RecordedRequest) => unknown) {
  const server = await startFakeServer((req) => ({ body: reply(req) }));
  close = server.close;
  const out: string[] = [];
  const io: CliIo = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: () => undefined },
    stdin: Object.assign(Readable.from([]), { isTTY: true }),
    env: {},
    cwd: tmpdir(),
  };
  const code = await main(['node', 'stratus', '--url', server.url, '--token', 'tk', ...args], io);
  return { code, stdout: out.join(''), requests: server.requests };
}

const window = (invocations: number, p99: number | null) => ({
  invocations, errors4xx: 1, errors5xx: 0, errorRate: invocations ? 1 / invocations : 0,
  modelLatencyMs: { p50: p99 && p99 / 2, p90: p99, p99 }, overheadLatencyMs: { p50: 0.2, p90: 0.3, p99: 0.4 },
});

describe('stratus endpoints metrics', () => {
  it('draws sparklines scaled to the largest value', () => {
    expect(sparkline([0, 5, 10, null])).toBe('▁▅█ ');
    expect(sparkline([0, 0])).toBe('▁▁');
  });

  it('asks for the period and window and prints a table per variant', async () => {
    const metrics = {
      endpoint: 'ep', period: 10, window: 60,
      variants: [
        { variant: 'AllTraffic', shadow: false, summary: window(20, 4), points: [0, 5, 10, 5, 0, 0].map((n, i) => ({ timestamp: new Date(i * 10_000).toISOString(), ...window(n, n ? 4 : null) })) },
        { variant: 'shadow', shadow: true, summary: window(4, 8), points: [] },
      ],
      capture: { captured: 20, dropped: 0, written: 20, files: 2 },
    };
    const r = await run(['endpoints', 'metrics', 'ep', '--period', '10', '--window', '60'], () => metrics);
    expect(r.code).toBe(0);
    expect(r.requests[0].path).toBe('/api/v1/endpoints/ep/metrics');
    expect(Object.fromEntries(r.requests[0].query)).toEqual({ period: '10', window: '60' });
    expect(r.stdout).toMatch(/AllTraffic\s+20\s+1\s+0\s+5\.0%\s+2\.0\/4\.0\/4\.0/);
    expect(r.stdout).toContain('shadow (shadow)');
    expect(r.stdout).toContain('▁▅█▅▁▁');
    expect(r.stdout).toMatch(/data capture\n.*\n20\s+0\s+20\s+2/);
  });

  it('prints the shadow comparison', async () => {
    const side = { invocations: 10, errorRate: 0, modelLatencyMs: { p50: 1, p99: 2 } };
    const report = {
      endpoint: 'ep', tolerance: 0.01,
      shadows: [{ variant: 's', model: 'm', samplingPercentage: 20, mirrored: 10, skipped: 0, inFlight: 0, shadowErrors: 0, requestsCompared: 10, predictionsCompared: 10, agreementRate: 0.9, meanAbsoluteDifference: 0.05, maxAbsoluteDifference: 0.2, incomparable: 0, shadow: side, production: side }],
    };
    const r = await run(['endpoints', 'shadow-comparison', 'ep'], () => report);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^SHADOW\s+MIRRORED/);
    expect(r.stdout).toMatch(/s\s+10\s+10\s+90\.0%\s+0\.0500\s+0\.200/);
  });
});
