import type { CliIo } from './context.js';
import { formatBytes, formatDuration } from './format.js';

type Stderr = CliIo['stderr'];
const CLEAR_LINE = '\r\x1b[2K';
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * An upload progress bar on stderr: `[#####-----]  48%  1.2 MiB / 2.5 MiB  3.1 MiB/s`.
 * Redrawn at most 10 times a second, and only on a terminal; elsewhere one line at the end.
 */
export class ProgressBar {
  readonly #out: Stderr;
  readonly #started = Date.now();
  #lastDraw = 0;
  #sent = 0;
  #total = 0;

  constructor(out: Stderr) {
    this.#out = out;
  }

  update(sent: number, total: number): void {
    this.#sent = sent;
    this.#total = total;
    const now = Date.now();
    if (!this.#out.isTTY || (now - this.#lastDraw < 100 && sent < total)) return;
    this.#lastDraw = now;
    this.#out.write(CLEAR_LINE + this.line());
  }

  /** Ends the bar with a summary line. */
  done(label: string): void {
    const secs = (Date.now() - this.#started) / 1000;
    const summary = `${label}: ${formatBytes(this.#sent)} in ${secs.toFixed(1)}s (${formatBytes(this.rate())}/s)`;
    this.#out.write(`${this.#out.isTTY ? CLEAR_LINE : ''}${summary}\n`);
  }

  private line(): string {
    const frac = this.#total > 0 ? Math.min(1, this.#sent / this.#total) : 1;
    const width = 24;
    const filled = Math.round(frac * width);
    const pct = `${Math.round(frac * 100)}%`.padStart(4);
    return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${pct}  ${formatBytes(this.#sent)} / ${formatBytes(this.#total)}  ${formatBytes(this.rate())}/s`;
  }

  private rate(): number {
    const secs = (Date.now() - this.#started) / 1000;
    return secs > 0 ? Math.round(this.#sent / secs) : 0;
  }
}

/**
 * A live status line on stderr with a spinner and elapsed time; other lines (logs) print above
 * it. Off a terminal it prints each new status once, as a plain line.
 */
export class StatusLine {
  readonly #out: Stderr;
  readonly #since: number;
  #text = '';
  #key = '';
  #frame = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(out: Stderr, since = Date.now()) {
    this.#out = out;
    this.#since = since;
    if (out.isTTY) this.#timer = setInterval(() => this.draw(), 100);
  }

  /**
   * Replaces the status text. Off a terminal a line is printed only when `key` changes, so
   * that a log file gets one line per state rather than one per metric update.
   */
  set(text: string, key = text): void {
    if (text === this.#text) return;
    this.#text = text;
    if (this.#out.isTTY) return this.draw();
    if (key === this.#key) return;
    this.#key = key;
    this.#out.write(`${text}  [${this.elapsed()}]\n`);
  }

  /** Prints a line above the status line. */
  log(line: string): void {
    this.#out.write(`${this.#out.isTTY ? CLEAR_LINE : ''}${line}\n`);
    if (this.#out.isTTY) this.draw();
  }

  /** Stops the spinner and leaves the last status printed. */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#out.isTTY && this.#text) this.#out.write(`${CLEAR_LINE}${this.#text}  [${this.elapsed()}]\n`);
  }

  private draw(): void {
    if (!this.#text) return;
    this.#frame = (this.#frame + 1) % FRAMES.length;
    // A pseudo-terminal may report 0 columns.
    const width = (this.#out.columns || 100) - 1;
    this.#out.write(CLEAR_LINE + `${FRAMES[this.#frame]} ${this.#text}  [${this.elapsed()}]`.slice(0, width));
  }

  private elapsed(): string {
    return formatDuration((Date.now() - this.#since) / 1000);
  }
}
