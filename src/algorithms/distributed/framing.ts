/**
 * Length-prefixed frames over one TCP connection between two hosts of a collective. Header
 * (12 bytes, little-endian): payload length u32, frame type u8, tag u8 (operation kind, element
 * type and reduce op of a DATA frame), 2 reserved bytes, operation number u32.
 */
import type { Socket } from 'node:net';

export const HEADER_BYTES = 12;
/** A joining host introduces itself: JSON `{ group, host, rank, size }`. */
export const FRAME_HELLO = 1;
/** Rank 0 tells a host that every host has joined. */
export const FRAME_READY = 2;
export const FRAME_DATA = 3;
/** A host failed: UTF-8 reason. Ends the collective on every host. */
export const FRAME_ABORT = 4;
/** A host closes the collective normally; the connection's end that follows is not a failure. */
export const FRAME_BYE = 5;

export interface Frame {
  type: number;
  tag: number;
  seq: number;
  payload: Buffer;
}

export interface FramedSocketEvents {
  /** The peer sent ABORT with this reason. */
  onAbort(reason: string): void;
  /** The connection ended without BYE (the peer's process ended, or the network failed). */
  onLost(detail: string): void;
}

/** One connection, read as a queue of frames (one reader at a time: operations are sequential). */
export class FramedSocket {
  bytesIn = 0;
  bytesOut = 0;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #frames: Frame[] = [];
  #waiter: { resolve(f: Frame): void; reject(e: Error): void } | undefined;
  #ended: Error | undefined;
  #bye = false;
  #lastError = '';

  constructor(
    readonly socket: Socket,
    /** The peer's host name, once known (for messages). */
    public peer: string,
    private readonly events: FramedSocketEvents,
  ) {
    socket.setNoDelay(true);
    // A host that vanishes without closing (power, network) is noticed within seconds.
    socket.setKeepAlive(true, 5000);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      this.#lastError = e.code ?? e.message;
    });
    socket.on('close', () => {
      if (this.#bye) this.#end(new Error(`${this.peer} has closed the collective`));
      else {
        const detail = this.#lastError ? `connection lost (${this.#lastError})` : 'connection closed';
        this.#end(new Error(`${this.peer}: ${detail}`));
        this.events.onLost(detail);
      }
    });
  }

  /** True once the peer said BYE. */
  get closedByPeer(): boolean {
    return this.#bye;
  }

  send(type: number, tag: number, seq: number, payload?: Uint8Array): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    const header = Buffer.alloc(HEADER_BYTES);
    const len = payload?.byteLength ?? 0;
    header.writeUInt32LE(len, 0);
    header.writeUInt8(type, 4);
    header.writeUInt8(tag, 5);
    header.writeUInt32LE(seq >>> 0, 8);
    this.socket.write(header);
    // The payload is copied: a caller may reuse its buffer as soon as send returns.
    if (payload && len > 0) this.socket.write(Buffer.from(payload));
    this.bytesOut += HEADER_BYTES + len;
  }

  /** The next frame other than ABORT and BYE; rejects once the connection has ended. */
  next(): Promise<Frame> {
    const f = this.#frames.shift();
    if (f) return Promise.resolve(f);
    if (this.#ended) return Promise.reject(this.#ended);
    if (this.#waiter) return Promise.reject(new Error('collective: two reads at once on one connection'));
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /** Sends BYE (unless `bye` is false) and ends the connection once flushed, within `timeoutMs`. */
  async close(bye = true, timeoutMs = 2000): Promise<void> {
    const s = this.socket;
    if (s.destroyed) return;
    if (bye) this.send(FRAME_BYE, 0, 0);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        s.destroy();
        resolve();
      }, timeoutMs);
      s.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      s.end();
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    for (;;) {
      if (this.#buffered < HEADER_BYTES) return;
      const head = this.#chunks[0].length >= HEADER_BYTES ? this.#chunks[0] : this.#flatten();
      const need = HEADER_BYTES + head.readUInt32LE(0);
      if (this.#buffered < need) return;
      const all = this.#flatten();
      const frame: Frame = { type: all.readUInt8(4), tag: all.readUInt8(5), seq: all.readUInt32LE(8), payload: all.subarray(HEADER_BYTES, need) };
      const rest = all.subarray(need);
      this.#chunks = rest.length > 0 ? [rest] : [];
      this.#buffered = rest.length;
      this.#dispatch(frame);
    }
  }

  #flatten(): Buffer {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks, this.#buffered)];
    return this.#chunks[0];
  }

  #dispatch(f: Frame): void {
    if (f.type === FRAME_ABORT) {
      const reason = f.payload.toString('utf8');
      this.#bye = true; // the peer ends the connection next: that is no second failure
      this.#end(new Error(reason));
      this.events.onAbort(reason);
      return;
    }
    if (f.type === FRAME_BYE) {
      this.#bye = true;
      return;
    }
    const w = this.#waiter;
    if (w) {
      this.#waiter = undefined;
      w.resolve(f);
    } else this.#frames.push(f);
  }

  #end(e: Error): void {
    if (this.#ended) return;
    this.#ended = e;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.reject(e);
  }
}
