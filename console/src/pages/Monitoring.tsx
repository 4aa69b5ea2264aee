import { usePaged } from '../lib/hooks.js';
import { loopApi } from '../lib/loop-api.js';
import { fmtSchedule } from '../lib/loop-format.js';
import { Link } from '../lib/router.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Empty } from '../components/Empty.js';
import { fmtAgo, Status } from '../components/Status.js';

/** Monitoring schedules: each checks an endpoint's captured traffic against a baseline every period. */
export default function Monitoring() {
  const list = usePaged((a) => loopApi.schedules(a), []);
  return (
    <section>
      <h1>Monitoring</h1>
      <div className="card">
        <div className="head-row">
          <h2>Schedules</h2>
          <button type="button" onClick={list.reload}>Refresh</button>
        </div>
        <ErrorNotice error={list.error} onRetry={list.reload} context="Could not list monitoring schedules" />
        {!list.loading && !list.error && list.items.length === 0 ? (
          <Empty title="No monitoring schedules yet">
            Compute a baseline from the training data (<code>stratus monitor baseline</code>), then schedule checks of an endpoint that captures its traffic
            (<code>stratus monitor schedule</code>, or <code>POST /api/v1/monitoring-schedules</code>).
          </Empty>
        ) : (
          <div className="table-wrap">
            <table aria-label="Monitoring schedules">
              <thead><tr><th scope="col">Schedule</th><th scope="col">Endpoint</th><th scope="col">Baseline</th><th scope="col">Runs</th><th scope="col">Status</th><th scope="col">Last result</th><th scope="col">Last run</th></tr></thead>
              <tbody>
                {list.items.map((s) => (
                  <tr key={s.name}>
                    <td><Link to={`/monitoring/${encodeURIComponent(s.name)}`}>{s.name}</Link></td>
                    <td><Link to={`/endpoints/${encodeURIComponent(s.endpoint)}`}>{s.endpoint}</Link></td>
                    <td>{s.baseline}</td>
                    <td>{fmtSchedule(s)}</td>
                    <td><Status value={s.status} /></td>
                    <td>{s.lastResult ? <><Status value={s.lastResult.status} /> {s.lastResult.violations > 0 && <span className="bad-text small">{s.lastResult.violations} violations</span>}</> : <span className="muted">not run yet</span>}</td>
                    <td title={s.lastRunAt}>{fmtAgo(s.lastRunAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {list.hasMore && <button type="button" onClick={() => void list.loadMore()} disabled={list.loading}>Load more</button>}
      </div>
    </section>
  );
}
