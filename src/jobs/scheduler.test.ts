import { describe, expect, it } from 'vitest';
import { Scheduler } from './scheduler.js';

describe('Scheduler', () => {
  it('admits by CPUs and memory, queues the rest in order', async () => {
    const s = new Scheduler({ cpus: 4, memoryMiB: 16_000 });
    const a = await s.admit({ cpus: 2, memoryMiB: 8000 });
    const b = await s.admit({ cpus: 2, memoryMiB: 4000 });
    const order: string[] = [];
    const c = s.admit({ cpus: 2, memoryMiB: 1000 }).then((r) => (order.push('c'), r));
    const d = s.admit({ cpus: 1, memoryMiB: 1000 }).then((r) => (order.push('d'), r));
    expect(s.state().waiting).toBe(2);
    a();
    (await c)();
    b();
    (await d)();
    expect(order).toEqual(['c', 'd']);
    expect(s.state().free).toEqual({ cpus: 4, memoryMiB: 16_000 });
  });

  it('scales a demand bigger than the machine down to the machine', async () => {
    const s = new Scheduler({ cpus: 2, memoryMiB: 1000 });
    const release = await s.admit({ cpus: 16, memoryMiB: 64_000 });
    expect(s.state().free).toEqual({ cpus: 0, memoryMiB: 0 });
    release();
    release();
    expect(s.state().free).toEqual({ cpus: 2, memoryMiB: 1000 });
  });

  it('drops a waiting job whose signal aborts', async () => {
    const s = new Scheduler({ cpus: 1, memoryMiB: 1000 });
    const hold = await s.admit({ cpus: 1, memoryMiB: 10 });
    const ac = new AbortController();
    const waiting = s.admit({ cpus: 1, memoryMiB: 10 }, ac.signal);
    ac.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
    expect(s.state().waiting).toBe(0);
    hold();
  });
});
