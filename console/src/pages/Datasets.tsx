import { useRef, useState, type FormEvent } from 'react';
import { api, uploadDataset } from '../lib/api.js';
import { usePaged } from '../lib/hooks.js';
import { Link, useRouter } from '../lib/router.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Empty } from '../components/Empty.js';
import { fmtAgo, fmtBytes } from '../components/Status.js';

const NAME_RE = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const nameFromFile = (f: string) => f.replace(/\.[^.]+$/, '').replace(/[^a-zA-Z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63) || 'dataset';

function Upload({ onDone }: { onDone: () => void }) {
  const { navigate } = useRouter();
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState('');
  const [header, setHeader] = useState<'auto' | 'true' | 'false'>('auto');
  const [progress, setProgress] = useState<{ sent: number; total: number } | null>(null);
  const [phase, setPhase] = useState<'idle' | 'uploading' | 'describing'>('idle');
  const [error, setError] = useState<unknown>();
  const abort = useRef<AbortController | null>(null);
  const nameError = name && !NAME_RE.test(name) ? 'Letters, digits and single hyphens; starts and ends with a letter or digit; at most 63 characters.' : '';
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file || !name || nameError) return;
    setError(undefined);
    setPhase('uploading');
    setProgress({ sent: 0, total: file.size });
    abort.current = new AbortController();
    try {
      const v = await uploadDataset(name, file, {
        header,
        signal: abort.current.signal,
        onProgress: (sent, total) => {
          setProgress({ sent, total });
          if (sent >= total) setPhase('describing');
        },
      });
      onDone();
      navigate(`/datasets/${v.dataset}`);
    } catch (err) {
      setError(err);
    } finally {
      setPhase('idle');
      abort.current = null;
    }
  };
  const pct = progress && progress.total ? Math.round((progress.sent / progress.total) * 100) : 0;
  return (
    <form className="card" onSubmit={submit} aria-labelledby="upload-title">
      <h2 id="upload-title">Upload a dataset</h2>
      <p className="muted small">CSV (label in the first column, no header — the SageMaker convention — or a header with a target column), Parquet or JSON lines. Uploading to an existing name adds a version.</p>
      <div className="row">
        <div className="field">
          <label htmlFor="ds-file">File</label>
          <input id="ds-file" type="file" accept=".csv,.parquet,.jsonl,.ndjson,text/csv" onChange={(e) => {
            const f = e.target.files?.[0] ?? null;
            setFile(f);
            if (f && !name) setName(nameFromFile(f.name));
          }} />
        </div>
        <div className="field">
          <label htmlFor="ds-name">Dataset name</label>
          <input id="ds-name" value={name} onChange={(e) => setName(e.target.value)} aria-invalid={!!nameError} aria-describedby="ds-name-err" />
          <span id="ds-name-err" className="field-error">{nameError}</span>
        </div>
        <div className="field">
          <label htmlFor="ds-header">Header row</label>
          <select id="ds-header" value={header} onChange={(e) => setHeader(e.target.value as typeof header)}>
            <option value="auto">Detect</option>
            <option value="true">First row is a header</option>
            <option value="false">No header</option>
          </select>
        </div>
      </div>
      <div className="actions">
        <button type="submit" className="primary" disabled={!file || !name || !!nameError || phase !== 'idle'}>Upload</button>
        {phase !== 'idle' && <button type="button" onClick={() => abort.current?.abort()}>Cancel</button>}
      </div>
      {progress && phase !== 'idle' && (
        <div className="progress-wrap">
          <progress max={100} value={pct} aria-label="Upload progress" />
          <span className="small" role="status">
            {phase === 'uploading' ? `${pct}% · ${fmtBytes(progress.sent)} of ${fmtBytes(progress.total)}` : 'Uploaded; inferring schema and statistics…'}
          </span>
        </div>
      )}
      <ErrorNotice error={error} context="Upload failed" />
    </form>
  );
}

/** Datasets: upload with progress, and the paginated list. */
export default function Datasets() {
  const list = usePaged((a) => api.datasets(a), []);
  return (
    <section>
      <h1>Datasets</h1>
      <Upload onDone={list.reload} />
      <div className="card">
        <h2>All datasets</h2>
        <ErrorNotice error={list.error} onRetry={list.reload} context="Could not list datasets" />
        {!list.loading && !list.error && list.items.length === 0 ? (
          <Empty title="No datasets yet">Upload a CSV file above. Training jobs read their channels from datasets.</Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <thead><tr><th scope="col">Name</th><th scope="col">Latest version</th><th scope="col">Updated</th></tr></thead>
              <tbody>
                {list.items.map((d) => (
                  <tr key={d.name}><td><Link to={`/datasets/${d.name}`}>{d.name}</Link></td><td>v{d.latestVersion}</td><td>{fmtAgo(d.updatedAt)}</td></tr>
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
