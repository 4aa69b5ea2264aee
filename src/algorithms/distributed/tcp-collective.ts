/**
 * The collective over TCP, as a star through rank 0 (`algo-1`): rank 0 listens on `port`, every
 * other host connects to it (retrying until the deadline, since hosts start at slightly
 * different times). An operation is one frame from each host to rank 0 and one frame back, so
 * its cost is 2 × (size − 1) messages through rank 0 — right for the few hosts of a training
 * job; a ring would spread the bytes for many hosts. Rank 0 reduces in rank order and sends the
 * result to everyone, so every host holds bit-identical results.
 *
 * Failures end the collective on every host instead of hanging it: a host that does not join
 * in time is named; a connection that ends without BYE (the peer's process died, or its host)
 * fails the pending or next operation, and rank 0 relays the reason to the other hosts (ABORT);
 * a host that calls another operation, or sends another shape, is a protocol mismatch naming
 * both hosts and the operation number.
 */
import { createServer, connect, type Socket } from 'node:net';
import { reduceInto, type Collective, type CollectiveStats, type ReduceOp, type ReducibleArray } from './collective.js';
import { FRAME_ABORT, FRAME_DATA, FRAME_HELLO, FRAME_READY, FramedSocket, type Frame } from './framing.js';

export interface CollectiveOptions {
  /** The job's hosts in rank order (resourceconfig.json's `hosts`); the first one listens. */
  hosts: readonly string[];
  currentHost: string;
  /** Each host's address (resourceconfig.json's `host_addresses`); only the first host's is dialled. */
  hostAddresses: Readonly<Record<string, string>>;
  /** TCP port the first host listens on. */
  port: number;
  /** How long the hosts wait for each other to join. @defaultValue 300000 */
  timeoutMs?: number;
  /** Tells this job's hosts from strays on the same port (e.g. the job's name); joining hosts must match. */
  group?: string;
}

const RETRY_MS = 200;
/** Extra time a joined host waits for READY, so that rank 0's message naming the missing host arrives first. */
const READY_GRACE_MS = 5000;

const KINDS = ['', 'allreduce', 'broadcast', 'allgather', 'gather'] as const;
type Kind = Exclude<(typeof KINDS)[number], ''>;
const DTYPES = [Float64Array, Float32Array, Int32Array, BigInt64Array] as const;
const OPS: ReduceOp[] = ['sum', 'max', 'min'];

/** A DATA frame's tag: operation kind (3 bits), element type (2 bits), reduce op (2 bits). */
const tagOf = (kind: Kind, dtype = 0, op = 0) => KINDS.indexOf(kind) | (dtype << 3) | (op << 5);

function describeTag(tag: number): string {
  const kind = KINDS[tag & 7] || `operation kind ${tag & 7}`;
  if (kind !== 'allreduce') return kind;
  return `allreduce ${OPS[(tag >> 5) & 3]} of ${DTYPES[(tag >> 3) & 3].name}`;
}

/**
 * Joins the collective of the job's hosts: rank 0 waits until every other host has connected,
 * the others connect to it.
 * @throws Error naming the hosts that did not join within `timeoutMs` (on rank 0), or the address
 *   that could not be reached (elsewhere), or rank 0's reason when it gave up first.
 */
export async function connectCollective(o: CollectiveOptions): Promise<Collective> {
  const hosts = [...o.hosts];
  const rank = hosts.indexOf(o.currentHost);
  if (rank < 0) throw new Error(`collective: current host '${o.currentHost}' is not one of the job's hosts (${hosts.join(', ')})`);
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) throw new Error(`collective: port ${o.port} is not a TCP port`);
  const timeoutMs = o.timeoutMs ?? 300_000;
  const group = o.group ?? '';
  const c = new TcpCollective(rank, hosts);
  if (hosts.length === 1) return c;
  if (rank === 0) await c.accept(o.port, timeoutMs, group);
  else {
    const address = o.hostAddresses[hosts[0]];
    if (!address) throw new Error(`collective: no address for ${hosts[0]} in host_addresses`);
    await c.join(address, o.port, timeoutMs, group);
  }
  return c;
}

