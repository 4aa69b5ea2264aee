import { loopApi } from '../lib/loop-api.js';
import { usePaged } from '../lib/hooks.js';
import { Link, useRouter } from '../lib/router.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { StatusFilter } from '../components/StatusFilter.js';
import { Empty } from '../components/Empty.js';
import { fmtAgo, Status } from '../components/Status.js';

const STATUSES = ['InProgress', 'Completed', 'Failed', 'Stopping', 'Stopped'];

/** Evaluation jobs, newest first, filtered by status. */
export default function EvaluationJobs() {
  const { loc } = useRouter();
  const status = loc.query.get('status') ?? '';
  const list = usePaged((a) => loopApi.evaluationJobs({ ...a, status: status || undefined }), [status]);
  return (
    <section>
      <h1>Evaluation jobs</h1>
      <div className="card">
        <StatusFilter status={status} statuses={STATUSES} path="/evaluation" onRefresh={list.reload} />
        <ErrorNotice error={list.error} onRetry={list.reload} context="Could not list evaluation jobs" />
        {!list.loading && !list.error && list.items.length === 0 ? (
          <Empty title={status ? `No ${status} evaluation jobs` : 'No evaluation jobs yet'}>
            An evaluation scores a model on a hold-out share of a dataset, or trains and scores a training spec with k-fold cross-validation.
            Start one with <code>stratus evaluate</code>, the SDK (<code>client.evaluationJobs.create</code>) or <code>POST /api/v1/evaluation-jobs</code>.
          </Empty>
        ) : (
          <div className="table-wrap">
            <table aria-label="Evaluation jobs">
              <thead><tr><th scope="col">Name</th><th scope="col">Model</th><th scope="col">Task</th><th scope="col">Status</th><th scope="col">Created</th></tr></thead>
              <tbody>
                {list.items.map((j) => (
                  <tr key={j.name}>
                    <td><Link to={`/evaluation/${encodeURIComponent(j.name)}`}>{j.name}</Link></td>
                    <td>{j.model ? <Link to={`/models/${encodeURIComponent(j.model)}`}>{j.model}</Link> : <span className="muted">training spec</span>}</td>
                    <td>{j.task ?? '—'}</td>
                    <td><Status value={j.status} /></td>
                    <td title={j.createdAt}>{fmtAgo(j.createdAt)}</td>
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
