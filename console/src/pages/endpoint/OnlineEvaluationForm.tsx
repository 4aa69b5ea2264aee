import { useState, type FormEvent } from 'react';
import type { CreateOnlineEvaluationRequest, OnlineEvaluation } from '../../../../src/contracts/online-evaluation.js';
import type { Endpoint, EndpointConfig } from '../../../../src/sdk/types.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { StratusApiError } from '../../lib/api.js';
import { loopApi } from '../../lib/loop-api.js';
import { deploymentDraft, DeploymentFields, deploymentProblems, toDeployment } from './DeploymentFields.js';

const NAME_RE = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const UNITS = { seconds: 1, minutes: 60, hours: 3600, days: 86400 } as const;
const MAX_SECONDS = 30 * 86400;
type ProblemType = NonNullable<CreateOnlineEvaluationRequest['problemType']>;
type Field = 'name' | 'candidate' | 'baseline' | 'duration' | 'threshold' | 'alpha' | 'samples' | 'seed' | 'minimumLabelled';

const isInt = (s: string) => /^\d+$/.test(s.trim());
const inRange = (s: string, lo: number, hi: number) => s.trim() !== '' && Number.isFinite(Number(s)) && Number(s) >= lo && Number(s) <= hi;

/** The form field an API error names (`body.alpha`, `candidateVariant`, a name taken). */
function fieldOfError(err: unknown): Field | undefined {
  if (!(err instanceof StratusApiError)) return undefined;
  if (err.details?.kind === 'OnlineEvaluation') return 'name';
  const path = typeof err.details?.field === 'string' ? err.details.field.replace(/^body\./, '') : '';
  const byPath: Record<string, Field> = {
    name: 'name', candidateVariant: 'candidate', baselineVariant: 'baseline', durationSeconds: 'duration',
    threshold: 'threshold', alpha: 'alpha', 'bootstrap.samples': 'samples', 'bootstrap.seed': 'seed',
    'decision.minimumLabelled': 'minimumLabelled', 'decision.resetCandidateWeight': 'candidate',
  };
  return byPath[path];
}

/** The production variant `create` compares with when none is chosen: the heaviest other one. */
function defaultBaseline(config: EndpointConfig, candidate: string): string | undefined {
  return [...config.variants].filter((v) => v.name !== candidate).sort((a, b) => b.weight - a.weight)[0]?.name;
}

/**
 * Starts an online evaluation of a candidate variant of this endpoint (a shadow, or a weighted
 * production variant) against a production variant, with the test's settings and, optionally,
 * the traffic-shifting policy a later promotion uses and the automatic decision when the period ends.
 */
