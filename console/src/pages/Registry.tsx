import { usePaged } from '../lib/hooks.js';
import { loopApi } from '../lib/loop-api.js';
import { Link } from '../lib/router.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Empty } from '../components/Empty.js';
import { fmtAgo } from '../components/Status.js';

/** The model registry: model package groups, each a versioned line of one model. */
export default function Registry() {
  const list = usePaged((a) => loopApi.groups(a), []);
  return (
    <section>
      <h1>Model registry</h1>
      <div className="card">
        <p className="muted small">A group holds the versions of one model, each with its approval status, lineage and evaluation. Aliases such as <code>production</code> point at a version.</p>
        <ErrorNotice error={list.error} onRetry={list.reload} context="Could not list model package groups" />
        {!list.loading && !list.error && list.items.length === 0 ? (
          <Empty title="No model package groups yet">
            Register a model with <code>stratus registry register</code>, the SDK (<code>client.modelPackageGroups</code>), a pipeline&apos;s register-model step, or <code>POST /api/v1/model-package-groups</code>.
          </Empty>
        ) : (
          <div className="table-wrap">
            <table aria-label="Model package groups">
              <thead><tr><th scope="col">Group</th><th scope="col">Latest version</th><th scope="col">Description</th><th scope="col">Updated</th></tr></thead>
              <tbody>
                {list.items.map((g) => (
                  <tr key={g.name}>
                    <td><Link to={`/registry/${encodeURIComponent(g.name)}`}>{g.name}</Link></td>
                    <td>{g.latestVersion ? `v${g.latestVersion}` : 'none yet'}</td>
                    <td className="wrap">{g.description ?? <span className="muted">—</span>}</td>
                    <td title={g.updatedAt}>{fmtAgo(g.updatedAt)}</td>
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
