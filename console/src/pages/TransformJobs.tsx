import { api } from '../lib/api.js';
import { usePaged } from '../lib/hooks.js';
import { Link, useRouter } from '../lib/router.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Empty } from '../components/Empty.js';
import { fmtAgo, Status } from '../components/Status.js';

const STATUSES = ['InProgress', 'Completed', 'Failed', 'Stopping', 'Stopped'];

/** Batch transform jobs, newest first, filtered by status, one page at a time. */
export default function TransformJobs() {
  const { loc, navigate } = useRouter();
  const status = loc.query.get('status') ?? '';
  const list = usePaged((a) => api.transformJobs({ ...a, status: status || undefined }), [status]);
  return (
    <section>
      <h1>Batch transform jobs</h1>
      <div className="card">
        <div className="row">
          <div className="field">
            <label htmlFor="tj-status">Status</label>
            <select id="tj-status" value={status} onChange={(e) => navigate(e.target.value ? `/transform?status=${e.target.value}` : '/transform', true)}>
              <option value="">All</option>
              {STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}
            </select>
          </div>
          <button type="button" onClick={list.reload}>Refresh</button>
        </div>
        <ErrorNotice error={list.error} onRetry={list.reload} context="Could not list transform jobs" />
        {!list.loading && !list.error && list.items.length === 0 ? (
          status ? <Empty title={`No ${status} transform jobs`}>Choose another status, or <Link to="/transform">show all jobs</Link>.</Empty>
            : <Empty title="No batch transform jobs yet">A transform job runs a <Link to="/models">model</Link> over a whole dataset and writes one prediction per record. Start one with <code>stratus transform</code> or <code>POST /api/v1/transform-jobs</code>.</Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <thead><tr><th scope="col">Name</th><th scope="col">Model</th><th scope="col">Status</th><th scope="col">Created</th></tr></thead>
              <tbody>
                {list.items.map((j) => (
                  <tr key={j.name}>
                    <td><Link to={`/transform/${encodeURIComponent(j.name)}`}>{j.name}</Link></td>
                    <td><Link to={`/models/${encodeURIComponent(j.model)}`}>{j.model}</Link></td>
                    <td><Status value={j.status} />{j.failureReason && <div className="small bad-text">{j.failureReason.slice(0, 140)}</div>}</td>
                    <td>{fmtAgo(j.createdAt)}</td>
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