class TcpCollective implements Collective {
  readonly size: number;
  /** Rank 0: one connection per other rank (index = rank); elsewhere: [the connection to rank 0]. */
  #links: FramedSocket[] = [];
  #seq = 0;
  #operations = 0;
  #waitSeconds = 0;
  #failure: Error | undefined;
  /** The operation in flight, for messages. */
  #current: string | undefined;
  #closed = false;
  /** Connections that have left the table (strays, broken joins): their bytes still count. */
  #bytesDropped = { in: 0, out: 0 };

  constructor(
    readonly rank: number,
    readonly hosts: string[],
  ) {
    this.size = hosts.length;
  }

  get #me(): string {
    return this.hosts[this.rank];
  }

  // ---- joining ----

  async accept(port: number, timeoutMs: number, group: string): Promise<void> {
    const joined = new Map<number, FramedSocket>();
    const server = createServer();
    const seconds = (timeoutMs / 1000).toFixed(0);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', (e: NodeJS.ErrnoException) =>
          reject(new Error(e.code === 'EADDRINUSE' ? `collective: port ${port} is already in use on ${this.#me}` : `collective: cannot listen on port ${port}: ${e.message}`)),
        );
        server.listen(port, () => resolve());
      });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          const missing = this.hosts.filter((_, r) => r > 0 && !joined.has(r));
          const reason = `collective: ${missing.join(', ')} did not connect to ${this.#me} (port ${port}) within ${seconds} s`;
          for (const l of joined.values()) l.socket.end(abortFrame(reason));
          reject(new Error(reason));
        }, timeoutMs);
        server.on('connection', (socket: Socket) => {
          this.#greet(socket, group, joined).then(
            () => {
              if (joined.size < this.size - 1) return;
              clearTimeout(timer);
              resolve();
            },
            () => undefined,
          );
        });
      });
      this.#links = [];
      for (const [r, l] of joined) this.#links[r] = l;
      for (let r = 1; r < this.size; r++) this.#links[r].send(FRAME_READY, 0, 0);
    } finally {
      // Not awaited: a server's close callback waits for its accepted connections to end.
      server.close();
    }
  }

  /** Reads a new connection's HELLO; registers it, or drops a stray (another group, bad rank). */
  async #greet(socket: Socket, group: string, joined: Map<number, FramedSocket>): Promise<void> {
    let rank = -1;
    const registered = () => this.#links.includes(link);
    const link = new FramedSocket(socket, socket.remoteAddress ?? 'a host', {
      onAbort: (reason) => {
        if (registered()) this.#fail(new Error(reason), link);
      },
      onLost: (detail) => {
        if (registered()) return this.#lost(link, detail);
        // Lost before every host joined: the host may connect again.
        if (joined.get(rank) === link) joined.delete(rank);
        this.#drop(link);
      },
    });
    const hello = await link.next().catch(() => undefined);
    const h = hello?.type === FRAME_HELLO ? parseHello(hello.payload) : undefined;
    const ok = h && h.group === group && h.size === this.size && h.rank > 0 && h.rank < this.size && h.host === this.hosts[h.rank] && !joined.has(h.rank);
    if (!ok || !h) {
      const why = !h ? 'no greeting' : h.group !== group ? `another job's host (${h.group})` : `bad greeting ${JSON.stringify(h)}`;
      socket.end(abortFrame(`collective: ${this.#me} refused the connection: ${why}`));
      this.#drop(link);
      throw new Error(why);
    }
    rank = h.rank;
    link.peer = h.host;
    joined.set(rank, link);
  }

  async join(address: string, port: number, timeoutMs: number, group: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const root = this.hosts[0];
    let last = '';
    while (Date.now() < deadline) {
      let socket: Socket;
      try {
        socket = await dial(address, port, deadline - Date.now());
      } catch (e) {
        last = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        await new Promise((r) => setTimeout(r, RETRY_MS));
        continue;
      }
      // Until READY, a failure shows as the rejected read below; after it, it fails the collective.
      const link: FramedSocket = new FramedSocket(socket, root, {
        onAbort: (reason) => {
          if (this.#links[0] === link) this.#fail(new Error(reason), link);
        },
        onLost: (detail) => {
          if (this.#links[0] === link) this.#lost(link, detail);
        },
      });
      const hello = { group, host: this.#me, rank: this.rank, size: this.size };
      link.send(FRAME_HELLO, 0, 0, Buffer.from(JSON.stringify(hello)));
      const ready = await withTimeout(link.next(), deadline + READY_GRACE_MS - Date.now()).catch((e: Error) => e);
      if (!(ready instanceof Error) && ready?.type === FRAME_READY) {
        this.#links = [link];
        return;
      }
      this.#drop(link);
      link.destroy();
      // Rank 0's own reason (a host did not join, a refused greeting) ends the wait.
      if (ready instanceof Error && ready.message.startsWith('collective:')) throw ready;
      last = ready instanceof Error ? ready.message : 'unexpected frame';
    }
    throw new Error(`collective: ${this.#me} could not join ${root} at ${address}:${port} within ${(timeoutMs / 1000).toFixed(0)} s (${last || 'timed out'})`);
  }

  // ---- operations ----

  allreduceSum(buf: ReducibleArray): Promise<void> {
    return this.allreduce(buf, 'sum');
  }

  allreduce(buf: ReducibleArray, op: ReduceOp = 'sum'): Promise<void> {
    const dtype = DTYPES.findIndex((T) => buf instanceof T);
    if (dtype < 0) return Promise.reject(new Error('collective: allreduce takes a Float64Array, Float32Array, Int32Array or BigInt64Array'));
    const tag = tagOf('allreduce', dtype, OPS.indexOf(op));
    return this.#op(tag, async (seq) => {
      const bytes = bytesOf(buf);
      if (this.rank !== 0) {
        this.#links[0].send(FRAME_DATA, tag, seq, bytes);
        const f = await this.#receive(0, seq, tag, buf.byteLength);
        setBytes(buf, f.payload);
        return;
      }
      const frames = await this.#fromAll(seq, tag, buf.byteLength);
      const acc = buf.slice() as ReducibleArray;
      const x = buf.slice() as ReducibleArray;
      for (let r = 1; r < this.size; r++) {
        setBytes(x, frames[r].payload);
        reduceInto(acc, x, op);
      }
      const out = bytesOf(acc);
      for (let r = 1; r < this.size; r++) this.#links[r].send(FRAME_DATA, tag, seq, out);
      buf.set(acc as never);
    });
  }

  broadcast(bytes: Uint8Array | undefined, root = 0): Promise<Uint8Array> {
    const tag = tagOf('broadcast');
    return this.#op(tag, async (seq) => {
      this.#checkRoot(root);
      if (this.rank === root && !bytes) throw new Error('collective: the broadcasting host must pass its bytes');
      if (this.rank === 0) {
        // Every host sends a frame (empty but for the root's), so a host at another operation is caught.
        const frames = await this.#fromAll(seq, tag);
        const data = root === 0 ? bytes! : frames[root].payload;
        for (let r = 1; r < this.size; r++) if (r !== root) this.#links[r].send(FRAME_DATA, tag, seq, data);
        return new Uint8Array(data);
      }
      this.#links[0].send(FRAME_DATA, tag, seq, this.rank === root ? bytes : undefined);
      if (this.rank === root) return bytes!;
      return new Uint8Array((await this.#receive(0, seq, tag)).payload);
    });
  }

  allgather(bytes: Uint8Array): Promise<Uint8Array[]> {
    const tag = tagOf('allgather');
    return this.#op(tag, async (seq) => {
      if (this.rank !== 0) {
        this.#links[0].send(FRAME_DATA, tag, seq, bytes);
        return unpackParts((await this.#receive(0, seq, tag)).payload, this.size);
      }
      const frames = await this.#fromAll(seq, tag);
      const parts = [bytes, ...frames.slice(1).map((f) => new Uint8Array(f.payload))];
      const packed = packParts(parts);
      for (let r = 1; r < this.size; r++) this.#links[r].send(FRAME_DATA, tag, seq, packed);
      return parts;
    });
  }

  gather(bytes: Uint8Array, root = 0): Promise<Uint8Array[] | undefined> {
    const tag = tagOf('gather');
    return this.#op(tag, async (seq) => {
      this.#checkRoot(root);
      if (this.rank !== 0) {
        this.#links[0].send(FRAME_DATA, tag, seq, bytes);
        if (this.rank !== root) return undefined;
        return unpackParts((await this.#receive(0, seq, tag)).payload, this.size);
      }
      const frames = await this.#fromAll(seq, tag);
      const parts = [bytes, ...frames.slice(1).map((f) => new Uint8Array(f.payload))];
      if (root === 0) return parts;
      this.#links[root].send(FRAME_DATA, tag, seq, packParts(parts));
      return undefined;
    });
  }

  stats(): CollectiveStats {
    let sent = this.#bytesDropped.out, received = this.#bytesDropped.in;
    for (const l of this.#links) {
      if (!l) continue;
      sent += l.bytesOut;
      received += l.bytesIn;
    }
    return { bytesSent: sent, bytesReceived: received, operations: this.#operations, waitSeconds: this.#waitSeconds };
  }

  abort(reason: string): void {
    if (this.#closed || this.#failure) return;
    this.#failure = new Error(`collective: ${this.#me} failed: ${reason}`);
    for (const l of this.#links) if (l) l.send(FRAME_ABORT, 0, 0, Buffer.from(this.#failure.message));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const bye = !this.#failure;
    await Promise.all(this.#links.filter(Boolean).map((l) => l.close(bye)));
  }

  // ---- internals ----

  async #op<T>(tag: number, body: (seq: number) => Promise<T>): Promise<T> {
    if (this.#closed) throw new Error('collective: used after close');
    if (this.#failure) throw this.#failure;
    const seq = ++this.#seq;
    this.#operations++;
    this.#current = `operation ${seq} (${describeTag(tag)})`;
    const t0 = performance.now();
    try {
      return await body(seq);
    } catch (e) {
      // The collective's own failure (first cause) wins over this operation's symptom.
      const err = this.#failure ?? (e as Error);
      if (!this.#failure) this.#fail(err);
      throw err;
    } finally {
      this.#current = undefined;
      this.#waitSeconds += (performance.now() - t0) / 1000;
    }
  }

  /** A DATA frame of operation `seq` from `rank` (rank 0: from that host; elsewhere: from rank 0). */
  async #receive(rank: number, seq: number, tag: number, bytes?: number): Promise<Frame> {
    const link = this.rank === 0 ? this.#links[rank] : this.#links[0];
    let f: Frame;
    try {
      f = await link.next();
    } catch (e) {
      throw this.#failure ?? new Error(`collective: lost ${link.peer} during operation ${seq} (${describeTag(tag)}) on ${this.#me}: ${(e as Error).message}`);
    }
    if (f.type !== FRAME_DATA || f.seq !== seq || f.tag !== tag) {
      throw new Error(
        `collective: protocol mismatch: ${link.peer} sent operation ${f.seq} (${describeTag(f.tag)}) while ${this.#me} is at operation ${seq} (${describeTag(tag)}); the hosts ran different code paths`,
      );
    }
    if (bytes !== undefined && f.payload.length !== bytes) {
      throw new Error(`collective: ${link.peer} sent ${f.payload.length} bytes for operation ${seq} (${describeTag(tag)}), ${this.#me} ${bytes}: the hosts disagree on its shape`);
    }
    return f;
  }

  /** Rank 0: one DATA frame of `seq` from every other rank (index = rank; [0] unused). */
  #fromAll(seq: number, tag: number, bytes?: number): Promise<Frame[]> {
    const out: Promise<Frame>[] = [Promise.resolve(undefined as unknown as Frame)];
    for (let r = 1; r < this.size; r++) out.push(this.#receive(r, seq, tag, bytes));
    return Promise.all(out);
  }

  #checkRoot(root: number): void {
    if (!Number.isInteger(root) || root < 0 || root >= this.size) throw new Error(`collective: root ${root} is not a rank of ${this.size} hosts`);
  }

  /** A connection ended without BYE. */
  #lost(link: FramedSocket, detail: string): void {
    if (this.#closed || this.#failure) return;
    const when = this.#current ? ` during ${this.#current}` : '';
    this.#fail(new Error(`collective: lost ${link.peer}${when} (${detail}): its process ended or its host became unreachable`), link);
  }

  /** Records the first failure and, on rank 0, tells the other hosts (ABORT) why. */
  #fail(e: Error, from?: FramedSocket): void {
    if (this.#failure) return;
    this.#failure = e;
    for (const l of this.#links) {
      if (!l || l === from) continue;
      if (this.rank === 0) {
        l.send(FRAME_ABORT, 0, 0, Buffer.from(e.message));
        l.socket.end(); // after the ABORT is flushed
      } else l.destroy();
    }
    from?.destroy();
  }

  #drop(link: FramedSocket): void {
    this.#bytesDropped.in += link.bytesIn;
    this.#bytesDropped.out += link.bytesOut;
    link.bytesIn = 0;
    link.bytesOut = 0;
  }
}

function parseHello(payload: Buffer): { group: string; host: string; rank: number; size: number } | undefined {
  try {
    const h = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
    if (typeof h.group === 'string' && typeof h.host === 'string' && Number.isInteger(h.rank) && Number.isInteger(h.size)) {
      return h as { group: string; host: string; rank: number; size: number };
    }
  } catch {
    // not JSON: a stray
  }
  return undefined;
}

/** An ABORT frame's bytes, for a connection that is not (yet) a FramedSocket of the table. */
function abortFrame(reason: string): Buffer {
  const body = Buffer.from(reason);
  const head = Buffer.alloc(12);
  head.writeUInt32LE(body.length, 0);
  head.writeUInt8(FRAME_ABORT, 4);
  return Buffer.concat([head, body]);
}

function dial(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
    }, Math.max(1, Math.min(timeoutMs, 10_000)));
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      s.destroy();
      reject(e);
    });
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer in time')), Math.max(1, ms));
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

