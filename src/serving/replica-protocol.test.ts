import { describe, expect, it } from 'vitest';
import { bodyAt, packBodies } from './replica-protocol.js';

describe('packBodies / bodyAt', () => {
  it('packs strings (as UTF-8) and Buffers back to back and reads each one back', () => {
    const bodies = ['1,2,3', Buffer.from([0, 255, 7]), '', 'héllo, wörld ✓', Buffer.alloc(0), 'x'.repeat(10_000)];
    const ends: number[] = [];
    const bytes = packBodies(bodies, ends);
    expect(bytes.byteLength).toBe(5 + 3 + 0 + Buffer.byteLength('héllo, wörld ✓') + 0 + 10_000);
    expect(ends).toHaveLength(bodies.length);
    expect(bodyAt(bytes, ends, 0).toString()).toBe('1,2,3');
    expect([...bodyAt(bytes, ends, 1)]).toEqual([0, 255, 7]);
    expect(bodyAt(bytes, ends, 2).byteLength).toBe(0);
    expect(bodyAt(bytes, ends, 3).toString('utf8')).toBe('héllo, wörld ✓');
    expect(bodyAt(bytes, ends, 4).byteLength).toBe(0);
    expect(bodyAt(bytes, ends, 5).toString()).toBe('x'.repeat(10_000));
  });

  it('copies a Buffer that is a view on a larger pool, not the pool', () => {
    const pool = Buffer.from('aaaaBODYbbbb');
    const ends: number[] = [];
    const bytes = packBodies([pool.subarray(4, 8)], ends);
    expect(bytes.byteLength).toBe(4);
    expect(bodyAt(bytes, ends, 0).toString()).toBe('BODY');
  });

  it('reads views on the transferred buffer, without copying', () => {
    const ends: number[] = [];
    const bytes = packBodies(['ab', 'cd'], ends);
    const second = bodyAt(bytes, ends, 1);
    expect(second.buffer).toBe(bytes);
    expect(second.byteOffset).toBe(2);
  });
});