export function StartOnlineEvaluationForm({ ep, config, taken, onStarted, onCancel }: {
  ep: Endpoint; config: EndpointConfig; taken: string[]; onStarted: (e: OnlineEvaluation) => void; onCancel: () => void;
}) {
  const shadows = config.shadowVariants ?? [];
  const [name, setName] = useState('');
  const [candidate, setCandidate] = useState(shadows[0]?.name ?? (config.variants.length > 1 ? [...config.variants].sort((a, b) => a.weight - b.weight)[0].name : ''));
  const [baseline, setBaseline] = useState('');
  const [duration, setDuration] = useState('1');
  const [unit, setUnit] = useState<keyof typeof UNITS>('hours');
  const [problemType, setProblemType] = useState<ProblemType>('binary');
  const [threshold, setThreshold] = useState('0.5');
  const [alpha, setAlpha] = useState('0.05');
  const [samples, setSamples] = useState('2000');
  const [seed, setSeed] = useState('0');
  const [withPolicy, setWithPolicy] = useState(false);
  const [automatic, setAutomatic] = useState(false);
  const [minimumLabelled, setMinimumLabelled] = useState('30');
  const [resetWeight, setResetWeight] = useState(false);
  const [draft, setDraft] = useState(() => deploymentDraft());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const apiField = fieldOfError(error);
  const seconds = Number(duration) * UNITS[unit];
  const fallback = candidate ? defaultBaseline(config, candidate) : undefined;
  const baselines = config.variants.filter((v) => v.name !== candidate);
  const candidateIsShadow = shadows.some((s) => s.name === candidate);

  const problems: Partial<Record<Field, string>> = {
    ...(!NAME_RE.test(name) ? { name: 'Letters, digits and single hyphens; starts and ends with a letter or digit; at most 63 characters.' } : {}),
    ...(taken.includes(name) ? { name: `An online evaluation named ${name} exists already; choose another name.` } : {}),
    ...(!candidate ? { candidate: 'Choose the variant to evaluate.' } : {}),
    ...(candidate && !baseline && !fallback ? { baseline: 'No other production variant to compare with: deploy the candidate as a shadow or beside production first.' } : {}),
    ...(!(isInt(duration) && seconds >= 1 && seconds <= MAX_SECONDS) ? { duration: 'A whole number, from 1 second up to 30 days.' } : {}),
    ...(problemType === 'binary' && !inRange(threshold, 0, 1) ? { threshold: 'Between 0 and 1.' } : {}),
    ...(!(inRange(alpha, 0, 1) && Number(alpha) > 0 && Number(alpha) < 1) ? { alpha: 'Strictly between 0 and 1, such as 0.05.' } : {}),
    ...(problemType === 'regression' && !(isInt(samples) && inRange(samples, 100, 100_000)) ? { samples: 'A whole number from 100 to 100000.' } : {}),
    ...(problemType === 'regression' && !(isInt(seed) && inRange(seed, 0, 2 ** 31 - 1)) ? { seed: 'A whole number from 0 to 2147483647.' } : {}),
    ...(automatic && !(isInt(minimumLabelled) && inRange(minimumLabelled, 1, 1_000_000)) ? { minimumLabelled: 'A whole number from 1 to 1000000.' } : {}),
  };
  const policyProblems = withPolicy ? deploymentProblems(draft) : [];
  const capturing = !!config.dataCapture?.enabled;
  const blocked = Object.keys(problems).length > 0 || policyProblems.length > 0 || !capturing;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (blocked) return;
    const req: CreateOnlineEvaluationRequest = {
      name, endpoint: ep.name, candidateVariant: candidate, durationSeconds: seconds, alpha: Number(alpha), problemType,
      ...(baseline ? { baselineVariant: baseline } : {}),
      ...(problemType === 'binary' ? { threshold: Number(threshold) } : {}),
      ...(problemType === 'regression' ? { bootstrap: { samples: Number(samples), seed: Number(seed) } } : {}),
      ...(withPolicy ? { deployment: toDeployment(draft) } : {}),
      ...(automatic ? {
        decision: { automatic: true, minimumLabelled: Number(minimumLabelled), ...(resetWeight && !candidateIsShadow ? { resetCandidateWeight: true } : {}) },
      } : {}),
    };
    setBusy(true);
    setError(undefined);
    try {
      onStarted(await loopApi.createOnlineEvaluation(req));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  /** The client's message once the field was typed in, else the API's when it named this field. */
  const message = (f: Field, typed: boolean) => (typed && problems[f]) || (apiField === f && error instanceof StratusApiError ? error.message : undefined);
  const invalid = (f: Field, typed: boolean) => !!message(f, typed);
  const hint = (f: Field, typed: boolean, help: string) => {
    const m = message(f, typed);
    return <span id={`oe-${f}-msg`} className={m ? 'field-error' : 'help'}>{m ?? help}</span>;
  };

  return (
    <form className="subform" onSubmit={submit} aria-label="Start an online evaluation" noValidate data-testid="online-evaluation-form">
      <h3>Start an online evaluation</h3>
      {!capturing && (
        <div className="notice warn" role="alert">
          <strong>This endpoint does not capture its traffic.</strong>
          <p>An online evaluation joins captured answers with their labels: update the endpoint to a config with data capture first.</p>
        </div>
      )}
      {shadows.length === 0 && config.variants.length < 2 && (
        <div className="notice warn" role="alert">
          <strong>Nothing to compare yet.</strong>
          <p>The endpoint serves one variant and no shadow: update it to a config with the candidate as a shadow or as a second weighted variant, then evaluate it here.</p>
        </div>
      )}
      <div className="row">
        <div className="field">
          <label htmlFor="oe-name">Name</label>
          <input id="oe-name" value={name} placeholder="v2-vs-v1" onChange={(e) => { setName(e.target.value); setError(undefined); }}
            aria-invalid={invalid('name', name !== '')} aria-describedby="oe-name-msg" />
          {hint('name', name !== '', 'Letters, digits and hyphens.')}
        </div>
        <div className="field">
          <label htmlFor="oe-candidate">Candidate variant</label>
          <select id="oe-candidate" value={candidate} onChange={(e) => { setCandidate(e.target.value); setBaseline(''); }} aria-invalid={invalid('candidate', true)} aria-describedby="oe-candidate-msg">
            {!candidate && <option value="">Choose…</option>}
            {shadows.map((s) => <option key={s.name} value={s.name}>{s.name} (shadow, {s.model})</option>)}
            {config.variants.map((v) => <option key={v.name} value={v.name}>{v.name} (weight {v.weight}, {v.model})</option>)}
          </select>
          {hint('candidate', true, 'A shadow sees a copy of the traffic; a weighted variant its share.')}
        </div>
        <div className="field">
          <label htmlFor="oe-baseline">Baseline variant</label>
          <select id="oe-baseline" value={baseline} onChange={(e) => setBaseline(e.target.value)} aria-invalid={invalid('baseline', true)} aria-describedby="oe-baseline-msg">
            <option value="">{fallback ? `Heaviest other production variant (${fallback})` : 'None available'}</option>
            {baselines.map((v) => <option key={v.name} value={v.name}>{v.name} (weight {v.weight}, {v.model})</option>)}
          </select>
          {hint('baseline', true, 'The production variant the candidate must beat.')}
        </div>
      </div>
      <div className="row">
        <div className="field narrow">
          <label htmlFor="oe-duration">Period</label>
          <input id="oe-duration" inputMode="numeric" value={duration} onChange={(e) => setDuration(e.target.value)} aria-invalid={invalid('duration', true)} aria-describedby="oe-duration-msg" />
        </div>
        <div className="field narrow">
          <label htmlFor="oe-unit">Unit</label>
          <select id="oe-unit" value={unit} onChange={(e) => setUnit(e.target.value as keyof typeof UNITS)}>
            {Object.keys(UNITS).map((u) => <option key={u} value={u}>{u}</option>)}
          </select>
        </div>
        <div className="field">
          <label htmlFor="oe-problem">Labels are</label>
          <select id="oe-problem" value={problemType} onChange={(e) => setProblemType(e.target.value as ProblemType)}>
            <option value="binary">binary classes 0/1 (z-test on accuracy)</option>
            <option value="multiclass">classes 0…K−1 (z-test on accuracy)</option>
            <option value="regression">values (bootstrap of the mean absolute error)</option>
          </select>
        </div>
        <div className="field narrow">
          <label htmlFor="oe-alpha">Significance level α</label>
          <input id="oe-alpha" inputMode="decimal" value={alpha} onChange={(e) => setAlpha(e.target.value)} aria-invalid={invalid('alpha', true)} aria-describedby="oe-alpha-msg" />
        </div>
        {problemType === 'binary' && (
          <div className="field narrow">
            <label htmlFor="oe-threshold">Threshold</label>
            <input id="oe-threshold" inputMode="decimal" value={threshold} onChange={(e) => setThreshold(e.target.value)} aria-invalid={invalid('threshold', true)} aria-describedby="oe-threshold-msg" />
          </div>
        )}
        {problemType === 'regression' && (
          <>
            <div className="field narrow">
              <label htmlFor="oe-samples">Bootstrap resamples</label>
              <input id="oe-samples" inputMode="numeric" value={samples} onChange={(e) => setSamples(e.target.value)} aria-invalid={invalid('samples', true)} aria-describedby="oe-samples-msg" />
            </div>
            <div className="field narrow">
              <label htmlFor="oe-seed">Seed</label>
              <input id="oe-seed" inputMode="numeric" value={seed} onChange={(e) => setSeed(e.target.value)} aria-invalid={invalid('seed', true)} aria-describedby="oe-seed-msg" />
            </div>
          </>
        )}
      </div>
      {(['duration', 'alpha', 'threshold', 'samples', 'seed'] as const).map((f) => message(f, true) && (
        <p key={f} id={`oe-${f}-msg`} className="field-error" role="alert">{{ duration: 'Period', alpha: 'Significance level', threshold: 'Threshold', samples: 'Resamples', seed: 'Seed' }[f]}: {message(f, true)}</p>
      ))}
      <label className="check wrap">
        <input type="checkbox" checked={automatic} onChange={(e) => setAutomatic(e.target.checked)} />
        Decide automatically at the end (promote a significantly better candidate, else keep the baseline)
      </label>
      {automatic && (
        <div className="row" data-testid="automatic-decision">
          <div className="field narrow">
            <label htmlFor="oe-minimumLabelled">Labels needed per variant</label>
            <input id="oe-minimumLabelled" inputMode="numeric" value={minimumLabelled} onChange={(e) => setMinimumLabelled(e.target.value)}
              aria-invalid={invalid('minimumLabelled', true)} aria-describedby="oe-minimumLabelled-msg" />
            {hint('minimumLabelled', true, 'Fewer labelled answers on either side keeps the baseline.')}
          </div>
          {!candidateIsShadow && (
            <label className="check wrap">
              <input type="checkbox" checked={resetWeight} onChange={(e) => setResetWeight(e.target.checked)} />
              Set the candidate&apos;s weight to 0 if the baseline is kept
            </label>
          )}
        </div>
      )}
      <label className="check wrap">
        <input type="checkbox" checked={withPolicy} onChange={(e) => setWithPolicy(e.target.checked)} />
        Set how a promotion shifts traffic ({automatic ? 'the automatic one, and the default for one by request' : 'otherwise chosen when promoting'}; all at once by default)
      </label>
      {withPolicy && <DeploymentFields id="oe-policy" draft={draft} onChange={setDraft} />}
      {policyProblems.length > 0 && <p className="field-error" role="alert">Fix the policy: {policyProblems.join(', ')}.</p>}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || blocked}>{busy ? 'Starting…' : 'Start evaluation'}</button>
        <button type="button" onClick={onCancel}>Cancel</button>
      </div>
      <ErrorNotice error={error} context="Could not start the online evaluation" />
    </form>
  );
}
