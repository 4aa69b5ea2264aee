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
});
