import { validationError } from '../core/errors.js';

/*
 * A 5-field cron matcher (minute hour day-of-month month day-of-week), as crontab(5) reads them:
 * `*`, numbers, ranges `a-b`, lists `a,b`, steps `*\/n` and `a-b/n`; day-of-week 0–7 (0 and 7 are
 * Sunday); month and weekday names (jan, mon) are accepted. When both day fields are restricted,
 * a day matches either one (Vixie cron's rule). Times are the server's local time.
 */

export interface CronSchedule {
  readonly source: string;
  matches(d: Date): boolean;
}

const FIELDS: Array<{ name: string; min: number; max: number; names?: string[] }> = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day of week', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

/** Parses a cron expression; throws ValidationError naming the bad field. */
export function parseCron(source: string): CronSchedule {
  const parts = source.trim().split(/\s+/);
  if (parts.length !== 5) throw validationError(`cron '${source}' must have 5 fields (minute hour day-of-month month day-of-week)`, { cron: source });
  const sets = parts.map((p, i) => parseField(p, FIELDS[i], source));
  if (sets[4].has(7)) sets[4].add(0);
  const [min, hour, dom, month, dow] = sets;
  const domStar = parts[2] === '*' || parts[2].startsWith('*/');
  const dowStar = parts[4] === '*' || parts[4].startsWith('*/');
  return {
    source,
    matches(d: Date) {
      if (!min.has(d.getMinutes()) || !hour.has(d.getHours()) || !month.has(d.getMonth() + 1)) return false;
      const domOk = dom.has(d.getDate());
      const dowOk = dow.has(d.getDay());
      if (!domStar && !dowStar) return domOk || dowOk;
      return domOk && dowOk;
    },
  };
}

function parseField(text: string, f: (typeof FIELDS)[number], source: string): Set<number> {
  const bad = (why: string) => validationError(`cron '${source}': ${f.name} field '${text}' ${why}`, { cron: source, field: f.name });
  const value = (s: string): number => {
    const named = f.names?.indexOf(s.toLowerCase()) ?? -1;
    const n = named >= 0 ? named + (f.name === 'month' ? 1 : 0) : /^[0-9]+$/.test(s) ? Number(s) : NaN;
    if (!Number.isInteger(n) || n < f.min || n > f.max) throw bad(`has '${s}', outside ${f.min}-${f.max}`);
    return n;
  };
  const out = new Set<number>();
  for (const item of text.split(',')) {
    const [range, stepText, extra] = item.split('/');
    if (extra !== undefined || range === '') throw bad('is malformed');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw bad(`has step '${stepText}'`);
    let lo: number;
    let hi: number;
    if (range === '*') [lo, hi] = [f.min, f.max];
    else if (range.includes('-')) {
      const [a, b] = range.split('-');
      [lo, hi] = [value(a), value(b)];
      if (lo > hi) throw bad(`has the range ${a}-${b} backwards`);
    } else {
      lo = value(range);
      hi = stepText === undefined ? lo : f.max;
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}
