import { api } from '../lib/api.js';
import { usePaged } from '../lib/hooks.js';
import { Link } from '../lib/router.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Empty } from '../components/Empty.js';
import { fmtAgo, Status } from '../components/Status.js';

/** Experiments by name, with their run counts per status and last activity. */
export default function Experiments() {
  const list = usePaged((a) => api.experiments(a), []);
  return (
    <section>
      <h1>Experiments</h1>
      <div className="card">
        <p className="muted small">Every training job is a run of one experiment (“Default” unless the job names another).</p>
        <ErrorNotice error={list.error} onRetry={list.reload} context="Could not list experiments" />
        {!list.loading && !list.error && list.items.length === 0 ? (
          <Empty title="No experiments yet"><Link to="/training/new">Start a training job</Link>; its experiment appears here with the job as its first run.</Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <thead><tr><th scope="col">Name</th><th scope="col">Runs</th><th scope="col">By status</th><th scope="col">Last activity</th></tr></thead>
              <tbody>
                {list.items.map((x) => (
                  <tr key={x.name}>
                    <td><Link to={`/experiments/${encodeURIComponent(x.name)}`}>{x.name}</Link></td>
                    <td>{x.runCount}</td>
                    <td>{Object.entries(x.statusCounts).map(([s, n]) => <span key={s} className="pill-gap"><Status value={s} /> {n}</span>)}</td>
                    <td>{fmtAgo(x.lastActivityAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {list.loading && list.items.length === 0 && <p className="muted" role="status">Loading…</p>}
        {list.hasMore && <button type="button" onClick={() => void list.loadMore()} disabled={list.loading}>Load more</button>}
      </div>
    </section>
  );
}
