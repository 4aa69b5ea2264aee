import type { ReactNode } from 'react';
import type { CapacitySize, DeploymentConfig, RollbackAlarm } from '../../../../src/sdk/types.js';

/*
 * The traffic-shifting policy of a blue/green update (all at once, canary, linear; bake time,
 * time limit, rollback alarms) as form fields: used by the endpoint's update form and by an
 * online evaluation's start and promote forms.
 */

type AlarmMetric = RollbackAlarm['metric'];
type Strategy = DeploymentConfig['trafficRouting']['type'];
interface SizeDraft { type: CapacitySize['type']; value: string }
interface AlarmDraft { name: string; metric: AlarmMetric; threshold: string; window: string }

/** The fields as typed (strings), so a half-typed number is not lost. */
export interface DeploymentDraft {
  strategy: Strategy;
  wait: string;
  canary: SizeDraft;
  linear: SizeDraft;
  timeout: string;
  termWait: string;
  alarms: AlarmDraft[];
}

const METRICS: [AlarmMetric, string][] = [['errorRate', 'error rate (0–1)'], ['5xxRate', '5xx rate (0–1)'], ['p99LatencyMs', 'p99 latency (ms)']];
const nonNegInt = (s: string) => /^\d+$/.test(s.trim());

/** A draft from a policy (the defaults when there is none). */
export function deploymentDraft(from?: DeploymentConfig): DeploymentDraft {
  const r = from?.trafficRouting;
  const size = (s: CapacitySize | undefined, value: string): SizeDraft => (s ? { type: s.type, value: String(s.value) } : { type: 'CAPACITY_PERCENT', value });
  return {
    strategy: r?.type ?? 'ALL_AT_ONCE',
    wait: String(r?.waitIntervalSeconds ?? 30),
    canary: size(r?.canarySize, '10'),
    linear: size(r?.linearStepSize, '25'),
    timeout: from?.maximumExecutionTimeoutSeconds !== undefined ? String(from.maximumExecutionTimeoutSeconds) : '',
    termWait: from?.terminationWaitSeconds !== undefined ? String(from.terminationWaitSeconds) : '',
    alarms: (from?.rollback?.alarms ?? []).map((a) => ({ name: a.name, metric: a.metric, threshold: String(a.threshold), window: String(a.windowSeconds) })),
  };
}

/** What is wrong with the draft, in words for "Fix: …" (empty when it can be sent). */
export function deploymentProblems(d: DeploymentDraft): string[] {
  return [
    !(nonNegInt(d.wait) && Number(d.wait) <= 3600) && 'wait interval 0–3600 s',
    d.strategy === 'CANARY' && !(nonNegInt(d.canary.value) && Number(d.canary.value) >= 1) && 'canary size of at least 1',
    d.strategy === 'LINEAR' && !(nonNegInt(d.linear.value) && Number(d.linear.value) >= 1) && 'step size of at least 1',
    d.timeout.trim() && !(nonNegInt(d.timeout) && Number(d.timeout) >= 1 && Number(d.timeout) <= 28800) && 'timeout 1–28800 s',
    d.termWait.trim() && !(nonNegInt(d.termWait) && Number(d.termWait) <= 3600) && 'termination wait 0–3600 s',
    ...d.alarms.flatMap((a, i) => [
      !a.name.trim() && `alarm ${i + 1} name`,
      !(a.threshold.trim() !== '' && Number(a.threshold) >= 0) && `alarm ${i + 1} threshold`,
      !(nonNegInt(a.window) && Number(a.window) >= 1 && Number(a.window) <= 3600) && `alarm ${i + 1} window (1–3600 s)`,
    ]),
  ].filter(Boolean) as string[];
}

/** The request's policy from a draft without problems. */
export function toDeployment(d: DeploymentDraft): DeploymentConfig {
  const size = (s: SizeDraft): CapacitySize => ({ type: s.type, value: Number(s.value) });
  return {
    trafficRouting: {
      type: d.strategy, waitIntervalSeconds: Number(d.wait),
      ...(d.strategy === 'CANARY' ? { canarySize: size(d.canary) } : {}),
      ...(d.strategy === 'LINEAR' ? { linearStepSize: size(d.linear) } : {}),
    },
    ...(d.timeout.trim() ? { maximumExecutionTimeoutSeconds: Number(d.timeout) } : {}),
    ...(d.termWait.trim() ? { terminationWaitSeconds: Number(d.termWait) } : {}),
    ...(d.alarms.length ? { rollback: { alarms: d.alarms.map((a) => ({ name: a.name.trim(), metric: a.metric, threshold: Number(a.threshold), windowSeconds: Number(a.window) })) } } : {}),
  };
}

