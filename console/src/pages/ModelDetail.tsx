import { useState } from 'react';
import { api, saveBlob } from '../lib/api.js';
import { useLoad } from '../lib/hooks.js';
import { Link } from '../lib/router.js';
import { Bars } from '../components/Bars.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { fmtTime } from '../components/Status.js';

const IMPORTANCE_TYPES = ['gain', 'weight', 'cover', 'total_gain', 'total_cover'];
const EXPORTS: [string, string][] = [['onnx', 'ONNX'], ['xgboost-json', 'XGBoost JSON']];

function FeatureImportancePanel({ name }: { name: string }) {
  const [type, setType] = useState('gain');
  const fi = useLoad(() => api.featureImportance(name, type), [name, type]);
  return (
    <div className="card">
      <div className="head-row">
        <h2>Feature importance</h2>
        <div className="field inline">
          <label htmlFor="fi-type">Type</label>
          <select id="fi-type" value={type} onChange={(e) => setType(e.target.value)}>
            {IMPORTANCE_TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
        </div>
      </div>
      <ErrorNotice error={fi.error} onRetry={fi.reload} context="Could not load the feature importance" />
      {fi.data && (fi.data.features.length === 0 ? <p className="muted">The model uses no feature (a single-leaf model).</p>
        : <Bars title={`Importance by ${fi.data.type}`} items={fi.data.features.map((f) => ({ label: f.feature, value: f.value }))} />)}
      {fi.loading && !fi.data && <p className="muted" role="status">Loading…</p>}
    </div>
  );
}

/** One model: how it is served, where it came from, its feature importance (xgboost) and exports. */
export default function ModelDetail({ params }: { params: Record<string, string> }) {
  const name = params.name;
  const m = useLoad(() => api.model(name), [name]);
  const [exporting, setExporting] = useState('');
  const [exportError, setExportError] = useState<unknown>();
  const d = m.data;
  const xgb = d?.algorithm === 'xgboost';
  const doExport = async (format: string) => {
    setExporting(format);
    setExportError(undefined);
    try {
      const { blob, fileName } = await api.exportModel(name, format);
      saveBlob(blob, fileName ?? `${name}.${format === 'onnx' ? 'onnx' : 'json'}`);
    } catch (err) {
      setExportError(err);
    } finally {
      setExporting('');
    }
  };
  return (
    <section>
      <p className="crumbs"><Link to="/models">Models</Link> /</p>
      <div className="head-row">
        <h1>{name}</h1>
        {d && <Link className="button primary" to={`/models?deploy=${encodeURIComponent(name)}`}>Deploy</Link>}
      </div>
      <ErrorNotice error={m.error} onRetry={m.reload} context="Could not load the model" />
      {d && (
        <>
          <div className="card">
            <h2>Serving</h2>
            <dl className="facts">
              <div><dt>Runtime</dt><dd data-testid="model-runtime">{d.runtime}</dd></div>
              {d.algorithm && <div><dt>Algorithm</dt><dd>{d.algorithm}</dd></div>}
              {d.entryPoint && <div><dt>Entry point</dt><dd><code>{d.entryPoint}</code></dd></div>}
              {d.command && <div><dt>Command</dt><dd><code>{d.command.join(' ')}</code></dd></div>}
              <div><dt>From</dt><dd>{d.trainingJob ? <Link to={`/training/${encodeURIComponent(d.trainingJob)}`}>{d.trainingJob}</Link> : 'an uploaded artifact'}</dd></div>
              <div><dt>Created</dt><dd>{fmtTime(d.createdAt)}</dd></div>
            </dl>
            <dl className="facts">
              <div><dt>Artifact</dt><dd><code>{d.artifactUri}</code></dd></div>
              {d.source && <div><dt>Code</dt><dd><code>{d.source}</code></dd></div>}
            </dl>
            {d.environment && Object.keys(d.environment).length > 0 && (
              <div className="table-wrap"><table className="compact" aria-label="Environment"><tbody>
                {Object.entries(d.environment).map(([k, v]) => <tr key={k}><th scope="row">{k}</th><td>{v}</td></tr>)}
              </tbody></table></div>
            )}
          </div>
          {xgb && (
            <div className="card">
              <h2>Export</h2>
              <p className="muted small">Download the model in a portable format.</p>
              <div className="actions">
                {EXPORTS.map(([f, label]) => (
                  <button type="button" key={f} onClick={() => void doExport(f)} disabled={!!exporting}>{exporting === f ? 'Preparing…' : `Download ${label}`}</button>
                ))}
              </div>
              <ErrorNotice error={exportError} context="Could not export the model" />
            </div>
          )}
          {xgb ? <FeatureImportancePanel name={name} /> : (
            <div className="card"><h2>Feature importance</h2><p className="muted">Feature importance is available for xgboost models.</p></div>
          )}
        </>
      )}
    </section>
  );
}
