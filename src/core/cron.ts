import { validationError } from './errors.js';

/*
 * A 5-field cron matcher (minute hour day-of-month month day-of-week), as crontab(5) reads them:
 * `*`, numbers, ranges `a-b`, lists `a,b`, steps `*\/n` and `a-b/n`; day-of-week 0–7 (0 and 7 are
 * Sunday); month and weekday names (jan, mon) are accepted. When both day fields are restricted,
 * a day matches either one (Vixie cron's rule).
 *
 * Also SageMaker's (EventBridge's) `cron(minute hour day-of-month month day-of-week year)`: `?`
 * is `*`, day-of-week is 1–7 with 1 = Sunday, and the year must be `*`. `L`, `W` and `#` are not
 * supported.
 *
 * Times are UTC (like SageMaker's and EventBridge's schedules), so every node of a cluster agrees
 * whatever its time zone; `utc: false` reads them in the server's local time.
 */

export interface CronSchedule {
  readonly source: string;
  /** Whether the minute of `d` is one the expression names. */
  matches(d: Date): boolean;
  /** The start of the first matching minute strictly after `after`; undefined when none within 5 years. */
  next(after: Date): Date | undefined;
}

export interface CronOptions {
  /** Read the fields in UTC; false = the server's local time. @defaultValue true */
  utc?: boolean;
}

interface Field {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Added to a named value's index (months count from 1; AWS weekdays from 1). */
  nameBase?: number;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const FIELDS: Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { name: 'day of week', min: 0, max: 7, names: WEEKDAYS, nameBase: 0 },
];
/** EventBridge numbers weekdays 1–7 from Sunday. */
const AWS_WEEKDAY: Field = { name: 'day of week', min: 1, max: 7, names: WEEKDAYS, nameBase: 1 };

const AWS_FORM = /^cron\((.*)\)$/i;
/** How far `next` looks: Feb 29 on a Monday can be years away, never more than 28. */
const NEXT_HORIZON_MS = 5 * 366 * 86_400_000;

/** Parses a cron expression; throws ValidationError naming the bad field. */
export function parseCron(source: string, opts: CronOptions = {}): CronSchedule {
  const aws = AWS_FORM.exec(source.trim());
  const parts = (aws ? aws[1] : source).trim().split(/\s+/);
  let sets: Array<Set<number>>;
  let starred: boolean[];
  if (aws) {
    if (parts.length !== 6) throw validationError(`cron '${source}' must have 6 fields inside cron(…) (minute hour day-of-month month day-of-week year)`, { cron: source });
    if (parts[5] !== '*' && parts[5] !== '?') throw validationError(`cron '${source}': year field '${parts[5]}' is not supported (use *)`, { cron: source, field: 'year' });
    const fields = parts.slice(0, 5).map((p) => (p === '?' ? '*' : p));
    sets = fields.map((p, i) => parseField(p, i === 4 ? AWS_WEEKDAY : FIELDS[i], source));
    sets[4] = new Set([...sets[4]].map((d) => d - 1));
    starred = fields.map(isStar);
  } else {
    if (parts.length !== 5) throw validationError(`cron '${source}' must have 5 fields (minute hour day-of-month month day-of-week)`, { cron: source });
    sets = parts.map((p, i) => parseField(p, FIELDS[i], source));
    if (sets[4].has(7)) sets[4].add(0);
    starred = parts.map(isStar);
  }
  return schedule(source, sets, starred[2], starred[4], opts.utc ?? true);
}

const isStar = (field: string) => field === '*' || field.startsWith('*/');

/** Date parts in local time or UTC. */
function partsOf(d: Date, utc: boolean) {
  return utc
    ? { minute: d.getUTCMinutes(), hour: d.getUTCHours(), day: d.getUTCDate(), month: d.getUTCMonth() + 1, weekday: d.getUTCDay() }
    : { minute: d.getMinutes(), hour: d.getHours(), day: d.getDate(), month: d.getMonth() + 1, weekday: d.getDay() };
}

function schedule(source: string, sets: Array<Set<number>>, domStar: boolean, dowStar: boolean, utc: boolean): CronSchedule {
  const [min, hour, dom, month, dow] = sets;
  const dayMatches = (p: ReturnType<typeof partsOf>) => {
    const domOk = dom.has(p.day);
    const dowOk = dow.has(p.weekday);
    return !domStar && !dowStar ? domOk || dowOk : domOk && dowOk;
  };
  return {
    source,
    matches(d: Date) {
      const p = partsOf(d, utc);
      return min.has(p.minute) && hour.has(p.hour) && month.has(p.month) && dayMatches(p);
    },
    next(after: Date) {
      // Whole months, days and hours that cannot match are skipped at once.
      const t = new Date(Math.floor(after.getTime() / 60_000) * 60_000 + 60_000);
      const end = after.getTime() + NEXT_HORIZON_MS;
      while (t.getTime() <= end) {
        const p = partsOf(t, utc);
        if (!month.has(p.month)) advance(t, utc, 'month');
        else if (!dayMatches(p)) advance(t, utc, 'day');
        else if (!hour.has(p.hour)) advance(t, utc, 'hour');
        else if (!min.has(p.minute)) t.setTime(t.getTime() + 60_000);
        else return t;
      }
      return undefined;
    },
  };
}

/** Moves `t` to the start of the next month, day or hour. */
function advance(t: Date, utc: boolean, unit: 'month' | 'day' | 'hour'): void {
  if (utc) {
    if (unit === 'month') t.setUTCMonth(t.getUTCMonth() + 1, 1);
    if (unit === 'day') t.setUTCDate(t.getUTCDate() + 1);
    t.setUTCHours(unit === 'hour' ? t.getUTCHours() + 1 : 0, 0, 0, 0);
  } else {
    if (unit === 'month') t.setMonth(t.getMonth() + 1, 1);
    if (unit === 'day') t.setDate(t.getDate() + 1);
    t.setHours(unit === 'hour' ? t.getHours() + 1 : 0, 0, 0, 0);
  }
}

function parseField(text: string, f: Field, source: string): Set<number> {
  const bad = (why: string) => validationError(`cron '${source}': ${f.name} field '${text}' ${why}`, { cron: source, field: f.name });
  const value = (s: string): number => {
    const named = f.names?.indexOf(s.toLowerCase()) ?? -1;
    const n = named >= 0 ? named + (f.nameBase ?? 0) : /^[0-9]+$/.test(s) ? Number(s) : NaN;
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

/**
 * The minutes that began since a cron loop's last tick (at most the last hour, so a long pause
 * does not replay a day of schedules); each schedule fires at most once per window.
 */
export class MinuteWindow {
  #last = 0;

  /** Starts counting from `now`: minutes before it are never due. */
  reset(now: Date): void {
    this.#last = Math.floor(now.getTime() / 60_000);
  }

  /** The window of minutes begun since the last call, or undefined when no new minute began. */
  advance(now: Date): { from: number; to: number } | undefined {
    const minute = Math.floor(now.getTime() / 60_000);
    if (minute <= this.#last) return undefined;
    const from = Math.max(this.#last + 1, minute - 60);
    this.#last = minute;
    return { from, to: minute };
  }
}

/** The first minute of `window` that `cron` names, or undefined. */
export function firstMatch(cron: CronSchedule, window: { from: number; to: number }): Date | undefined {
  for (let m = window.from; m <= window.to; m++) {
    const at = new Date(m * 60_000);
    if (cron.matches(at)) return at;
  }
  return undefined;
}
