/* Conversions between records and rows, identical on both dialects. */

/** Epoch milliseconds as stored. */
export const toMillis = (d: Date): number => d.getTime();

/** A stored time back to a Date; accepts strings in case a driver returns int8 unparsed. */
export const toDate = (v: number | string): Date => new Date(Number(v));

export const toOptionalDate = (v: number | string | null): Date | undefined => (v === null ? undefined : toDate(v));

export const toOptionalMillis = (d: Date | undefined): number | undefined => (d === undefined ? undefined : toMillis(d));

export const toJson = (v: unknown): string => JSON.stringify(v);

export function fromJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** NULL columns read as absent fields rather than `null`. */
export const orUndefined = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

/** Drops keys whose value is undefined, so records carry only the optional fields that are set. */
export function compact<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as T;
}
