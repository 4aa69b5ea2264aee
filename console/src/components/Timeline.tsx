import type { StatusTransition } from '../../../src/sdk/types.js';
import { fmtTime } from './Status.js';

const TONE: Record<string, string> = { RollingBack: 'warn', Failed: 'bad', Stopped: 'warn', OutOfService: 'bad' };

/** A status history, oldest first, with how long each step took. */
export function Timeline({ items }: { items: StatusTransition[] }) {
  if (items.length === 0) return <p className="muted">No status changes yet.</p>;
  return (
    <ol className="timeline">
      {items.map((t, i) => {
        const end = t.endTime ? new Date(t.endTime).getTime() : undefined;
        const dur = end ? (end - new Date(t.startTime).getTime()) / 1000 : undefined;
        return (
          <li key={i} className={`${t.endTime ? 'done' : 'current'}${TONE[t.status] ? ` ${TONE[t.status]}` : ''}`}>
            <strong>{t.status}</strong>
            <span className="muted small"> {fmtTime(t.startTime)}{dur !== undefined ? ` · ${dur.toFixed(1)} s` : ' · now'}</span>
            {t.message && <div className="small">{t.message}</div>}
          </li>
        );
      })}
    </ol>
  );
}
