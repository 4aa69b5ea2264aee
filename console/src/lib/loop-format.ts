import type { ParameterValue } from '../../../src/contracts/pipeline.js';

/** What started an execution, in words. */
export const describeTrigger = (t: Record<string, unknown>) =>
  t.type === 'retraining-policy' ? `retraining of ${String(t.endpoint)} (${String(t.cause)})` : String(t.type ?? 'manual');

/** Parameters as `k=v, …`. */
export const fmtParams = (p: Record<string, ParameterValue>) => Object.entries(p).map(([k, v]) => `${k}=${String(v)}`).join(', ');

/** A period in seconds as `1 h`, `5 min` or `30 s`. */
export const fmtPeriod = (s: number) => (s % 3600 === 0 ? `${s / 3600} h` : s % 60 === 0 ? `${s / 60} min` : `${s} s`);

/** How often a monitoring schedule runs: its cron (UTC) or its period. */
export const fmtSchedule = (s: { periodSeconds?: number; cron?: string }) =>
  s.cron ? `cron ${s.cron} (UTC)` : s.periodSeconds ? `every ${fmtPeriod(s.periodSeconds)}` : '—';