/** One line for a policy: "canary 50 % then the rest, 1 s bake, 1 alarm". */
export function describeDeployment(d: DeploymentConfig | undefined): string {
  if (!d) return 'all at once';
  const r = d.trafficRouting;
  const size = (s?: CapacitySize) => (s ? `${s.value}${s.type === 'CAPACITY_PERCENT' ? ' %' : ' instances'}` : '?');
  const how = r.type === 'CANARY' ? `canary ${size(r.canarySize)}, then the rest` : r.type === 'LINEAR' ? `linear steps of ${size(r.linearStepSize)}` : 'all at once';
  const alarms = d.rollback?.alarms.length ?? 0;
  return `${how}, ${r.waitIntervalSeconds} s bake${alarms ? `, ${alarms} rollback alarm${alarms > 1 ? 's' : ''}` : ''}`;
}

function SizeField({ id, label, size, onChange }: { id: string; label: string; size: SizeDraft; onChange: (s: SizeDraft) => void }) {
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

/** Strategy and bake time on one row (`before` goes first on it), sizes, limits and alarms. */
export function DeploymentFields({ id, draft, onChange, before }: { id: string; draft: DeploymentDraft; onChange: (d: DeploymentDraft) => void; before?: ReactNode }) {
  const set = (patch: Partial<DeploymentDraft>) => onChange({ ...draft, ...patch });
  const setAlarm = (i: number, patch: Partial<AlarmDraft>) => set({ alarms: draft.alarms.map((a, j) => (i === j ? { ...a, ...patch } : a)) });
  return (
    <>
      <div className="row">
        {before}
        <div className="field">
          <label htmlFor={`${id}-strategy`}>Traffic shifting</label>
          <select id={`${id}-strategy`} value={draft.strategy} onChange={(e) => set({ strategy: e.target.value as Strategy })}>
            <option value="ALL_AT_ONCE">All at once</option>
            <option value="CANARY">Canary, then the rest</option>
            <option value="LINEAR">Linear steps</option>
          </select>
        </div>
        <div className="field narrow">
          <label htmlFor={`${id}-wait`}>Wait after each step (s)</label>
          <input id={`${id}-wait`} inputMode="numeric" value={draft.wait} onChange={(e) => set({ wait: e.target.value })} />
        </div>
      </div>
      {draft.strategy === 'CANARY' && <SizeField id={`${id}-canary`} label="Canary size" size={draft.canary} onChange={(canary) => set({ canary })} />}
      {draft.strategy === 'LINEAR' && <SizeField id={`${id}-linear`} label="Step size" size={draft.linear} onChange={(linear) => set({ linear })} />}
      <div className="row">
        <div className="field narrow"><label htmlFor={`${id}-timeout`}>Max duration (s, optional)</label><input id={`${id}-timeout`} inputMode="numeric" value={draft.timeout} onChange={(e) => set({ timeout: e.target.value })} /></div>
        <div className="field narrow"><label htmlFor={`${id}-term`}>Keep old fleet for (s, optional)</label><input id={`${id}-term`} inputMode="numeric" value={draft.termWait} onChange={(e) => set({ termWait: e.target.value })} /></div>
      </div>
      <fieldset>
        <legend>Rollback alarms (watch the new fleet only)</legend>
        {draft.alarms.length === 0 && <p className="muted small">No alarms: the update rolls back only if the new fleet fails to start or the max duration passes.</p>}
        {draft.alarms.map((a, i) => (
          <div className="row" key={i}>
            <div className="field"><label htmlFor={`${id}-al${i}-name`}>Name</label><input id={`${id}-al${i}-name`} value={a.name} onChange={(e) => setAlarm(i, { name: e.target.value })} /></div>
            <div className="field"><label htmlFor={`${id}-al${i}-metric`}>Metric</label>
              <select id={`${id}-al${i}-metric`} value={a.metric} onChange={(e) => setAlarm(i, { metric: e.target.value as AlarmMetric })}>
                {METRICS.map(([m, t]) => <option key={m} value={m}>{t}</option>)}
              </select>
            </div>
            <div className="field narrow"><label htmlFor={`${id}-al${i}-threshold`}>Above</label><input id={`${id}-al${i}-threshold`} inputMode="decimal" value={a.threshold} onChange={(e) => setAlarm(i, { threshold: e.target.value })} /></div>
            <div className="field narrow"><label htmlFor={`${id}-al${i}-window`}>Over (s)</label><input id={`${id}-al${i}-window`} inputMode="numeric" value={a.window} onChange={(e) => setAlarm(i, { window: e.target.value })} /></div>
            <button type="button" className="link" onClick={() => set({ alarms: draft.alarms.filter((_, j) => j !== i) })} aria-label={`Remove alarm ${a.name || i + 1}`}>Remove</button>
          </div>
        ))}
        <button type="button" disabled={draft.alarms.length >= 10} onClick={() => set({ alarms: [...draft.alarms, { name: `alarm-${draft.alarms.length + 1}`, metric: 'errorRate', threshold: '0.05', window: '30' }] })}>Add alarm</button>
      </fieldset>
    </>
  );
}
