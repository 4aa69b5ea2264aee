import { StratusApiError } from './errors.js';

/** Options of the `waitFor` calls. */
export interface WaitOptions<T> {
  /** @defaultValue 1000 */
  intervalMs?: number;
  /** Gives up with a `Timeout` {@link StratusApiError} after this long. @defaultValue no limit */
  timeoutMs?: number;
  /** Called with each state fetched, the first one included. */
  onUpdate?: (current: T) => void;
  signal?: AbortSignal;
}

/** Fetches `get()` every `intervalMs` until `done(current)`, and returns that state. */
export async function pollUntil<T>(
  what: string,
  get: () => Promise<T>,
  done: (current: T) => boolean,
  opts: WaitOptions<T> = {},
): Promise<T> {
  const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
  for (;;) {
    const current = await get();
    opts.onUpdate?.(current);
    if (done(current)) return current;
    if (Date.now() >= deadline) {
      throw new StratusApiError(0, 'Timeout', `timed out after ${opts.timeoutMs} ms waiting for ${what}`);
    }
    await sleep(Math.min(opts.intervalMs ?? 1000, Math.max(0, deadline - Date.now())), opts.signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const abortedError = () => new StratusApiError(0, 'Aborted', 'the wait was aborted');
