const TONE: Record<string, string> = {
  Completed: 'ok', InService: 'ok', Failed: 'bad', Stopped: 'warn', Stopping: 'warn', OutOfService: 'bad',
  InProgress: 'busy', Creating: 'busy', Updating: 'busy', RollingBack: 'warn', Deleting: 'warn',
  // Pipelines, the registry, monitoring and online evaluations.
  Succeeded: 'ok', Executing: 'busy', Skipped: 'skipped', Approved: 'ok', Rejected: 'bad', PendingManualApproval: 'warn',
  Scheduled: 'ok', Running: 'busy', CompletedWithViolations: 'bad', NoData: 'warn', RolledBack: 'bad',
  Concluded: 'ok', CandidateBetter: 'ok', PromotedByRequest: 'ok', BaselineBetter: 'warn', NotSignificant: 'warn', TooFewLabels: 'warn',
  PromotionFailed: 'bad', EndpointChanged: 'skipped',
};

/** A status as a coloured pill (the word is always shown, colour is only a hint). */
export function Status({ value, secondary }: { value: string; secondary?: string }) {
  return (
    <span className={`status ${TONE[value] ?? ''}`} data-status={value}>
      {value}{secondary && secondary !== value ? ` · ${secondary}` : ''}
    </span>
  );
}

export const fmtTime = (iso?: string) => (iso ? new Date(iso).toLocaleString() : '—');
export function fmtAgo(iso?: string) {
  if (!iso) return '—';
  const s = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
  if (s < 60) return `${Math.round(s)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}
export function fmtBytes(n: number) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
export function fmtNum(v: unknown) {
  if (typeof v !== 'number') return v === null || v === undefined ? '—' : String(v);
  if (Number.isInteger(v)) return v.toLocaleString();
  return Math.abs(v) >= 1000 || Math.abs(v) < 0.001 ? v.toExponential(3) : v.toPrecision(4);
}
