import { usePaged } from '../lib/hooks.js';
import { loopApi } from '../lib/loop-api.js';
import { Link } from '../lib/router.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Empty } from '../components/Empty.js';
import { fmtAgo } from '../components/Status.js';

/** Pipelines: named, versioned DAGs of steps. */
export default function Pipelines() {
  const list = usePaged((a) => loopApi.pipelines(a), []);
  return (
    <section>
      <h1>Pipelines</h1>
      <div className="card">
        <ErrorNotice error={list.error} onRetry={list.reload} context="Could not list pipelines" />
        {!list.loading && !list.error && list.items.length === 0 ? (
          <Empty title="No pipelines yet">
            A pipeline chains processing, training, evaluation, condition, register, deploy and transform steps. Define one in JSON or YAML with
            <code> stratus pipelines create -f pipeline.yaml</code>, the SDK&apos;s pipeline builder, or <code>POST /api/v1/pipelines</code>.
          </Empty>
        ) : (
          <div className="table-wrap">
            <table aria-label="Pipelines">
              <thead><tr><th scope="col">Name</th><th scope="col">Version</th><th scope="col">Created</th><th scope="col">Updated</th></tr></thead>
              <tbody>
                {list.items.map((p) => (
                  <tr key={p.name}>
                    <td><Link to={`/pipelines/${encodeURIComponent(p.name)}`}>{p.name}</Link></td>
                    <td>v{p.latestVersion}</td>
                    <td title={p.createdAt}>{fmtAgo(p.createdAt)}</td>
                    <td title={p.updatedAt}>{fmtAgo(p.updatedAt)}</td>
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
