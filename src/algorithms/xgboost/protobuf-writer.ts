/**
 * A minimal Protocol Buffers encoder: enough to write ONNX models (varints, 32-bit floats,
 * length-delimited strings, bytes, nested messages and packed repeated scalars).
 */

const WIRE_VARINT = 0;
const WIRE_I32 = 5;
const WIRE_LEN = 2;
const encoder = new TextEncoder();

export class ProtoWriter {
  #buf = new Uint8Array(256);
  #len = 0;

  /** An integer field (int32, int64, uint64, enum, bool); negative values take 10 bytes, as int64 does. */
  int(field: number, value: number): this {
    this.#tag(field, WIRE_VARINT);
    this.#varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.#tag(field, WIRE_I32);
    this.#reserve(4);
    new DataView(this.#buf.buffer).setFloat32(this.#len, value, true);
    this.#len += 4;
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, encoder.encode(value));
  }

  bytes(field: number, value: Uint8Array): this {
    this.#tag(field, WIRE_LEN);
    this.#varint(value.length);
    this.#reserve(value.length);
    this.#buf.set(value, this.#len);
    this.#len += value.length;
    return this;
  }

  /** A nested message, built by `build` on a fresh writer. */
  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  /** A packed repeated integer field (int64, int32, enum). */
  packedInts(field: number, values: ArrayLike<number>): this {
    const inner = new ProtoWriter();
    for (let i = 0; i < values.length; i++) inner.#varint(values[i]);
    return this.bytes(field, inner.finish());
  }

  /** A packed repeated float field. */
  packedFloats(field: number, values: ArrayLike<number>): this {
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
    return this.bytes(field, bytes);
  }

  /** The bytes written so far (a view, not a copy). */
  finish(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }

  #tag(field: number, wire: number): void {
    this.#varint(field * 8 + wire);
  }

  #varint(value: number): void {
    if (!Number.isSafeInteger(value)) throw new RangeError(`protobuf: ${value} is not a safe integer`);
    this.#reserve(10);
    if (value < 0) {
      this.#negativeVarint(value);
      return;
    }
    let v = value;
    while (v >= 0x80) {
      this.#buf[this.#len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.#buf[this.#len++] = v;
  }

  /** Two's complement over 64 bits, as protobuf encodes negative int64 values. */
  #negativeVarint(value: number): void {
    let v = BigInt.asUintN(64, BigInt(value));
    for (let i = 0; i < 9; i++) {
      this.#buf[this.#len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.#buf[this.#len++] = Number(v);
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }
}
