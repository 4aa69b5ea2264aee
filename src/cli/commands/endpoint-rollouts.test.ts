import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeServer, type RecordedRequest } from '../../sdk/fake-server.js';
import type { CliIo } from '../context.js';
import { main } from '../main.js';
import { deploymentFrom, rollbackAlarm } from './endpoint-rollouts.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function run(args: string[], reply: (req: RecordedRequest) => unknown) {
  const server = await startFakeServer((req) => ({ body: reply(req) }));
  close = server.close;
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    stdin: Object.assign(Readable.from([]), { isTTY: true }),
    env: {},
    cwd: tmpdir(),
  };
  const code = await main(['node', 'stratus', '--url', server.url, '--token', 'tk', ...args], io);
  return { code, stdout: out.join(''), stderr: err.join(''), requests: server.requests };
}

const endpoint = { name: 'ep', status: 'Updating', config: 'c2', variants: [], statusHistory: [] };

describe('deployment flags', () => {
  it('parses alarms as name:metric>threshold/window', () => {
    expect(rollbackAlarm('errors:errorRate>0.05/10s')).toEqual({ name: 'errors', metric: 'errorRate', threshold: 0.05, windowSeconds: 10 });
    expect(rollbackAlarm('slow:p99LatencyMs>250/2m')).toEqual({ name: 'slow', metric: 'p99LatencyMs', threshold: 250, windowSeconds: 120 });
    expect(() => rollbackAlarm('errors:errorRate>0.05')).toThrow(/expected name:metric>threshold\/window/);
    expect(() => rollbackAlarm('errors:cpu>5/1s')).toThrow(/unknown metric 'cpu'/);
  });

  it('builds no policy without flags, and canary, linear or all-at-once with them', () => {
    expect(deploymentFrom({})).toBeUndefined();
    expect(deploymentFrom({ linear: 25, waitInterval: 30, maxTime: 600 })).toEqual({
      trafficRouting: { type: 'LINEAR', waitIntervalSeconds: 30, linearStepSize: { type: 'CAPACITY_PERCENT', value: 25 } },
      maximumExecutionTimeoutSeconds: 600,
    });
    expect(deploymentFrom({ waitInterval: 5 })).toEqual({ trafficRouting: { type: 'ALL_AT_ONCE', waitIntervalSeconds: 5 } });
    expect(() => deploymentFrom({ canary: 10, linear: 10 })).toThrow('give --canary or --linear, not both');
  });

  it('sends stratus endpoints update --canary --wait-interval --alarm as a deployment policy', async () => {
    const res = await run(['endpoints', 'update', 'ep', '--config', 'c2', '--canary', '10', '--wait-interval', '30', '--alarm', 'errors:errorRate>0.05/10s'], () => endpoint);
    expect(res.code).toBe(0);
    expect(res.requests[0].method).toBe('PUT');
    expect(JSON.parse(res.requests[0].body.toString())).toEqual({
      config: 'c2',
      deployment: {
        trafficRouting: { type: 'CANARY', waitIntervalSeconds: 30, canarySize: { type: 'CAPACITY_PERCENT', value: 10 } },
        rollback: { alarms: [{ name: 'errors', metric: 'errorRate', threshold: 0.05, windowSeconds: 10 }] },
      },
    });
  });
});

describe('stratus endpoints autoscale and events', () => {
  it('puts the policy of a variant', async () => {
    const policy = { endpoint: 'ep', variant: 'v', minInstances: 1, maxInstances: 4, targetInvocationsPerInstancePerMinute: 600, scaleOutCooldownSeconds: 60, scaleInCooldownSeconds: 300, metricWindowSeconds: 60, updatedAt: '' };
    const res = await run(['endpoints', 'autoscale', 'ep', '--variant', 'v', '--min', '1', '--max', '4', '--target', '600', '--scale-out-cooldown', '60'], () => policy);
    expect(res.code).toBe(0);
    expect(res.requests[0]).toMatchObject({ method: 'PUT', path: '/api/v1/endpoints/ep/variants/v/scaling' });
    expect(JSON.parse(res.requests[0].body.toString())).toEqual({ minInstances: 1, maxInstances: 4, targetInvocationsPerInstancePerMinute: 600, scaleOutCooldownSeconds: 60 });
    expect(res.stdout).toMatch(/1\.\.4/);
  });

  it('lists scaling events', async () => {
    const events = { items: [{ endpoint: 'ep', variant: 'v', at: '2025-01-01T00:00:00.000Z', action: 'scale-out', fromInstances: 1, toInstances: 3, reason: '300 invocations/min over 60 s; target 100/instance needs 3' }] };
    const res = await run(['endpoints', 'events', 'ep'], () => events);
    expect(res.code).toBe(0);
    expect(res.requests[0].path).toBe('/api/v1/endpoints/ep/scaling-events');
    expect(res.stdout).toMatch(/scale-out +1 → 3 +300 invocations\/min/);
  });
});
