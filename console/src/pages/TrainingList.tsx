import { api } from '../lib/api.js';
import { usePaged } from '../lib/hooks.js';
import { Link, useRouter } from '../lib/router.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { StatusFilter } from '../components/StatusFilter.js';
import { Empty } from '../components/Empty.js';
import { fmtAgo, Status } from '../components/Status.js';

const STATUSES = ['InProgress', 'Completed', 'Failed', 'Stopping', 'Stopped'];

/** Training jobs, newest first, filtered by status, one page at a time. */
export default function TrainingList() {
  const { loc } = useRouter();
  const status = loc.query.get('status') ?? '';
  const list = usePaged((a) => api.trainingJobs({ ...a, status: status || undefined }), [status]);
  return (
    <section>
      <div className="head-row">
        <h1>Training jobs</h1>
        <Link className="button primary" to="/training/new">New training job</Link>
      </div>
      <div className="card">
        <StatusFilter status={status} statuses={STATUSES} path="/training" onRefresh={list.reload} />
        <ErrorNotice error={list.error} onRetry={list.reload} context="Could not list training jobs" />
        {!list.loading && !list.error && list.items.length === 0 ? (
          status ? <Empty title={`No ${status} jobs`}>Choose another status, or <Link to="/training">show all jobs</Link>.</Empty>
            : <Empty title="No training jobs yet"><Link to="/training/new">Start a training job</Link> on a dataset (upload one on the <Link to="/datasets">Datasets</Link> page first).</Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <thead><tr><th scope="col">Name</th><th scope="col">Algorithm</th><th scope="col">Status</th><th scope="col">Created</th></tr></thead>
              <tbody>
                {list.items.map((j) => (
                  <tr key={j.name}>
                    <td><Link to={`/training/${j.name}`}>{j.name}</Link></td>
                    <td>{j.algorithm ?? 'script'}</td>
                    <td><Status value={j.status} secondary={j.status === 'InProgress' ? j.secondaryStatus : undefined} />{j.failureReason && <div className="small bad-text">{j.failureReason.slice(0, 140)}</div>}</td>
                    <td>{fmtAgo(j.createdAt)}</td>
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
