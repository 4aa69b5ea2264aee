import { EventEmitter } from 'node:events';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The log of one running job: appended to a file in the job folder (the whole history) and
 * broadcast to live followers.
 */
export class JobLog extends EventEmitter<{ line: [string]; end: [] }> {
  #file: WriteStream;
  #closed = false;

  constructor(readonly path: string) {
    super();
    this.setMaxListeners(0);
    mkdirSync(dirname(path), { recursive: true });
    // Only the server reads it (a job must not read another job's log).
    this.#file = createWriteStream(path, { flags: 'a', mode: 0o600 });
  }

  append(line: string): void {
    if (this.#closed) return;
    this.#file.write(line + '\n');
    this.emit('line', line);
  }

  /** Flushes the file and tells followers the log is complete. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await new Promise<void>((resolve) => this.#file.end(resolve));
    this.emit('end');
  }

  get closed() {
    return this.#closed;
  }
}
