import { lazy, Suspense, useEffect, useRef, useState, type ComponentType } from 'react';
import { onUnauthorized, tokenStore } from './lib/api.js';
import { Link, match, Router, useRouter } from './lib/router.js';
import { Login } from './pages/Login.js';

// One chunk per page: the first screen loads only what it shows.
const Home = lazy(() => import('./pages/Home.js'));
const Datasets = lazy(() => import('./pages/Datasets.js'));
const DatasetDetail = lazy(() => import('./pages/DatasetDetail.js'));
const TrainingList = lazy(() => import('./pages/TrainingList.js'));
const TrainingCreate = lazy(() => import('./pages/TrainingCreate.js'));
const TrainingJobPage = lazy(() => import('./pages/TrainingJob.js'));
const Models = lazy(() => import('./pages/Models.js'));
const Endpoints = lazy(() => import('./pages/Endpoints.js'));
const EndpointDetail = lazy(() => import('./pages/EndpointDetail.js'));
const ModelDetail = lazy(() => import('./pages/ModelDetail.js'));
const Experiments = lazy(() => import('./pages/Experiments.js'));
const ExperimentPage = lazy(() => import('./pages/Experiment.js'));
const TransformJobs = lazy(() => import('./pages/TransformJobs.js'));
const TransformJobPage = lazy(() => import('./pages/TransformJob.js'));
const EvaluationJobs = lazy(() => import('./pages/EvaluationJobs.js'));
const EvaluationJobPage = lazy(() => import('./pages/EvaluationJob.js'));
const Registry = lazy(() => import('./pages/Registry.js'));
const RegistryGroup = lazy(() => import('./pages/RegistryGroup.js'));
const Pipelines = lazy(() => import('./pages/Pipelines.js'));
const PipelineDetail = lazy(() => import('./pages/PipelineDetail.js'));
const PipelineExecutionPage = lazy(() => import('./pages/PipelineExecution.js'));
const Monitoring = lazy(() => import('./pages/Monitoring.js'));
const MonitoringSchedulePage = lazy(() => import('./pages/MonitoringSchedule.js'));

type Page = ComponentType<{ params: Record<string, string> }>;
const ROUTES: [string, Page, string][] = [
  ['/', Home, 'Home'],
  ['/datasets', Datasets, 'Datasets'],
  ['/datasets/:name', DatasetDetail, 'Dataset'],
  ['/training', TrainingList, 'Training jobs'],
  ['/training/new', TrainingCreate, 'New training job'],
  ['/training/:name', TrainingJobPage, 'Training job'],
  ['/experiments', Experiments, 'Experiments'],
  ['/experiments/:name', ExperimentPage, 'Experiment'],
  ['/models', Models, 'Models'],
  ['/models/:name', ModelDetail, 'Model'],
  ['/transform', TransformJobs, 'Batch transform jobs'],
  ['/transform/:name', TransformJobPage, 'Batch transform job'],
  ['/endpoints', Endpoints, 'Endpoints'],
  ['/endpoints/:name', EndpointDetail, 'Endpoint'],
  ['/evaluation', EvaluationJobs, 'Evaluation jobs'],
  ['/evaluation/:name', EvaluationJobPage, 'Evaluation job'],
  ['/registry', Registry, 'Model registry'],
  ['/registry/:group', RegistryGroup, 'Model package group'],
  ['/pipelines', Pipelines, 'Pipelines'],
  ['/pipelines/:name', PipelineDetail, 'Pipeline'],
  ['/pipelines/:name/executions/:id', PipelineExecutionPage, 'Pipeline execution'],
  ['/monitoring', Monitoring, 'Monitoring'],
  ['/monitoring/:name', MonitoringSchedulePage, 'Monitoring schedule'],
];

const NAV: [string, string][] = [
  ['/', 'Home'], ['/datasets', 'Datasets'], ['/training', 'Training'], ['/experiments', 'Experiments'], ['/evaluation', 'Evaluation'],
  ['/models', 'Models'], ['/registry', 'Registry'], ['/pipelines', 'Pipelines'], ['/endpoints', 'Endpoints'], ['/monitoring', 'Monitoring'], ['/transform', 'Batch'],
];

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>There is no console page at this address. <Link to="/">Go to the home page</Link>.</p>
    </section>
  );
}

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const { loc } = useRouter();
  const mainRef = useRef<HTMLElement>(null);
  let found: { Page: Page; params: Record<string, string>; title: string } | undefined;
  for (const [pattern, Page, title] of ROUTES) {
    const params = match(pattern, loc.path);
    if (params) {
      found = { Page, params, title };
      break;
    }
  }
  const section = '/' + (loc.path.split('/')[1] ?? '');
  useEffect(() => {
    document.title = `${found?.title ?? 'Not found'} · Stratus`;
    // Move focus to the new page's content, as a full page load would, for keyboard and screen-reader users.
    mainRef.current?.focus({ preventScroll: true });
  }, [loc.path, found?.title]);
  return (
    <div className="shell">
      <a className="skip" href="#main">Skip to content</a>
      <header className="topbar">
        <Link to="/" className="brand">Stratus</Link>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([to, label]) => (
              <li key={to}><Link to={to} aria-current={section === to ? 'page' : undefined}>{label}</Link></li>
            ))}
          </ul>
        </nav>
        <button type="button" className="link" onClick={onSignOut}>Sign out</button>
      </header>
      <main id="main" ref={mainRef} tabIndex={-1}>
        <Suspense fallback={<p className="muted" role="status">Loading…</p>}>
          {found ? <found.Page key={loc.path} params={found.params} /> : <NotFound />}
        </Suspense>
      </main>
    </div>
  );
}

export function App() {
  const [token, setToken] = useState(tokenStore.get());
  const [expired, setExpired] = useState(false);
  useEffect(
    () => onUnauthorized(() => {
      tokenStore.clear();
      setExpired(true);
      setToken(null);
    }),
    [],
  );
  return (
    <Router>
      {token ? (
        <Shell onSignOut={() => { tokenStore.clear(); setExpired(false); setToken(null); }} />
      ) : (
        <Login expired={expired} onSignedIn={(t) => { tokenStore.set(t); setExpired(false); setToken(t); }} />
      )}
    </Router>
  );
}
