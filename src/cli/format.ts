/** A cell value as the tables print it. */
export type Cell = string | number | boolean | null | undefined;

/** Left-aligned columns under upper-case headers; `-` for missing values; `''` without rows. */
export function table(headers: string[], rows: Cell[][]): string {
  if (rows.length === 0) return '';
  const cells = [headers.map((h) => h.toUpperCase()), ...rows.map((r) => r.map(cell))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}

/** `Key:  value` lines, aligned; pairs with an undefined value are left out. */
export function fields(pairs: [string, Cell][]): string {
  const shown = pairs.filter(([, v]) => v !== undefined);
  const width = Math.max(0, ...shown.map(([k]) => k.length + 1));
  return shown.map(([k, v]) => `${`${k}:`.padEnd(width)}  ${cell(v)}`).join('\n');
}

/** A listing's table, or `no <what>` when it is empty. */
export const listTable = (what: string, headers: string[], rows: Cell[][]) => table(headers, rows) || `no ${what}`;

/** A titled block, for the sections of a describe. */
export const section = (title: string, body: string) => `\n${title}\n${body || '  (none)'}`;

function cell(v: Cell): string {
  if (v === undefined || v === null || v === '') return '-';
  if (typeof v === 'number') return formatNumber(v);
  return String(v);
}

/** Integers as they are, other numbers to 6 significant digits. */
export function formatNumber(n: number): string {
  if (Number.isInteger(n) || !Number.isFinite(n)) return String(n);
  return String(Number(n.toPrecision(6)));
}

/** 1536 → `1.5 KiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  for (; v >= 1024 && i < units.length - 1; i++) v /= 1024;
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** Seconds as `42s`, `3m05s` or `2h03m`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** An ISO timestamp shortened to the second: `2025-01-02 03:04:05Z`. */
export function formatTime(iso: string | undefined): string | undefined {
  return iso?.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** Seconds between two ISO timestamps (the second defaults to now). */
export function secondsBetween(from: string, to?: string): number {
  return ((to ? Date.parse(to) : Date.now()) - Date.parse(from)) / 1000;
}
