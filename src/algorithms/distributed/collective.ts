/**
 * Collective operations between the hosts of one multi-instance training job, for built-in
 * algorithms that train data-parallel (each host holds a shard of the rows; sums of statistics
 * are exchanged every step). Operations are called in the same order on every host — a host
 * that calls a different operation, or one of another shape, fails the job with a message
 * naming both — and every host gets bit-identical results: reductions are summed in host order
 * by one host (see tcp-collective.ts).
 *
 * Typical use inside `BuiltinAlgorithm.train`:
 * @example
 * const c = ctx.collective ?? singleHost();
 * const sums = Float64Array.from([localLoss, localRows]);
 * await c.allreduceSum(sums);          // the same global sums on every host
 * const cuts = await c.broadcast(c.rank === 0 ? encode(model) : undefined);
 */

/** Arrays an allreduce accepts; every host must pass the same type and length. */
export type ReducibleArray = Float64Array | Float32Array | Int32Array | BigInt64Array;

export type ReduceOp = 'sum' | 'max' | 'min';

export interface CollectiveStats {
  /** Bytes written to the other hosts (frame headers included). */
  bytesSent: number;
  bytesReceived: number;
  /** Collective operations called. */
  operations: number;
  /** Wall time spent inside collective operations: transfer plus waiting for slower hosts. */
  waitSeconds: number;
}

export interface Collective {
  /** This host's index in `hosts` (0 = the first host, `algo-1`, which does the reductions). */
  readonly rank: number;
  readonly size: number;
  /** The job's hosts, in rank order. */
  readonly hosts: readonly string[];
  /**
   * Reduces `buf` element-wise over all hosts, in place. Sums are added in rank order on rank
   * 0, so float results are identical on every host (and, for integer-valued doubles below
   * 2^53, exact whatever the order).
   */
  allreduce(buf: ReducibleArray, op?: ReduceOp): Promise<void>;
  /** `allreduce(buf, 'sum')`. */
  allreduceSum(buf: ReducibleArray): Promise<void>;
  /** `root`'s bytes on every host (other hosts' `bytes` are ignored). @defaultValue root 0 */
  broadcast(bytes: Uint8Array | undefined, root?: number): Promise<Uint8Array>;
  /** Every host's bytes, in rank order, on every host. */
  allgather(bytes: Uint8Array): Promise<Uint8Array[]>;
  /** Every host's bytes, in rank order, on `root`; `undefined` elsewhere. @defaultValue root 0 */
  gather(bytes: Uint8Array, root?: number): Promise<Uint8Array[] | undefined>;
  stats(): CollectiveStats;
  /**
   * Tells the other hosts that this one failed (they fail their current or next operation with
   * `reason`, naming this host). Idempotent; call `close` after it.
   */
  abort(reason: string): void;
  /** Ends the connections once what was sent is flushed. Idempotent. */
  close(): Promise<void>;
}

/** The collective of a one-host job: every operation returns this host's own data. */
export function singleHost(host = 'algo-1'): Collective {
  let operations = 0;
  const count = <T>(v: T) => {
    operations++;
    return Promise.resolve(v);
  };
  return {
    rank: 0,
    size: 1,
    hosts: [host],
    allreduce: () => count(undefined),
    allreduceSum: () => count(undefined),
    broadcast: (bytes) => {
      if (!bytes) return Promise.reject(new Error('collective: broadcast from a single host needs its bytes'));
      return count(bytes);
    },
    allgather: (bytes) => count([bytes]),
    gather: (bytes) => count([bytes]),
    stats: () => ({ bytesSent: 0, bytesReceived: 0, operations, waitSeconds: 0 }),
    abort: () => undefined,
    close: () => Promise.resolve(),
  };
}

/** `acc[i] = op(acc[i], x[i])`; both of the same type and length. */
export function reduceInto(acc: ReducibleArray, x: ReducibleArray, op: ReduceOp): void {
  const n = acc.length;
  if (acc instanceof BigInt64Array) {
    const a = acc, b = x as BigInt64Array;
    if (op === 'sum') for (let i = 0; i < n; i++) a[i] += b[i];
    else if (op === 'max') for (let i = 0; i < n; i++) a[i] = b[i] > a[i] ? b[i] : a[i];
    else for (let i = 0; i < n; i++) a[i] = b[i] < a[i] ? b[i] : a[i];
    return;
  }
  const a = acc as Float64Array, b = x as Float64Array;
  if (op === 'sum') for (let i = 0; i < n; i++) a[i] += b[i];
  // NaN wins, as in MPI implementations that propagate it.
  else if (op === 'max') for (let i = 0; i < n; i++) a[i] = b[i] > a[i] || b[i] !== b[i] ? b[i] : a[i];
  else for (let i = 0; i < n; i++) a[i] = b[i] < a[i] || b[i] !== b[i] ? b[i] : a[i];
}

/** Stats accumulated since `before`. */
export function statsSince(now: CollectiveStats, before: CollectiveStats): CollectiveStats {
  return {
    bytesSent: now.bytesSent - before.bytesSent,
    bytesReceived: now.bytesReceived - before.bytesReceived,
    operations: now.operations - before.operations,
    waitSeconds: now.waitSeconds - before.waitSeconds,
  };
}

/** "42 operations, 1.2 MiB sent, 2.4 MiB received, 0.31 s communicating", optionally divided by `per`. */
export function describeStats(s: CollectiveStats, per = 1): string {
  const mib = (b: number) => (b / per >= 1048576 ? `${(b / per / 1048576).toFixed(2)} MiB` : `${(b / per / 1024).toFixed(1)} KiB`);
  const ops = per === 1 ? String(s.operations) : (s.operations / per).toFixed(1);
  const time = per === 1 ? `${s.waitSeconds.toFixed(2)} s` : `${((s.waitSeconds / per) * 1000).toFixed(1)} ms`;
  return `${ops} operations, ${mib(s.bytesSent)} sent, ${mib(s.bytesReceived)} received, ${time} communicating`;
}
