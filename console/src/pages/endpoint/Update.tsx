import { useState, type FormEvent } from 'react';
import { api, listAll } from '../../lib/api.js';
import { useLoad } from '../../lib/hooks.js';
import type { CapacitySize, DeploymentConfig, Endpoint, RollbackAlarm } from '../../../../src/sdk/types.js';

type AlarmMetric = RollbackAlarm['metric'];
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { fmtAgo, fmtTime } from '../../components/Status.js';

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

type Strategy = DeploymentConfig['trafficRouting']['type'];
interface AlarmDraft { name: string; metric: AlarmMetric; threshold: string; window: string }
const METRICS: [AlarmMetric, string][] = [['errorRate', 'error rate (0–1)'], ['5xxRate', '5xx rate (0–1)'], ['p99LatencyMs', 'p99 latency (ms)']];
const nonNegInt = (s: string) => /^\d+$/.test(s.trim());

function SizeField({ id, label, size, onChange }: { id: string; label: string; size: { type: CapacitySize['type']; value: string }; onChange: (s: { type: CapacitySize['type']; value: string }) => void }) {
  return (
    <fieldset className="inline-fieldset">
      <legend>{label}</legend>
      <div className="row">
        <div className="field narrow"><label htmlFor={`${id}-value`}>Size</label><input id={`${id}-value`} inputMode="numeric" value={size.value} onChange={(e) => onChange({ ...size, value: e.target.value })} /></div>
        <div className="field"><label htmlFor={`${id}-type`}>Unit</label>
          <select id={`${id}-type`} value={size.type} onChange={(e) => onChange({ ...size, type: e.target.value as CapacitySize['type'] })}>
            <option value="CAPACITY_PERCENT">% of traffic</option>
            <option value="INSTANCE_COUNT">instances of the new fleet</option>
          </select>
        </div>
      </div>
    </fieldset>
  );
}

