import { useState, type FormEvent } from 'react';
import { api, listAll } from '../../lib/api.js';
import { useLoad } from '../../lib/hooks.js';
import type { Endpoint } from '../../../../src/sdk/types.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { fmtAgo, fmtTime } from '../../components/Status.js';
import { deploymentDraft, DeploymentFields, deploymentProblems, toDeployment, type DeploymentDraft } from './DeploymentFields.js';

/** An update shifting traffic to a new config: green's share, step, config. */
export function PendingDeploymentCard({ ep }: { ep: Endpoint }) {
  const p = ep.pendingDeployment;
  if (!p && ep.status !== 'Updating' && ep.status !== 'RollingBack') return null;
  return (
    <div className="card deploying" aria-labelledby="deploy-progress-title" data-testid="pending-deployment">
      <h2 id="deploy-progress-title">{ep.status === 'RollingBack' ? 'Rolling back' : 'Deployment in progress'}</h2>
      {p ? (
        <>
          <p>Moving to config <strong>{p.config}</strong>: step {p.step} of {p.steps}, started {fmtAgo(p.startedAt)}.</p>
          <div className="progress-wrap">
            <progress max={100} value={p.trafficPercent} aria-label="Share of traffic on the new fleet" />
            <span className="small">{p.trafficPercent.toFixed(0)} % of traffic on the new fleet</span>
          </div>
        </>
      ) : <p className="muted">{ep.status === 'RollingBack' ? 'Traffic is going back to the previous fleet.' : 'Starting the new fleet; traffic shifts once its replicas answer.'}</p>}
    </div>
  );
}

/** Moves the endpoint to another config with a deployment policy (blue/green, canary or linear, alarms). */
export function UpdateEndpointForm({ ep, onChanged }: { ep: Endpoint; onChanged: () => void }) {
  const configs = useLoad(() => listAll((a) => api.endpointConfigs(a)), []);
  const [config, setConfig] = useState('');
  const [draft, setDraft] = useState<DeploymentDraft>(() => deploymentDraft());
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(false);
  const choices = (configs.data ?? []).filter((c) => c.name !== ep.config);
  const chosen = choices.find((c) => c.name === config);
  const problems = [...(config ? [] : ['choose a config']), ...deploymentProblems(draft)];
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (problems.length) return;
    setBusy(true);
    setError(undefined);
    setSent(false);
    try {
      await api.updateEndpoint(ep.name, { config, deployment: toDeployment(draft) });
      setSent(true);
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const configField = (
    <div className="field">
      <label htmlFor="upd-config">New config</label>
      <select id="upd-config" value={config} onChange={(e) => setConfig(e.target.value)}>
        <option value="">{configs.loading ? 'Loading…' : choices.length ? 'Choose…' : 'No other configs'}</option>
        {choices.map((c) => <option key={c.name} value={c.name}>{c.name}</option>)}
      </select>
      {chosen && <span className="help">{chosen.variants.map((v) => `${v.name}: ${v.model} ×${v.instanceCount} (weight ${v.weight})`).join('; ')}{chosen.shadowVariants?.length ? `; shadows: ${chosen.shadowVariants.map((s) => `${s.name} ${s.samplingPercentage} %`).join(', ')}` : ''} · created {fmtTime(chosen.createdAt)}</span>}
    </div>
  );
  return (
    <form className="card" onSubmit={submit} aria-labelledby="update-title">
      <h2 id="update-title">Update endpoint</h2>
      <p className="muted small">Moves the endpoint to another endpoint config without dropping requests: the new fleet starts, traffic shifts to it in steps, and alarms roll it back.</p>
      <DeploymentFields id="upd" draft={draft} onChange={setDraft} before={configField} />
      {problems.length > 0 && config && <p className="field-error" role="alert">Fix: {problems.join(', ')}.</p>}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || problems.length > 0 || ep.status !== 'InService'}>{busy ? 'Starting…' : 'Update endpoint'}</button>
        {ep.status !== 'InService' && <span className="small muted">An update can start once the endpoint is InService.</span>}
        {sent && <span className="small ok-text" role="status">Update started; progress shows above.</span>}
      </div>
      <ErrorNotice error={configs.error} onRetry={configs.reload} context="Could not list endpoint configs" />
      <ErrorNotice error={error} context="Could not start the update" />
    </form>
  );
}
