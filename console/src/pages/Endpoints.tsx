import { api } from '../lib/api.js';
import { usePaged } from '../lib/hooks.js';
import { Link } from '../lib/router.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Empty } from '../components/Empty.js';
import { fmtAgo, Status } from '../components/Status.js';

/** Endpoints: the live inference services. */
export default function Endpoints() {
  const list = usePaged((a) => api.endpoints(a), []);
  return (
    <section>
      <div className="head-row"><h1>Endpoints</h1><button type="button" onClick={list.reload}>Refresh</button></div>
      <div className="card">
        <ErrorNotice error={list.error} onRetry={list.reload} context="Could not list endpoints" />
        {!list.loading && !list.error && list.items.length === 0 ? (
          <Empty title="No endpoints yet">Pick a model on the <Link to="/models">Models</Link> page and choose “Deploy”.</Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <thead><tr><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Variants</th><th scope="col">Updated</th></tr></thead>
              <tbody>
                {list.items.map((e) => (
                  <tr key={e.name}>
                    <td><Link to={`/endpoints/${e.name}`}>{e.name}</Link></td>
                    <td><Status value={e.status} /></td>
                    <td>{e.variants.map((v) => `${v.name} (${v.model})`).join(', ')}</td>
                    <td>{fmtAgo(e.updatedAt)}</td>
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
