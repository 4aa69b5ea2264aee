import { describe, expect, it } from 'vitest';
import { ProtoWriter } from './protobuf-writer.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('ProtoWriter', () => {
  it('encodes varints, including multi-byte, large and negative int64 values', () => {
    expect(hex(new ProtoWriter().int(1, 150).finish())).toBe('089601');
    expect(hex(new ProtoWriter().int(2, 0).finish())).toBe('1000');
    expect(hex(new ProtoWriter().int(1, 2 ** 35).finish())).toBe('08808080808001');
    expect(hex(new ProtoWriter().int(1, -1).finish())).toBe('08ffffffffffffffffff01');
  });

  it('encodes floats, strings, nested messages and packed repeated fields', () => {
    expect(hex(new ProtoWriter().float(2, 1.5).finish())).toBe('150000c03f');
    expect(hex(new ProtoWriter().string(1, 'hé').finish())).toBe('0a0368c3a9');
    expect(hex(new ProtoWriter().message(3, (m) => m.int(1, 150)).finish())).toBe('1a03089601');
    expect(hex(new ProtoWriter().packedInts(4, [3, 270, 86942]).finish())).toBe('2206038e029ea705');
    expect(hex(new ProtoWriter().packedFloats(5, [1, -2]).finish())).toBe('2a080000803f000000c0');
  });

  it('grows past its initial buffer', () => {
    const w = new ProtoWriter();
    const big = new Uint8Array(5000).fill(7);
    w.bytes(1, big).int(2, 1);
    const out = w.finish();
    expect(out.length).toBe(1 + 2 + 5000 + 2);
    expect(out[3 + 4999]).toBe(7);
  });
});
