import { useState, type FormEvent } from 'react';
import { api, listAll } from '../lib/api.js';
import { useLoad, usePaged } from '../lib/hooks.js';
import { Link, useRouter } from '../lib/router.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Empty } from '../components/Empty.js';
import { fmtAgo } from '../components/Status.js';
import { ModelCreate } from './ModelCreate.js';

const NAME_RE = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
interface VariantDraft { name: string; model: string; weight: string; instanceCount: string }

/** Deploy: an endpoint config with one or more variants, then the endpoint, in one submit. */
function Deploy({ initialModel, onCancel }: { initialModel: string; onCancel: () => void }) {
  const { navigate } = useRouter();
  const models = useLoad(() => listAll((a) => api.models(a)), []);
  const [name, setName] = useState(`${initialModel}-ep`.replace(/-model-ep$/, '-ep').slice(0, 63));
  const [variants, setVariants] = useState<VariantDraft[]>([{ name: 'AllTraffic', model: initialModel, weight: '1', instanceCount: '1' }]);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const set = (i: number, patch: Partial<VariantDraft>) => setVariants(variants.map((v, j) => (i === j ? { ...v, ...patch } : v)));
  const problems = [
    !NAME_RE.test(name) && 'endpoint name',
    ...variants.flatMap((v, i) => [
      !NAME_RE.test(v.name) && `variant ${i + 1} name`,
      !v.model && `variant ${i + 1} model`,
      !(Number(v.weight) >= 0) && `variant ${i + 1} weight`,
      !(Number.isInteger(Number(v.instanceCount)) && Number(v.instanceCount) >= 1 && Number(v.instanceCount) <= 16) && `variant ${i + 1} instance count (1–16)`,
    ]),
    new Set(variants.map((v) => v.name)).size !== variants.length && 'variant names must differ',
    variants.every((v) => Number(v.weight) === 0) && 'at least one weight above 0',
  ].filter(Boolean) as string[];
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (problems.length) return;
    setBusy(true);
    setError(undefined);
    try {
      const config = `${name}-${Date.now().toString(36)}`.slice(0, 63);
      await api.createEndpointConfig({
        name: config,
        variants: variants.map((v) => ({ name: v.name, model: v.model, weight: Number(v.weight), instanceCount: Number(v.instanceCount) })),
      });
      await api.createEndpoint(name, config);
      navigate(`/endpoints/${name}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby="deploy-title">
      <h2 id="deploy-title">Deploy {initialModel} as an endpoint</h2>
      <div className="field">
        <label htmlFor="ep-name">Endpoint name</label>
        <input id="ep-name" value={name} onChange={(e) => setName(e.target.value)} aria-invalid={!NAME_RE.test(name)} />
      </div>
      <fieldset>
        <legend>Production variants (traffic share = weight ÷ sum of weights)</legend>
        {variants.map((v, i) => (
          <div className="row variant-row" key={i}>
            <div className="field"><label htmlFor={`v${i}-name`}>Variant name</label><input id={`v${i}-name`} value={v.name} onChange={(e) => set(i, { name: e.target.value })} /></div>
            <div className="field"><label htmlFor={`v${i}-model`}>Model</label>
              <select id={`v${i}-model`} value={v.model} onChange={(e) => set(i, { model: e.target.value })}>
                <option value="">Choose…</option>
                {models.data?.map((m) => <option key={m.name} value={m.name}>{m.name}</option>)}
              </select>
            </div>
            <div className="field narrow"><label htmlFor={`v${i}-weight`}>Weight</label><input id={`v${i}-weight`} inputMode="decimal" value={v.weight} onChange={(e) => set(i, { weight: e.target.value })} /></div>
            <div className="field narrow"><label htmlFor={`v${i}-count`}>Replicas</label><input id={`v${i}-count`} inputMode="numeric" value={v.instanceCount} onChange={(e) => set(i, { instanceCount: e.target.value })} /></div>
            {variants.length > 1 && <button type="button" className="link" onClick={() => setVariants(variants.filter((_, j) => j !== i))} aria-label={`Remove variant ${v.name}`}>Remove</button>}
          </div>
        ))}
        <button type="button" onClick={() => setVariants([...variants, { name: `Variant${variants.length + 1}`, model: initialModel, weight: '1', instanceCount: '1' }])} disabled={variants.length >= 10}>Add variant</button>
      </fieldset>
      {problems.length > 0 && <p className="field-error" role="alert">Fix: {problems.join(', ')}.</p>}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || problems.length > 0}>{busy ? 'Deploying…' : 'Deploy endpoint'}</button>
        <button type="button" onClick={onCancel}>Cancel</button>
      </div>
      <ErrorNotice error={models.error} context="Could not list models" />
      <ErrorNotice error={error} context="Could not deploy" />
    </form>
  );
}

/** Models: the list, creating one from an uploaded file, and deploying one as an endpoint. */
export default function Models() {
  const { loc, navigate } = useRouter();
  const deploy = loc.query.get('deploy');
  const creating = loc.query.get('new') === '1';
  const list = usePaged((a) => api.models(a), []);
  return (
    <section>
      <div className="head-row">
        <h1>Models</h1>
        {!creating && <Link className="button" to="/models?new=1">Create from a file</Link>}
      </div>
      {creating && <ModelCreate onCancel={() => navigate('/models', true)} />}
      {deploy && <Deploy key={deploy} initialModel={deploy} onCancel={() => navigate('/models', true)} />}
      <div className="card">
        <h2>All models</h2>
        <ErrorNotice error={list.error} onRetry={list.reload} context="Could not list models" />
        {!list.loading && !list.error && list.items.length === 0 ? (
          <Empty title="No models yet">Open a <Link to="/training?status=Completed">completed training job</Link> and choose “Create model”, or <Link to="/models?new=1">create one from a file</Link>.</Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <thead><tr><th scope="col">Name</th><th scope="col">Runtime</th><th scope="col">From job</th><th scope="col">Created</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
              <tbody>
                {list.items.map((m) => (
                  <tr key={m.name}>
                    <td><Link to={`/models/${encodeURIComponent(m.name)}`}>{m.name}</Link></td>
                    <td>{m.runtime}{m.algorithm ? ` · ${m.algorithm}` : ''}</td>
                    <td>{m.trainingJob ? <Link to={`/training/${m.trainingJob}`}>{m.trainingJob}</Link> : '—'}</td>
                    <td>{fmtAgo(m.createdAt)}</td>
                    <td><Link className="button" to={`/models?deploy=${encodeURIComponent(m.name)}`}>Deploy</Link></td>
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
