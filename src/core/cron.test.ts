import { describe, expect, it } from 'vitest';
import { parseCron } from './cron.js';

const at = (s: string) => new Date(s);

describe('parseCron', () => {
  it('matches steps, ranges, lists and names', () => {
    const every5 = parseCron('*/5 * * * *');
    expect(every5.matches(at('2024-03-04T10:05:00'))).toBe(true);
    expect(every5.matches(at('2024-03-04T10:06:00'))).toBe(false);
    const weekdays = parseCron('30 9-17/4 * * mon-fri');
    expect(weekdays.matches(at('2024-03-04T13:30:00'))).toBe(true); // Monday
    expect(weekdays.matches(at('2024-03-03T13:30:00'))).toBe(false); // Sunday
    expect(weekdays.matches(at('2024-03-04T11:30:00'))).toBe(false);
    expect(parseCron('0 0 1,15 jan,jul *').matches(at('2024-07-15T00:00:00'))).toBe(true);
    expect(parseCron('0 0 * * 7').matches(at('2024-03-03T00:00:00'))).toBe(true);
  });

  it('ORs the two day fields when both are restricted (Vixie cron)', () => {
    const c = parseCron('0 12 1 * mon');
    expect(c.matches(at('2024-03-01T12:00:00'))).toBe(true); // the 1st, a Friday
    expect(c.matches(at('2024-03-04T12:00:00'))).toBe(true); // a Monday
    expect(c.matches(at('2024-03-05T12:00:00'))).toBe(false);
  });

  it('rejects malformed expressions, naming the field', () => {
    expect(() => parseCron('* * * *')).toThrow(/5 fields/);
    expect(() => parseCron('61 * * * *')).toThrow(/minute field '61'/);
    expect(() => parseCron('* * * * */0')).toThrow(/day of week/);
    expect(() => parseCron('5-1 * * * *')).toThrow(/backwards/);
  });

  it('finds the next matching minute, in UTC when asked', () => {
    const utc = (s: string) => new Date(`${s}Z`);
    const every5 = parseCron('*/5 * * * *', { utc: true });
    expect(every5.next(utc('2024-03-04T10:05:00'))).toEqual(utc('2024-03-04T10:10:00'));
    expect(every5.next(utc('2024-03-04T10:07:31.5'))).toEqual(utc('2024-03-04T10:10:00'));
    expect(parseCron('30 2 * * *', { utc: true }).next(utc('2024-12-31T03:00:00'))).toEqual(utc('2025-01-01T02:30:00'));
    expect(parseCron('0 0 29 2 *', { utc: true }).next(utc('2024-03-01T00:00:00'))).toEqual(utc('2028-02-29T00:00:00'));
    expect(parseCron('0 9 * * mon', { utc: true }).next(utc('2024-03-04T09:00:00'))).toEqual(utc('2024-03-11T09:00:00'));
    expect(parseCron('0 0 31 2 *', { utc: true }).next(utc('2024-01-01T00:00:00'))).toBeUndefined();
    // next() of a time is a time matches() accepts, and no earlier minute is
    const c = parseCron('15,45 */3 1-10 * 1-5', { utc: true });
    let t = utc('2024-05-01T00:00:00');
    for (let i = 0; i < 50; i++) {
      const n = c.next(t)!;
      expect(c.matches(n)).toBe(true);
      for (let m = t.getTime() + 60_000 - (t.getTime() % 60_000); m < n.getTime(); m += 60_000) expect(c.matches(new Date(m))).toBe(false);
      t = n;
    }
  });

  it("reads SageMaker's cron(…) form: ? for a day field, weekdays 1-7 from Sunday, year *", () => {
    const hourly = parseCron('cron(0 * ? * * *)', { utc: true });
    expect(hourly.next(new Date('2024-03-04T10:00:00Z'))).toEqual(new Date('2024-03-04T11:00:00Z'));
    const mondays = parseCron('cron(0 12 ? * 2 *)', { utc: true });
    expect(mondays.matches(new Date('2024-03-04T12:00:00Z'))).toBe(true); // a Monday
    expect(mondays.matches(new Date('2024-03-03T12:00:00Z'))).toBe(false);
    expect(parseCron('cron(0 12 ? * SUN-MON *)', { utc: true }).matches(new Date('2024-03-03T12:00:00Z'))).toBe(true);
    expect(() => parseCron('cron(0 * ? * *)')).toThrow(/6 fields/);
    expect(() => parseCron('cron(0 * ? * * 2030)')).toThrow(/year field/);
    expect(() => parseCron('cron(0 * ? * 8 *)')).toThrow(/day of week field '8'/);
  });
});
