import { useMemo, useState } from 'react';
import { api } from '../lib/api.js';
import { useLoad, usePaged } from '../lib/hooks.js';
import { Link, useRouter } from '../lib/router.js';
import type { Run } from '../../../src/sdk/types.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Empty } from '../components/Empty.js';
import { LineChart } from '../components/LineChart.js';
import { fmtAgo, fmtNum, Status } from '../components/Status.js';

type Order = 'asc' | 'desc';
const MAX_COMPARE = 20;
const defaultOrder = (sortBy: string): Order => (sortBy === 'createdAt' ? 'desc' : 'asc');

/** A column header that sorts the runs on the server when clicked (a button, so the keyboard reaches it). */
function SortHeader({ label, sortKey, sortBy, order, onSort, title }: {
  label: string; sortKey: string; sortBy: string; order: Order; onSort: (key: string) => void; title?: string;
}) {
  const active = sortBy === sortKey;
  return (
    <th scope="col" aria-sort={active ? (order === 'asc' ? 'ascending' : 'descending') : 'none'} title={title}>
      <button type="button" className="sort" onClick={() => onSort(sortKey)}>
        {label}<span aria-hidden="true" className="sort-mark">{active ? (order === 'asc' ? ' ▲' : ' ▼') : ' ↕'}</span>
      </button>
    </th>
  );
}

/** The metric curves of the chosen runs, one colour per run, on one chart. */
function Overlay({ runs }: { runs: string[] }) {
  const series = useLoad(() => Promise.all(runs.map((r) => api.metrics(r).then((m) => ({ run: r, points: m.metrics })))), [runs.join(',')]);
  const names = useMemo(() => [...new Set((series.data ?? []).flatMap((s) => s.points.map((p) => p.name)))].sort(), [series.data]);
  const [metric, setMetric] = useState('');
  const chosen = names.includes(metric) ? metric : (names.find((n) => n.startsWith('validation:')) ?? names[0] ?? '');
  const lines = (series.data ?? []).map((s) => ({
    label: s.run,
    points: s.points.filter((p) => p.name === chosen && Number.isFinite(p.value)).map((p) => ({ x: p.step, y: p.value })).sort((a, b) => a.x - b.x),
  })).filter((s) => s.points.length > 0);
  return (
    <div className="card">
      <div className="head-row">
        <h2>Metric curves</h2>
        {names.length > 0 && (
          <div className="field inline">
            <label htmlFor="overlay-metric">Metric</label>
            <select id="overlay-metric" value={chosen} onChange={(e) => setMetric(e.target.value)}>
              {names.map((n) => <option key={n} value={n}>{n}</option>)}
            </select>
          </div>
        )}
      </div>
      <ErrorNotice error={series.error} onRetry={series.reload} context="Could not load the runs' metrics" />
      {series.loading && !series.data ? <p className="muted" role="status">Loading curves…</p>
        : names.length === 0 ? <p className="muted">These runs reported no metrics.</p>
          : lines.length === 0 ? <p className="muted">None of the chosen runs reported {chosen}.</p>
            : (
              <>
                <LineChart id="overlay" title={`${chosen} by run`} series={lines} xLabel="epoch / step" />
                {lines.length < runs.length && <p className="muted small">Runs without {chosen}: {runs.filter((r) => !lines.some((l) => l.label === r)).join(', ')}.</p>}
              </>
            )}
    </div>
  );
}

/** Params and final metrics of the chosen runs side by side; rows whose values differ are highlighted. */
function Compare({ experiment, runs }: { experiment: string; runs: string[] }) {
  const cmp = useLoad(() => api.compareRuns(experiment, runs), [experiment, runs.join(',')]);
  const [onlyDiff, setOnlyDiff] = useState(false);
  const c = cmp.data;
  const rows = (kind: 'params' | 'metrics') => (c?.[kind] ?? []).filter((r) => !onlyDiff || r.differs);
  return (
    <div className="card">
      <div className="head-row">
        <h2>Compare</h2>
        <label className="check"><input type="checkbox" checked={onlyDiff} onChange={(e) => setOnlyDiff(e.target.checked)} /> Only rows that differ</label>
      </div>
      <ErrorNotice error={cmp.error} onRetry={cmp.reload} context="Could not compare the runs" />
      {c && (
        <div className="table-wrap">
          <table className="compact compare" aria-label="Run comparison">
            <thead><tr><th scope="col">Name</th>{c.runs.map((r) => <th scope="col" key={r}>{r}</th>)}</tr></thead>
            {(['params', 'metrics'] as const).map((kind) => (
              <tbody key={kind}>
                <tr className="group"><th scope="rowgroup" colSpan={c.runs.length + 1}>{kind === 'params' ? 'Parameters' : 'Final metrics'}</th></tr>
                {rows(kind).length === 0 && <tr><td colSpan={c.runs.length + 1} className="muted">{onlyDiff ? 'All the same.' : 'None.'}</td></tr>}
                {rows(kind).map((r) => (
                  <tr key={r.name} className={r.differs ? 'differs' : undefined} data-differs={r.differs || undefined}>
                    <th scope="row">{r.name}{r.differs && <span className="sr-only"> (differs)</span>}</th>
                    {r.values.map((v, i) => <td key={i}>{v === null ? '—' : fmtNum(v)}</td>)}
                  </tr>
                ))}
              </tbody>
            ))}
          </table>
        </div>
      )}
    </div>
  );
}

