/** One server-sent event: its `event` name (default `message`), `data` and optional `id`. */
export interface ServerSentEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * Parses a `text/event-stream` body into events, following the WHATWG rules: lines end in
 * LF, CRLF or CR; `data` lines join with LF; a blank line dispatches; `:` starts a comment.
 *
 * @example
 * for await (const ev of parseSse(res.body!)) console.log(ev.event, ev.data);
 */
export async function* parseSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  for await (const chunk of body) yield* parser.push(decoder.decode(chunk, { stream: true }));
  // An event not ended by a blank line when the stream closes is dropped, as the spec says.
  yield* parser.push(decoder.decode());
}

/** Incremental SSE parser: feed it text, get back the events completed so far. */
export class SseParser {
  #buffer = '';
  #pendingCr = false;
  #event = '';
  #data: string[] = [];
  #id: string | undefined;

  /** Adds text and returns the events it completes. */
  push(text: string): ServerSentEvent[] {
    const events: ServerSentEvent[] = [];
    for (const line of this.lines(text)) {
      const ev = this.line(line);
      if (ev) events.push(ev);
    }
    return events;
  }

  private *lines(text: string): Generator<string> {
    // A CR at the end of one chunk and an LF at the start of the next are one line ending.
    if (this.#pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.#pendingCr = false;
    this.#buffer += text;
    const re = /\r\n|\r|\n/g;
    let start = 0;
    for (let m = re.exec(this.#buffer); m; m = re.exec(this.#buffer)) {
      if (m[0] === '\r' && m.index === this.#buffer.length - 1) {
        this.#pendingCr = true;
      }
      yield this.#buffer.slice(start, m.index);
      start = re.lastIndex;
    }
    this.#buffer = this.#buffer.slice(start);
  }

  private line(line: string): ServerSentEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.#id = value;
    return undefined;
  }

  private dispatch(): ServerSentEvent | undefined {
    const hasData = this.#data.length > 0;
    const ev: ServerSentEvent = { event: this.#event || 'message', data: this.#data.join('\n') };
    if (this.#id !== undefined) ev.id = this.#id;
    this.#event = '';
    this.#data = [];
    return hasData ? ev : undefined;
  }
}
