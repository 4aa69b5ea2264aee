import { StringDecoder } from 'node:string_decoder';

/** Splits a byte stream into lines (\n or \r\n), calling `onLine` for each complete one. */
export class LineSplitter {
  #decoder = new StringDecoder('utf8');
  #rest = '';
  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    const text = this.#rest + this.#decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      this.onLine(stripCr(text.slice(start, nl)));
      start = nl + 1;
    }
    this.#rest = text.slice(start);
  }

  end(): void {
    const last = this.#rest + this.#decoder.end();
    this.#rest = '';
    if (last.length > 0) this.onLine(stripCr(last));
  }
}

const stripCr = (s: string) => (s.endsWith('\r') ? s.slice(0, -1) : s);