/** One experiment: its runs as a table sorted by the server, and chosen runs overlaid and compared. */
export default function ExperimentPage({ params }: { params: Record<string, string> }) {
  const name = params.name;
  const { loc, navigate } = useRouter();
  const sortBy = loc.query.get('sort') || 'createdAt';
  const order: Order = loc.query.get('order') === 'asc' || loc.query.get('order') === 'desc' ? (loc.query.get('order') as Order) : defaultOrder(sortBy);
  const list = usePaged((a) => api.runs(name, { ...a, sortBy, order }), [name, sortBy, order], 50);
  const [selected, setSelected] = useState<string[]>([]);
  const onSort = (key: string) => {
    const next: Order = key === sortBy ? (order === 'asc' ? 'desc' : 'asc') : defaultOrder(key);
    navigate(`/experiments/${encodeURIComponent(name)}?sort=${encodeURIComponent(key)}&order=${next}`, true);
  };
  const toggle = (run: string, on: boolean) => setSelected((s) => (on ? [...s.filter((x) => x !== run), run].slice(-MAX_COMPARE) : s.filter((x) => x !== run)));
  const runs = list.items;
  const metricNames = useMemo(() => [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort(), [runs]);
  // Params that differ between the listed runs (all of them when there is one run), so the table stays narrow.
  const paramNames = useMemo(() => {
    const all = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
    if (runs.length < 2) return all.slice(0, 8);
    return all.filter((p) => new Set(runs.map((r) => r.params[p])).size > 1).slice(0, 12);
  }, [runs]);
  const head = (label: string, key: string, title?: string) => <SortHeader key={key} label={label} sortKey={key} sortBy={sortBy} order={order} onSort={onSort} title={title} />;
  const cell = (r: Run, m: string) => (r.metrics[m] === undefined ? '—' : r.metrics[m] === null ? 'NaN' : fmtNum(r.metrics[m]));
  return (
    <section>
      <p className="crumbs"><Link to="/experiments">Experiments</Link> /</p>
      <h1>{name}</h1>
      <div className="card">
        <div className="head-row">
          <h2>Runs</h2>
          <span className="small muted" role="status">{selected.length ? `${selected.length} selected` : 'Select runs to overlay their curves and compare them.'}</span>
          {selected.length > 0 && <button type="button" className="link" onClick={() => setSelected([])}>Clear selection</button>}
          <button type="button" onClick={list.reload}>Refresh</button>
        </div>
        <ErrorNotice error={list.error} onRetry={list.reload} context="Could not list the runs" />
        {!list.loading && !list.error && runs.length === 0 ? (
          <Empty title="No runs in this experiment">Start a training job with experiment “{name}” (or check the name).</Empty>
        ) : (
          <div className="table-wrap">
            <table className="runs" aria-label="Runs">
              <thead>
                <tr>
                  <th scope="col"><span className="sr-only">Select</span></th>
                  {head('Run', 'name')}
                  <th scope="col">Status</th>
                  {head('Created', 'createdAt')}
                  {metricNames.map((m) => head(m, `metric:${m}`, `final ${m}`))}
                  {paramNames.map((p) => head(p, `param:${p}`, `param ${p}`))}
                </tr>
              </thead>
              <tbody>
                {runs.map((r) => (
                  <tr key={r.name} className={selected.includes(r.name) ? 'selected' : undefined}>
                    <td><input type="checkbox" aria-label={`Select run ${r.name}`} checked={selected.includes(r.name)} onChange={(e) => toggle(r.name, e.target.checked)} /></td>
                    <td><Link to={`/training/${encodeURIComponent(r.name)}`}>{r.name}</Link> <span className="muted small">{r.algorithm ?? r.entryPoint ?? ''}</span></td>
                    <td><Status value={r.status} /></td>
                    <td>{fmtAgo(r.createdAt)}</td>
                    {metricNames.map((m) => <td key={m} className="num-cell">{cell(r, m)}</td>)}
                    {paramNames.map((p) => <td key={p}>{r.params[p] ?? '—'}</td>)}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {list.loading && runs.length === 0 && <p className="muted" role="status">Loading…</p>}
        {list.hasMore && <button type="button" onClick={() => void list.loadMore()} disabled={list.loading}>Load more</button>}
      </div>
      {selected.length > 0 && (
        <>
          <Overlay runs={selected} />
          <Compare experiment={name} runs={selected} />
        </>
      )}
    </section>
  );
}
