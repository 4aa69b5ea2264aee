/**
 * Host logs through the artifact store, so no shared filesystem is needed: each host uploads its
 * new lines as numbered chunk objects (`<prefix>/<host>/log/000001`, …) about once a second; the
 * server lists the prefix and reads each host's chunks in order.
 */
import type { ArtifactStore } from '../../artifacts/artifact-store.js';

const SEQ_DIGITS = 6;

/** Host side: buffers lines and uploads them as the host's next chunk. */
export class LogShipper {
  #lines: string[] = [];
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;
  #current: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ArtifactStore,
    /** `<prefix>/<host>` */
    private readonly hostPrefix: string,
  ) {}

  add(line: string): void {
    this.#lines.push(line);
  }

  start(intervalMs = 1000): void {
    this.#timer ??= setInterval(() => void this.flush(), intervalMs);
  }

  /** Uploads what is buffered as one chunk; chunks never overlap or reorder. */
  flush(): Promise<void> {
    this.#current = this.#current.then(async () => {
      if (this.#lines.length === 0) return;
      const lines = this.#lines.splice(0);
      this.#seq++;
      const key = `${this.hostPrefix}/log/${String(this.#seq).padStart(SEQ_DIGITS, '0')}`;
      await this.store.put(key, Buffer.from(lines.join('\n') + '\n')).catch(() => {
        // The store is unreachable: keep the lines for the next try under the same number.
        this.#lines.unshift(...lines);
        this.#seq--;
      });
    });
    return this.#current;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }
}

/** Server side: reads new chunks of every host, in order per host. */
export class LogCollector {
  readonly #next = new Map<string, number>();
  readonly #skip: Map<string, number>;

  /**
   * @param skip per host, how many of its first lines were handed on before (a server that
   *   watches the job again after a restart): they are read but not handed on again.
   */
  constructor(
    private readonly store: ArtifactStore,
    private readonly prefix: string,
    private readonly onLine: (host: string, line: string) => void,
    skip: ReadonlyMap<string, number> = new Map(),
  ) {
    this.#skip = new Map(skip);
  }

  /** Reads every chunk not read yet (contiguous per host) and hands its lines on. */
  async poll(): Promise<void> {
    const found = new Map<string, Map<number, string>>();
    for await (const info of this.store.list(this.prefix)) {
      const m = /\/([^/]+)\/log\/(\d+)$/.exec(info.key);
      if (!m) continue;
      if (!found.has(m[1])) found.set(m[1], new Map());
      found.get(m[1])!.set(Number(m[2]), info.key);
    }
    for (const host of [...found.keys()].sort()) {
      const chunks = found.get(host)!;
      let seq = this.#next.get(host) ?? 1;
      while (chunks.has(seq)) {
        const text = (await this.store.getBytes(chunks.get(seq)!)).toString('utf8');
        for (const line of text.replace(/\n$/, '').split('\n')) {
          const skip = this.#skip.get(host) ?? 0;
          if (skip > 0) this.#skip.set(host, skip - 1);
          else this.onLine(host, line);
        }
        seq++;
      }
      this.#next.set(host, seq);
    }
  }
}