/** Moves the endpoint to another config with a deployment policy (blue/green, canary or linear, alarms). */
export function UpdateEndpointForm({ ep, onChanged }: { ep: Endpoint; onChanged: () => void }) {
  const configs = useLoad(() => listAll((a) => api.endpointConfigs(a)), []);
  const [config, setConfig] = useState('');
  const [strategy, setStrategy] = useState<Strategy>('ALL_AT_ONCE');
  const [wait, setWait] = useState('30');
  const [canary, setCanary] = useState({ type: 'CAPACITY_PERCENT' as CapacitySize['type'], value: '10' });
  const [linear, setLinear] = useState({ type: 'CAPACITY_PERCENT' as CapacitySize['type'], value: '25' });
  const [timeout, setTimeoutS] = useState('');
  const [termWait, setTermWait] = useState('');
  const [alarms, setAlarms] = useState<AlarmDraft[]>([]);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(false);
  const choices = (configs.data ?? []).filter((c) => c.name !== ep.config);
  const chosen = choices.find((c) => c.name === config);
  const setAlarm = (i: number, patch: Partial<AlarmDraft>) => setAlarms(alarms.map((a, j) => (i === j ? { ...a, ...patch } : a)));
  const problems = [
    !config && 'choose a config',
    !(nonNegInt(wait) && Number(wait) <= 3600) && 'wait interval 0–3600 s',
    strategy === 'CANARY' && !(nonNegInt(canary.value) && Number(canary.value) >= 1) && 'canary size of at least 1',
    strategy === 'LINEAR' && !(nonNegInt(linear.value) && Number(linear.value) >= 1) && 'step size of at least 1',
    timeout.trim() && !(nonNegInt(timeout) && Number(timeout) >= 1 && Number(timeout) <= 28800) && 'timeout 1–28800 s',
    termWait.trim() && !(nonNegInt(termWait) && Number(termWait) <= 3600) && 'termination wait 0–3600 s',
    ...alarms.flatMap((a, i) => [
      !a.name.trim() && `alarm ${i + 1} name`,
      !(a.threshold.trim() !== '' && Number(a.threshold) >= 0) && `alarm ${i + 1} threshold`,
      !(nonNegInt(a.window) && Number(a.window) >= 1 && Number(a.window) <= 3600) && `alarm ${i + 1} window (1–3600 s)`,
    ]),
  ].filter(Boolean) as string[];
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (problems.length) return;
    const size = (s: typeof canary): CapacitySize => ({ type: s.type, value: Number(s.value) });
    const deployment: DeploymentConfig = {
      trafficRouting: {
        type: strategy, waitIntervalSeconds: Number(wait),
        ...(strategy === 'CANARY' ? { canarySize: size(canary) } : {}),
        ...(strategy === 'LINEAR' ? { linearStepSize: size(linear) } : {}),
      },
      ...(timeout.trim() ? { maximumExecutionTimeoutSeconds: Number(timeout) } : {}),
      ...(termWait.trim() ? { terminationWaitSeconds: Number(termWait) } : {}),
      ...(alarms.length ? { rollback: { alarms: alarms.map((a) => ({ name: a.name.trim(), metric: a.metric, threshold: Number(a.threshold), windowSeconds: Number(a.window) })) } } : {}),
    };
    setBusy(true);
    setError(undefined);
    setSent(false);
    try {
      await api.updateEndpoint(ep.name, { config, deployment });
      setSent(true);
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby="update-title">
      <h2 id="update-title">Update endpoint</h2>
      <p className="muted small">Moves the endpoint to another endpoint config without dropping requests: the new fleet starts, traffic shifts to it in steps, and alarms roll it back.</p>
      <div className="row">
        <div className="field">
          <label htmlFor="upd-config">New config</label>
          <select id="upd-config" value={config} onChange={(e) => setConfig(e.target.value)}>
            <option value="">{configs.loading ? 'Loading…' : choices.length ? 'Choose…' : 'No other configs'}</option>
            {choices.map((c) => <option key={c.name} value={c.name}>{c.name}</option>)}
          </select>
          {chosen && <span className="help">{chosen.variants.map((v) => `${v.name}: ${v.model} ×${v.instanceCount} (weight ${v.weight})`).join('; ')}{chosen.shadowVariants?.length ? `; shadows: ${chosen.shadowVariants.map((s) => `${s.name} ${s.samplingPercentage} %`).join(', ')}` : ''} · created {fmtTime(chosen.createdAt)}</span>}
        </div>
        <div className="field">
          <label htmlFor="upd-strategy">Traffic shifting</label>
          <select id="upd-strategy" value={strategy} onChange={(e) => setStrategy(e.target.value as Strategy)}>
            <option value="ALL_AT_ONCE">All at once</option>
            <option value="CANARY">Canary, then the rest</option>
            <option value="LINEAR">Linear steps</option>
          </select>
        </div>
        <div className="field narrow">
          <label htmlFor="upd-wait">Wait after each step (s)</label>
          <input id="upd-wait" inputMode="numeric" value={wait} onChange={(e) => setWait(e.target.value)} />
        </div>
      </div>
      {strategy === 'CANARY' && <SizeField id="upd-canary" label="Canary size" size={canary} onChange={setCanary} />}
      {strategy === 'LINEAR' && <SizeField id="upd-linear" label="Step size" size={linear} onChange={setLinear} />}
      <div className="row">
        <div className="field narrow"><label htmlFor="upd-timeout">Max duration (s, optional)</label><input id="upd-timeout" inputMode="numeric" value={timeout} onChange={(e) => setTimeoutS(e.target.value)} /></div>
        <div className="field narrow"><label htmlFor="upd-term">Keep old fleet for (s, optional)</label><input id="upd-term" inputMode="numeric" value={termWait} onChange={(e) => setTermWait(e.target.value)} /></div>
      </div>
      <fieldset>
        <legend>Rollback alarms (watch the new fleet only)</legend>
        {alarms.length === 0 && <p className="muted small">No alarms: the update rolls back only if the new fleet fails to start or the max duration passes.</p>}
        {alarms.map((a, i) => (
          <div className="row" key={i}>
            <div className="field"><label htmlFor={`al${i}-name`}>Name</label><input id={`al${i}-name`} value={a.name} onChange={(e) => setAlarm(i, { name: e.target.value })} /></div>
            <div className="field"><label htmlFor={`al${i}-metric`}>Metric</label>
              <select id={`al${i}-metric`} value={a.metric} onChange={(e) => setAlarm(i, { metric: e.target.value as AlarmMetric })}>
                {METRICS.map(([m, t]) => <option key={m} value={m}>{t}</option>)}
              </select>
            </div>
            <div className="field narrow"><label htmlFor={`al${i}-threshold`}>Above</label><input id={`al${i}-threshold`} inputMode="decimal" value={a.threshold} onChange={(e) => setAlarm(i, { threshold: e.target.value })} /></div>
            <div className="field narrow"><label htmlFor={`al${i}-window`}>Over (s)</label><input id={`al${i}-window`} inputMode="numeric" value={a.window} onChange={(e) => setAlarm(i, { window: e.target.value })} /></div>
            <button type="button" className="link" onClick={() => setAlarms(alarms.filter((_, j) => j !== i))} aria-label={`Remove alarm ${a.name || i + 1}`}>Remove</button>
          </div>
        ))}
        <button type="button" disabled={alarms.length >= 10} onClick={() => setAlarms([...alarms, { name: `alarm-${alarms.length + 1}`, metric: 'errorRate', threshold: '0.05', window: '30' }])}>Add alarm</button>
      </fieldset>
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
