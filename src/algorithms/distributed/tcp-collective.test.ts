import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, loopbackHosts, loopbackOptions } from '../../../test/helpers/collective-hosts.js';
import { singleHost, statsSince, type Collective } from './collective.js';
import { connectCollective } from './tcp-collective.js';

let open: Collective[] = [];
afterEach(async () => {
  await Promise.all(open.map((c) => c.close()));
  open = [];
});

async function hosts(n: number, timeoutMs?: number): Promise<Collective[]> {
  const cs = await loopbackHosts(n, timeoutMs);
  open.push(...cs);
  return cs;
}

describe('TCP collective', () => {
  it('sums in rank order, so every host holds the same bits', async () => {
    const cs = await hosts(3);
    const inputs = [
      [0.1, 1e16, 3, -0],
      [0.2, 1, -2.5, 0],
      [0.3, -1e16, 1e-300, -0],
    ];
    const bufs = inputs.map((v) => Float64Array.from(v));
    await Promise.all(cs.map((c, r) => c.allreduceSum(bufs[r])));
    const expected = inputs[0].map((_, i) => inputs[0][i] + inputs[1][i] + inputs[2][i]);
    for (const b of bufs) expect(Array.from(b)).toEqual(expected);
    expect(bufs[0][0]).toBe(0.1 + 0.2 + 0.3); // (0.1 + 0.2) + 0.3, not 0.1 + (0.2 + 0.3)
    expect(Object.is(bufs[1][3], 0)).toBe(true);
  });

  it('reduces Float32, Int32 and BigInt64 arrays with sum, max and min', async () => {
    const cs = await hosts(3);
    const f32 = cs.map((_, r) => Float32Array.from([r + 0.5, 1 - r]));
    await Promise.all(cs.map((c, r) => c.allreduce(f32[r], 'max')));
    for (const a of f32) expect(Array.from(a)).toEqual([2.5, 1]);
    const i32 = cs.map((_, r) => Int32Array.from([r, 10 * r]));
    await Promise.all(cs.map((c, r) => c.allreduce(i32[r], 'min')));
    for (const a of i32) expect(Array.from(a)).toEqual([0, 0]);
    const big = cs.map((_, r) => BigInt64Array.from([2n ** 60n, BigInt(r)]));
    await Promise.all(cs.map((c, r) => c.allreduceSum(big[r])));
    for (const a of big) expect(Array.from(a)).toEqual([3n * 2n ** 60n, 3n]);
  });

  it('broadcasts from any root, gathers and allgathers in rank order', async () => {
    const cs = await hosts(3);
    const enc = (s: string) => new TextEncoder().encode(s);
    const dec = (b: Uint8Array | undefined) => new TextDecoder().decode(b);
    const fromTwo = await Promise.all(cs.map((c, r) => c.broadcast(r === 2 ? enc('cuts of algo-3') : undefined, 2)));
    expect(fromTwo.map(dec)).toEqual(['cuts of algo-3', 'cuts of algo-3', 'cuts of algo-3']);
    const fromZero = await Promise.all(cs.map((c, r) => c.broadcast(r === 0 ? enc('x'.repeat(300_000)) : undefined)));
    for (const b of fromZero) expect(b.length).toBe(300_000);
    const all = await Promise.all(cs.map((c, r) => c.allgather(enc(`h${r}`.repeat(r + 1)))));
    for (const parts of all) expect(parts.map(dec)).toEqual(['h0', 'h1h1', 'h2h2h2']);
    const atOne = await Promise.all(cs.map((c, r) => c.gather(enc(String(r)), 1)));
    expect(atOne[0]).toBeUndefined();
    expect(atOne[2]).toBeUndefined();
    expect(atOne[1]!.map(dec)).toEqual(['0', '1', '2']);
  });

  it('counts operations, bytes and time spent', async () => {
    const cs = await hosts(2);
    const before = cs.map((c) => c.stats());
    expect(before[1].bytesSent).toBeGreaterThan(0); // the greeting
    await Promise.all(cs.map((c) => c.allreduceSum(new Float64Array(1000))));
    const [root, other] = cs.map((c, r) => statsSince(c.stats(), before[r]));
    expect(root.operations).toBe(1);
    expect(other.bytesSent).toBe(8000 + 12);
    expect(other.bytesReceived).toBe(8000 + 12);
    expect(root.bytesReceived).toBe(8000 + 12);
    expect(root.waitSeconds).toBeGreaterThan(0);
  });

  it('names the host that did not join, on every host that did', async () => {
    const port = await freePort();
    const started = Date.now();
    const results = await Promise.allSettled(['algo-1', 'algo-2'].map((h) => connectCollective(loopbackOptions(3, h, port, 1000))));
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason.message).toBe(`collective: algo-3 did not connect to algo-1 (port ${port}) within 1 s`);
    }
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a joining host names the address it could not reach', async () => {
    const port = await freePort();
    await expect(connectCollective(loopbackOptions(2, 'algo-2', port, 600))).rejects.toThrow(
      new RegExp(`collective: algo-2 could not join algo-1 at 127\\.0\\.0\\.1:${port} within 1 s \\(ECONNREFUSED\\)`),
    );
  });

  it('refuses a host of another job on the port', async () => {
    const port = await freePort();
    const root = connectCollective(loopbackOptions(2, 'algo-1', port, 1500));
    const stray = connectCollective({ ...loopbackOptions(2, 'algo-2', port, 1500), group: 'another-job' });
    await expect(stray).rejects.toThrow(/algo-1 refused the connection: another job's host \(another-job\)/);
    await expect(root).rejects.toThrow(/algo-2 did not connect/);
  });

  it('fails both hosts with a protocol mismatch when they call different operations', async () => {
    const cs = await hosts(2);
    const results = await Promise.allSettled([cs[0].allreduceSum(new Float64Array(2)), cs[1].broadcast(undefined)]);
    for (const r of results) expect((r as PromiseRejectedResult).reason.message).toMatch(/protocol mismatch: algo-2 sent operation 1 \(broadcast\) while algo-1 is at operation 1 \(allreduce sum of Float64Array\)/);
  });

  it('fails on shapes that disagree', async () => {
    const cs = await hosts(2);
    const results = await Promise.allSettled([cs[0].allreduceSum(new Float64Array(2)), cs[1].allreduceSum(new Float64Array(3))]);
    expect((results[0] as PromiseRejectedResult).reason.message).toMatch(/algo-2 sent 24 bytes for operation 1 .* algo-1 16: the hosts disagree on its shape/);
    expect(results[1].status).toBe('rejected');
  });

  it('a host that aborts fails the others with its reason', async () => {
    const cs = await hosts(3);
    const waiting = [cs[0].allreduceSum(new Float64Array(4)), cs[1].allreduceSum(new Float64Array(4))];
    cs[2].abort("channel 'train' has no data files");
    for (const p of waiting) await expect(p).rejects.toThrow("collective: algo-3 failed: channel 'train' has no data files");
    // Later operations fail at once with the same reason.
    await expect(cs[1].allgather(new Uint8Array(1))).rejects.toThrow(/algo-3 failed/);
  });

  it('a host whose process dies fails the others within seconds, naming it', async () => {
    const port = await freePort();
    const others = ['algo-1', 'algo-2'].map((h) => connectCollective(loopbackOptions(3, h, port)));
    // algo-3 in its own process: joins, takes part in one operation, then is SIGKILLed during the second.
    const module = fileURLToPath(new URL('./tcp-collective.ts', import.meta.url));
    const script = `
      const { connectCollective } = await import(${JSON.stringify(module)});
      const c = await connectCollective(${JSON.stringify(loopbackOptions(3, 'algo-3', port))});
      await c.allreduceSum(new Float64Array(8));
      process.kill(process.pid, 'SIGKILL');`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'inherit' });
    const cs = await Promise.all(others);
    open.push(...cs);
    await Promise.all(cs.map((c) => c.allreduceSum(new Float64Array(8))));
    const started = Date.now();
    const results = await Promise.allSettled(cs.map((c) => c.allreduceSum(new Float64Array(8))));
    expect(Date.now() - started).toBeLessThan(5000);
    expect((results[0] as PromiseRejectedResult).reason.message).toMatch(/^collective: lost algo-3 during operation 2 \(allreduce sum of Float64Array\) \(connection (closed|lost \(ECONNRESET\))\): its process ended/);
    // algo-2 hears it from algo-1.
    expect((results[1] as PromiseRejectedResult).reason.message).toBe((results[0] as PromiseRejectedResult).reason.message);
    await new Promise((r) => child.once('exit', r));
  });

  it('a single host is a no-op collective', async () => {
    const c = singleHost();
    const b = Float64Array.from([1, 2]);
    await c.allreduceSum(b);
    expect(Array.from(b)).toEqual([1, 2]);
    expect((await c.allgather(Uint8Array.from([7]))).map((x) => x[0])).toEqual([7]);
    expect(c.stats().operations).toBe(2);
  });
});
