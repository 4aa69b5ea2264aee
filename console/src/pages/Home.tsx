import { api } from '../lib/api.js';
import { useLoad } from '../lib/hooks.js';
import { Link } from '../lib/router.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Empty } from '../components/Empty.js';
import { fmtAgo, Status } from '../components/Status.js';

const count = (p: { items: unknown[]; nextToken?: string }) => (p.nextToken ? `${p.items.length}+` : String(p.items.length));

/** Home: counts and recent activity, each linking to where to act. */
export default function Home() {
  const summary = useLoad(async () => {
    const [running, failed, endpoints, latest, datasets, transforms, experiments] = await Promise.all([
      api.trainingJobs({ status: 'InProgress', limit: 100 }),
      api.trainingJobs({ status: 'Failed', limit: 100 }),
      api.endpoints({ limit: 100 }),
      api.trainingJobs({ limit: 6 }),
      api.datasets({ limit: 1 }),
      api.transformJobs({ status: 'InProgress', limit: 100 }),
      api.experiments({ limit: 100 }),
    ]);
    return { running, failed, endpoints, latest, datasets, transforms, experiments };
  }, [], { pollMs: 5000 });
  const d = summary.data;
  const inService = d?.endpoints.items.filter((e) => e.status === 'InService') ?? [];
  const deployments = [...(d?.endpoints.items ?? [])].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)).slice(0, 5);
  return (
    <section>
      <h1>Home</h1>
      <ErrorNotice error={summary.error} onRetry={summary.reload} context="Could not load the overview" />
      {d && (
        <>
          <div className="tiles">
            <Link to="/training?status=InProgress" className="tile"><span className="big" data-testid="count-running">{count(d.running)}</span>training jobs running</Link>
            <Link to="/training?status=Failed" className="tile"><span className={`big ${d.failed.items.length ? 'bad' : ''}`}>{count(d.failed)}</span>training jobs failed</Link>
            <Link to="/endpoints" className="tile"><span className="big">{d.endpoints.nextToken ? `${inService.length}+` : inService.length}</span>endpoints in service</Link>
            <Link to="/transform?status=InProgress" className="tile"><span className="big" data-testid="count-transforms">{count(d.transforms)}</span>batch transforms running</Link>
            <Link to="/experiments" className="tile"><span className="big" data-testid="count-experiments">{count(d.experiments)}</span>experiments</Link>
          </div>
          {d.datasets.items.length === 0 && d.latest.items.length === 0 && (
            <Empty title="Nothing here yet">
              Start by <Link to="/datasets">uploading a dataset</Link> (a CSV file with the label in the first column), then
              <Link to="/training/new"> train a model</Link> on it and deploy it as an endpoint.
            </Empty>
          )}
          <div className="grid2">
            <div className="card">
              <h2>Latest training jobs</h2>
              {d.latest.items.length === 0 ? (
                <p className="muted">No training jobs yet. <Link to="/training/new">Start one</Link>.</p>
              ) : (
                <ul className="plain">
                  {d.latest.items.map((j) => (
                    <li key={j.name}><Link to={`/training/${j.name}`}>{j.name}</Link> <Status value={j.status} /> <span className="muted small">{fmtAgo(j.createdAt)}</span></li>
                  ))}
                </ul>
              )}
              <Link to="/training">All training jobs →</Link>
            </div>
            <div className="card">
              <h2>Recent deployments</h2>
              {deployments.length === 0 ? (
                <p className="muted">No endpoints yet. Create a model from a completed job on the <Link to="/models">Models</Link> page, then deploy it.</p>
              ) : (
                <ul className="plain">
                  {deployments.map((e) => (
                    <li key={e.name}><Link to={`/endpoints/${e.name}`}>{e.name}</Link> <Status value={e.status} /> <span className="muted small">updated {fmtAgo(e.updatedAt)}</span></li>
                  ))}
                </ul>
              )}
              <Link to="/endpoints">All endpoints →</Link>
            </div>
          </div>
        </>
      )}
      {!d && summary.loading && <p className="muted" role="status">Loading…</p>}
    </section>
  );
}