const bytesOf = (a: ReducibleArray) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Copies `payload` into `a` byte for byte (received buffers need not be aligned for `a`'s type). */
function setBytes(a: ReducibleArray, payload: Uint8Array): void {
  bytesOf(a).set(payload);
}

/** Parts as one payload: count u32, each length u32, then the parts. */
function packParts(parts: Uint8Array[]): Uint8Array {
  const head = 4 * (1 + parts.length);
  const out = Buffer.alloc(head + parts.reduce((s, p) => s + p.byteLength, 0));
  out.writeUInt32LE(parts.length, 0);
  let at = head;
  parts.forEach((p, i) => {
    out.writeUInt32LE(p.byteLength, 4 * (1 + i));
    out.set(p, at);
    at += p.byteLength;
  });
  return out;
}

function unpackParts(payload: Buffer, size: number): Uint8Array[] {
  const count = payload.readUInt32LE(0);
  if (count !== size) throw new Error(`collective: expected ${size} parts, got ${count}`);
  const out: Uint8Array[] = [];
  let at = 4 * (1 + count);
  for (let i = 0; i < count; i++) {
    const len = payload.readUInt32LE(4 * (1 + i));
    out.push(new Uint8Array(payload.subarray(at, at + len)));
    at += len;
  }
  return out;
}
