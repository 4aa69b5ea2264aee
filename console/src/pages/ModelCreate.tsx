import { useState, type FormEvent } from 'react';
import { api, uploadArtifact } from '../lib/api.js';
import { useLoad } from '../lib/hooks.js';
import { useRouter } from '../lib/router.js';
import type { CreateModelRequest, ModelRuntime } from '../../../src/sdk/types.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { fmtBytes } from '../components/Status.js';

const NAME_RE = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const ENV_RE = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const RUNTIMES: [ModelRuntime, string][] = [
  ['builtin', 'Built-in algorithm (its model.tar.gz)'],
  ['onnx', 'ONNX (a .onnx file, or one in a model.tar.gz)'],
  ['python', 'Python handlers (inference.py: model_fn, predict_fn…)'],
  ['container', 'Your own HTTP server (GET /ping, POST /invocations)'],
];

/** KEY=VALUE lines → an environment object, or the first bad line. */
function parseEnv(text: string): { env: Record<string, string>; bad?: string } {
  const env: Record<string, string> = {};
  for (const line of text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean)) {
    const eq = line.indexOf('=');
    const k = eq > 0 ? line.slice(0, eq).trim() : '';
    if (!ENV_RE.test(k)) return { env, bad: line };
    env[k] = line.slice(eq + 1);
  }
  return { env };
}

interface Progress { label: string; sent: number; total: number }

/** Create a model from files uploaded here: the artifact (and code, for python/container), then POST /models. */
export function ModelCreate({ onCancel }: { onCancel: () => void }) {
  const { navigate } = useRouter();
  const algos = useLoad(() => api.algorithms(), []);
  const [name, setName] = useState('');
  const [runtime, setRuntime] = useState<ModelRuntime>('builtin');
  const [algorithm, setAlgorithm] = useState('xgboost');
  const [file, setFile] = useState<File | null>(null);
  const [code, setCode] = useState<File | null>(null);
  const [entryPoint, setEntryPoint] = useState('');
  const [envText, setEnvText] = useState('');
  const [progress, setProgress] = useState<Progress | null>(null);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const env = parseEnv(envText);
  const problems = [
    !NAME_RE.test(name) && 'model name (letters, digits and hyphens, up to 63)',
    !file && 'the model file',
    runtime === 'builtin' && !algorithm && 'the algorithm',
    runtime === 'container' && !code && 'the code bundle',
    runtime === 'container' && !entryPoint.trim() && 'the entry point',
    env.bad && `environment line “${env.bad}”`,
  ].filter(Boolean) as string[];
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (problems.length || !file) return;
    setBusy(true);
    setError(undefined);
    try {
      setProgress({ label: file.name, sent: 0, total: file.size });
      const art = await uploadArtifact(`models/${name}/${file.name}`, file, { onProgress: (sent, total) => setProgress({ label: file.name, sent, total }) });
      let source: string | undefined;
      if (code && (runtime === 'python' || runtime === 'container')) {
        setProgress({ label: code.name, sent: 0, total: code.size });
        source = (await uploadArtifact(`models/${name}/code/${code.name}`, code, { onProgress: (sent, total) => setProgress({ label: code.name, sent, total }) })).uri;
      }
      setProgress(null);
      const req: CreateModelRequest = {
        name, artifactUri: art.uri, runtime,
        ...(runtime === 'builtin' ? { algorithm } : {}),
        ...(source ? { source } : {}),
        ...((runtime === 'python' || runtime === 'container') && entryPoint.trim() ? { entryPoint: entryPoint.trim() } : {}),
        ...(Object.keys(env.env).length && runtime !== 'builtin' ? { environment: env.env } : {}),
      };
      await api.createModelFrom(req);
      navigate(`/models/${encodeURIComponent(name)}`);
    } catch (err) {
      setError(err);
      setProgress(null);
    } finally {
      setBusy(false);
    }
  };
  const needsCode = runtime === 'python' || runtime === 'container';
  return (
    <form className="card" onSubmit={submit} aria-labelledby="new-model-title">
      <h2 id="new-model-title">Create a model from a file</h2>
      <div className="row">
        <div className="field">
          <label htmlFor="nm-name">Model name</label>
          <input id="nm-name" value={name} onChange={(e) => setName(e.target.value)} aria-invalid={name !== '' && !NAME_RE.test(name)} />
        </div>
        <div className="field">
          <label htmlFor="nm-runtime">Runtime</label>
          <select id="nm-runtime" value={runtime} onChange={(e) => setRuntime(e.target.value as ModelRuntime)}>
            {RUNTIMES.map(([r, t]) => <option key={r} value={r}>{t}</option>)}
          </select>
        </div>
        {runtime === 'builtin' && (
          <div className="field">
            <label htmlFor="nm-algo">Algorithm</label>
            <select id="nm-algo" value={algorithm} onChange={(e) => setAlgorithm(e.target.value)}>
              {(algos.data?.items ?? [{ name: 'xgboost' }]).map((a) => <option key={a.name} value={a.name}>{a.name}</option>)}
            </select>
          </div>
        )}
      </div>
      <div className="row">
        <div className="field">
          <label htmlFor="nm-file">Model file {runtime === 'onnx' ? '(.onnx or model.tar.gz)' : '(model.tar.gz)'}</label>
          <input id="nm-file" type="file" accept={runtime === 'onnx' ? '.onnx,.gz,.tgz' : '.gz,.tgz,.tar,.onnx,.json'}
            onChange={(e) => { const f = e.target.files?.[0] ?? null; setFile(f); if (f && !name) setName(f.name.replace(/\.(tar\.gz|tgz|onnx|json)$/i, '').replace(/[^a-zA-Z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63)); }} />
          {file && <span className="help">{file.name} · {fmtBytes(file.size)}</span>}
        </div>
        {needsCode && (
          <div className="field">
            <label htmlFor="nm-code">Code bundle (.tar.gz){runtime === 'python' ? ' — optional: else the artifact’s code/ folder' : ''}</label>
            <input id="nm-code" type="file" accept=".gz,.tgz,.tar" onChange={(e) => setCode(e.target.files?.[0] ?? null)} />
          </div>
        )}
        {needsCode && (
          <div className="field">
            <label htmlFor="nm-entry">Entry point{runtime === 'python' ? ' (default inference.py)' : ''}</label>
            <input id="nm-entry" value={entryPoint} placeholder={runtime === 'python' ? 'inference.py' : 'serve.py'} onChange={(e) => setEntryPoint(e.target.value)} />
          </div>
        )}
      </div>
      {needsCode && (
        <div className="field">
          <label htmlFor="nm-env">Environment (KEY=value, one per line; optional)</label>
          <textarea id="nm-env" rows={2} value={envText} onChange={(e) => setEnvText(e.target.value)} spellCheck={false} />
        </div>
      )}
      {progress && (
        <div className="progress-wrap" role="status">
          <progress max={progress.total || 1} value={progress.sent} aria-label={`Uploading ${progress.label}`} />
          <span className="small">Uploading {progress.label}: {fmtBytes(progress.sent)} of {fmtBytes(progress.total)}</span>
        </div>
      )}
      {problems.length > 0 && (name || file) && <p className="field-error" role="alert">Still needed: {problems.join(', ')}.</p>}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || problems.length > 0}>{busy ? 'Creating…' : 'Upload and create model'}</button>
        <button type="button" onClick={onCancel}>Cancel</button>
      </div>
      <ErrorNotice error={algos.error} onRetry={algos.reload} context="Could not load the algorithms" />
      <ErrorNotice error={error} context="Could not create the model" />
    </form>
  );
}
