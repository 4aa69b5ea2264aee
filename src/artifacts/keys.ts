import { PlatformError, validationError } from '../core/errors.js';

/**
 * Folder under a local store's root holding in-flight writes. Reserved in every store, so that
 * the same keys are valid whichever store holds them.
 */
export const TEMP_DIR = '.tmp';

/**
 * Checks that `key` is a canonical relative POSIX path inside a store: non-empty segments,
 * no `.`/`..`, no leading `/`, no backslash or control character, and not in the reserved
 * `.tmp/` area. Every ArtifactStore implementation checks keys with this one function.
 *
 * @throws PlatformError ValidationError naming the key and what is wrong with it.
 */
export function assertSafeKey(key: string): void {
  const why = unsafeKeyReason(key);
  if (why) throw validationError(`invalid artifact key '${printable(key)}': ${why}`, { key: printable(key) });
}

/** Why `key` is not a safe key, or undefined when it is (see {@link assertSafeKey}). */
export function unsafeKeyReason(key: string): string | undefined {
  if (typeof key !== 'string' || key === '') return 'the key is empty';
  if (key.length > 1024) return 'the key is longer than 1024 characters';
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return 'control characters (including NUL) are not allowed';
    if (c === 0x5c) return 'backslashes are not allowed; use /';
  }
  if (key.startsWith('/')) return 'absolute paths are not allowed';
  const segments = key.split('/');
  if (segments.includes('..')) return "'..' segments are not allowed";
  if (segments.includes('.') || segments.includes('')) return "empty or '.' segments are not allowed";
  if (segments[0] === TEMP_DIR) return `'${TEMP_DIR}/' is reserved`;
  return undefined;
}

/** A key as it may appear in a message: control characters escaped. */
export const printable = (key: unknown) => JSON.stringify(String(key)).slice(1, -1);

/**
 * Validates a folder-like prefix for list/delete: '' (only when `allowEmpty`) or a key,
 * optionally ending in '/'. Returns it without the trailing slash.
 */
export function prefixKey(prefix: string, allowEmpty: boolean): string {
  const key = typeof prefix === 'string' && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  if (key === '' && allowEmpty) return '';
  assertSafeKey(key);
  return key;
}

/** The error of a put whose body passed `maxBytes`. */
export const payloadTooLarge = (maxBytes: number) =>
  new PlatformError('PayloadTooLarge', `artifact body is larger than the limit of ${maxBytes} bytes`, { maxBytes });

/** Checks a `get` byte range: non-negative integers, `end` inclusive and not before `start`. */
export function assertRange(start: number | undefined, end: number | undefined): void {
  const bad = (n: number | undefined) => n !== undefined && (!Number.isSafeInteger(n) || n < 0);
  if (bad(start) || bad(end) || (start !== undefined && end !== undefined && end < start)) {
    throw validationError(`invalid byte range start=${start} end=${end}: need 0 <= start <= end (end inclusive)`, {
      start,
      end,
    });
  }
}
