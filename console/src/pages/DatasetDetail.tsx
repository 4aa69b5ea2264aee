import { api } from '../lib/api.js';
import { useLoad } from '../lib/hooks.js';
import { Link } from '../lib/router.js';
import type { DatasetVersion } from '../../../src/sdk/types.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Histogram } from '../components/Histogram.js';
import { fmtBytes, fmtNum, fmtTime } from '../components/Status.js';

const PREVIEW_ROWS = 10;

/** The artifact key of a dataset file, from its URI (`…/datasets/<name>/<file>`). */
function keyOf(v: DatasetVersion): string | undefined {
  const i = v.uri.lastIndexOf(`datasets/${v.dataset}/`);
  return i < 0 ? undefined : v.uri.slice(i);
}

function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; }
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { out.push(cur); cur = ''; }
    else cur += c;
  }
  out.push(cur);
  return out;
}

/** The first rows of a CSV or JSON-lines version, read from the start of the file (the rest is not downloaded). */
function Preview({ v }: { v: DatasetVersion }) {
  const key = keyOf(v);
  const canPreview = key && (v.format === 'csv' || v.format === 'jsonl');
  const rows = useLoad(async () => {
    if (!canPreview) return null;
    const text = await api.artifactHead(key, 64 * 1024);
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
    if (text.length >= 64 * 1024) lines.pop(); // the last line may be cut
    const body = v.header ? lines.slice(1) : lines;
    return body.slice(0, PREVIEW_ROWS).map((l) => {
      if (v.format === 'csv') return parseCsvLine(l);
      const obj = JSON.parse(l) as Record<string, unknown>;
      return v.columns.map((c) => String(obj[c.name] ?? ''));
    });
  }, [v.uri]);
  if (!canPreview) return <p className="muted">No preview for {v.format} files; the schema and statistics are below.</p>;
  return (
    <>
      <ErrorNotice error={rows.error} onRetry={rows.reload} context="Could not read the first rows" />
      {rows.data && (
        <div className="table-wrap">
          <table className="compact" aria-label={`First ${rows.data.length} rows`}>
            <thead><tr>{v.columns.map((c) => <th key={c.name} scope="col">{c.name}</th>)}</tr></thead>
            <tbody>{rows.data.map((r, i) => <tr key={i}>{r.map((cell, j) => <td key={j}>{cell}</td>)}</tr>)}</tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** One dataset: versions, the first rows, and per-column statistics with histograms. */
export default function DatasetDetail({ params }: { params: Record<string, string> }) {
  const ds = useLoad(() => api.dataset(params.name), [params.name]);
  const v = ds.data?.latest;
  return (
    <section>
      <p className="crumbs"><Link to="/datasets">Datasets</Link> /</p>
      <h1>{params.name}</h1>
      <ErrorNotice error={ds.error} onRetry={ds.reload} context="Could not load the dataset" />
      {ds.loading && !ds.data && <p className="muted" role="status">Loading…</p>}
      {v && (
        <>
          <dl className="facts">
            <div><dt>Version</dt><dd>v{v.version} of {ds.data!.latestVersion}</dd></div>
            <div><dt>Rows</dt><dd>{v.rows.toLocaleString()}</dd></div>
            <div><dt>Columns</dt><dd>{v.columns.length}</dd></div>
            <div><dt>Format</dt><dd>{v.format}{v.header ? ', with header' : ', no header'}</dd></div>
            <div><dt>Size</dt><dd>{fmtBytes(v.sizeBytes)}</dd></div>
            <div><dt>Uploaded</dt><dd>{fmtTime(v.createdAt)}</dd></div>
          </dl>
          <div className="actions"><Link className="button primary" to={`/training/new?dataset=${encodeURIComponent(v.dataset)}`}>Train on this dataset</Link></div>
          <div className="card">
            <h2>First rows</h2>
            <Preview v={v} />
          </div>
          <div className="card">
            <h2>Columns</h2>
            <div className="table-wrap">
              <table className="compact" aria-label="Column statistics">
                <thead>
                  <tr><th scope="col">Column</th><th scope="col">Type</th><th scope="col">Nulls</th><th scope="col">Distinct</th><th scope="col">Min</th><th scope="col">Mean</th><th scope="col">Max</th><th scope="col">Std</th><th scope="col">Distribution</th></tr>
                </thead>
                <tbody>
                  {v.columns.map((c) => (
                    <tr key={c.name}>
                      <th scope="row">{c.name}</th>
                      <td>{c.type}</td>
                      <td>{fmtNum(c.nullCount)}</td>
                      <td>{fmtNum(c.distinctCount)}</td>
                      <td>{fmtNum(c.min)}</td>
                      <td>{fmtNum(c.mean)}</td>
                      <td>{fmtNum(c.max)}</td>
                      <td>{fmtNum(c.std)}</td>
                      <td>
                        {c.histogram ? <Histogram edges={c.histogram.binEdges} counts={c.histogram.counts} label={c.name} />
                          : c.topValues?.length ? <span className="small">{c.topValues.slice(0, 3).map((t) => `${t.value} (${t.count})`).join(', ')}</span>
                          : <span className="muted">—</span>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
          {ds.data!.versions && ds.data!.versions.length > 1 && (
            <div className="card">
              <h2>Versions</h2>
              <ul className="plain">{ds.data!.versions.map((x) => <li key={x.version}>v{x.version} · {x.rows.toLocaleString()} rows · {fmtBytes(x.sizeBytes)} · {fmtTime(x.createdAt)}</li>)}</ul>
            </div>
          )}
        </>
      )}
    </section>
  );
}
