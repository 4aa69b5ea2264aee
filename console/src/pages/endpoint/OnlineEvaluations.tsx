import { useEffect, useState, type ChangeEvent, type FormEvent } from 'react';
import type {
  OnlineEvaluation, OnlineEvaluationConclusion, OnlineEvaluationGroundTruth, OnlineEvaluationReport, Promotion,
} from '../../../../src/contracts/online-evaluation.js';
import type { Endpoint, EndpointConfig } from '../../../../src/sdk/types.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { fmtNum, fmtTime, Status } from '../../components/Status.js';
import { useLoad } from '../../lib/hooks.js';
import { loopApi } from '../../lib/loop-api.js';
import { deploymentDraft, DeploymentFields, deploymentProblems, describeDeployment, toDeployment } from './DeploymentFields.js';
import { PairedBars, TestChart } from './OnlineCharts.js';
import { StartOnlineEvaluationForm } from './OnlineEvaluationForm.js';

type Report = OnlineEvaluationReport;
type Labels = OnlineEvaluationGroundTruth['labels'];
const MAX_LABELS_PER_REQUEST = 100_000;
const signed = (x: number) => `${x >= 0 ? '+' : ''}${fmtNum(x)}`;

/** `inferenceId,label` lines (the CLI's format; a header line is skipped) as labels, or the first bad line. */
export function parseLabelLines(text: string): { labels: Labels; error?: string } {
  const labels: Labels = [];
  const lines = text.split(/\r?\n/);
  const first = lines.findIndex((l) => l.trim());
  for (const [i, raw] of lines.entries()) {
    if (!raw.trim()) continue;
    const [id, label, ...rest] = raw.split(',').map((c) => c.trim());
    const numeric = label !== undefined && label !== '' && Number.isFinite(Number(label));
    if (i === first && !numeric) continue;
    if (!id || !numeric || rest.length) return { labels, error: `Line ${i + 1}: expected inferenceId,label with a number as the label.` };
    labels.push({ inferenceId: id, label: Number(label) });
  }
  return labels.length ? { labels } : { labels, error: 'The file has no labels.' };
}

/** Uploads a CSV of labels by inference id; the report joins them with the captured answers. */
function LabelsUpload({ name, onUploaded }: { name: string; onUploaded: () => void }) {
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState('');
  const [error, setError] = useState<unknown>();
  const upload = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    setNote('');
    setError(undefined);
    const parsed = parseLabelLines(await file.text());
    if (parsed.error) {
      setError(new Error(`${file.name}: ${parsed.error}`));
      return;
    }
    setBusy(true);
    try {
      let accepted = 0;
      for (let i = 0; i < parsed.labels.length; i += MAX_LABELS_PER_REQUEST) {
        accepted += (await loopApi.onlineGroundTruth(name, parsed.labels.slice(i, i + MAX_LABELS_PER_REQUEST))).accepted;
      }
      setNote(`Uploaded ${accepted} labels from ${file.name}.`);
      onUploaded();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="field">
      <label htmlFor={`labels-${name}`}>Upload labels (CSV of <code>inferenceId,label</code> lines)</label>
      <input type="file" id={`labels-${name}`} accept=".csv,text/csv,text/plain" disabled={busy} onChange={(e) => void upload(e)} />
      {note && <span className="small ok-text" role="status">{note}</span>}
      <ErrorNotice error={error} context="Could not upload the labels" />
    </div>
  );
}

/** The test in words: statistic, p-value, interval where there is one, and the verdict. */
function Significance({ d, joined }: { d: Report; joined: number }) {
  const t = d.test;
  const how = t.kind === 'two-proportion-z'
    ? `Two-proportion z-test on accuracy: difference ${signed(t.difference)} (candidate − baseline), z = ${fmtNum(t.z)}, p = ${fmtNum(t.pValue)}.`
    : `Bootstrap of the mean absolute error (${t.paired ? 'paired by inference id' : 'independent samples'}, ${fmtNum(t.samples)} resamples): difference ${signed(t.difference)} (candidate − baseline)${t.interval ? `, ${Math.round(t.interval.level * 100)} % interval [${fmtNum(t.interval.lower)}, ${fmtNum(t.interval.upper)}]` : ''}, p = ${fmtNum(t.pValue)}.`;
  const lower = t.metric === 'mae' ? ' (lower MAE)' : '';
  return (
    <p className="small" data-testid="significance">
      {how}{' '}
      <span className={`verdict ${t.significant ? (t.better === 'candidate' ? 'ok-text' : 'bad-text') : ''}`}>
        {t.significant ? `Significant at α = ${t.alpha}: the ${t.better} is better${lower}.` : `Not significant at α = ${t.alpha}${joined === 0 ? ' (no labels joined yet)' : ''}.`}
      </span>
    </p>
  );
}

/** A promotion and its rollout; while it shifts traffic, the endpoint's deployment card and status history above show the steps. */
function PromotionSummary({ p }: { p: Promotion }) {
  return (
    <div className="subform" data-testid="promotion" data-outcome={p.outcome}>
      <div className="head-row">
        <h4>Promoted</h4>
        <Status value={p.outcome} />
      </div>
      <p className="small">
        {p.fromShadow ? 'Shadow' : 'Variant'} <strong>{p.variant}</strong> (model {p.model}) became the only production variant{p.forced ? ' (forced, without a significant win)' : ''} at {fmtTime(p.at)}: {p.metric} {signed(p.difference)}, p = {fmtNum(p.pValue)}. Config {p.fromConfig} → <strong>{p.config}</strong>.
      </p>
      {p.outcome === 'InProgress' && <p className="small muted" role="status">Traffic is shifting to the candidate: the deployment in progress and the status history above show each step.</p>}
      {p.failureReason && <p className="small bad-text">{p.failureReason}</p>}
    </div>
  );
}

const OUTCOME_TITLE: Record<OnlineEvaluationConclusion['outcome'], string> = {
  Promoted: 'Concluded: candidate promoted', KeptBaseline: 'Concluded: baseline kept', Abandoned: 'Concluded without a decision',
};

/** The automatic decision: what it will do while the evaluation runs, then what it did and why. */
function DecisionSummary({ ev }: { ev: OnlineEvaluation }) {
  const d = ev.decision;
  const c = ev.conclusion;
  if (!d?.automatic) return null;
  if (!c) {
    const ended = Date.parse(ev.endsAt) <= Date.now();
    return (
      <p className="small muted" data-testid="decision">
        {ended ? 'The period has ended: deciding now. ' : `Decides automatically at ${fmtTime(ev.endsAt)}: `}
        promotes the candidate if it is significantly better with at least {d.minimumLabelled} labelled answers on each side, else keeps the baseline{d.resetCandidateWeight ? ' and sets the candidate\'s weight to 0' : ''}.
      </p>
    );
  }
  return (
    <div className="subform" data-testid="conclusion" data-outcome={c.outcome} data-reason={c.reason}>
      <div className="head-row">
        <h4>{OUTCOME_TITLE[c.outcome]}</h4>
        <Status value={c.reason} />
      </div>
      <p className="small">At {fmtTime(c.at)}: {c.message}.</p>
      {c.labelled && <p className="small muted">Labelled answers: candidate {c.labelled.candidate}, baseline {c.labelled.baseline} (at least {d.minimumLabelled} needed on each side).</p>}
    </div>
  );
}

/** Why the candidate cannot be promoted now (undefined when it can). */
function promoteBlocker(ev: OnlineEvaluation, d: Report | undefined, ep: Endpoint, force: boolean): string | undefined {
  if (ep.config !== ev.config) return `The endpoint now serves config ${ep.config}, not the evaluated ${ev.config}: start a new evaluation.`;
  if (ep.status !== 'InService') return `The endpoint is ${ep.status}; promote once it is InService.`;
  if (!d) return 'Waiting for the report.';
  if (d.test.better === 'candidate' || force) return undefined;
  const evidence = d.variants.every((v) => v.joined > 0) ? '' : ' No labels are joined with both variants yet.';
  return d.test.better === 'baseline'
    ? `The baseline is significantly better (p = ${fmtNum(d.test.pValue)}).${evidence} Tick “Force” to promote the candidate anyway.`
    : `Not significant at α = ${d.test.alpha} (p = ${fmtNum(d.test.pValue)}): the candidate is not shown to be better.${evidence} Tick “Force” to promote it anyway.`;
}

/** Promote: the traffic-shifting policy, "force", and the button disabled with the reason while it may not. */
function PromoteForm({ ev, report, ep, onPromoted }: { ev: OnlineEvaluation; report: Report | undefined; ep: Endpoint; onPromoted: () => void }) {
  const [draft, setDraft] = useState(() => deploymentDraft(ev.deployment));
  const [force, setForce] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const blocker = promoteBlocker(ev, report, ep, force);
  const problems = deploymentProblems(draft);
  const id = `promote-${ev.name}`;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (blocker || problems.length) return;
    const unproven = report?.test.better !== 'candidate';
    if (unproven && !window.confirm(`Promote ${ev.candidateVariant} to all of ${ev.endpoint}'s traffic although it is not significantly better than ${ev.baselineVariant}? ${ev.baselineVariant} stops serving.`)) return;
    setBusy(true);
    setError(undefined);
    try {
      await loopApi.promoteOnlineEvaluation(ev.name, { deployment: toDeployment(draft), ...(unproven ? { force: true } : {}) });
      onPromoted();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="subform" onSubmit={submit} aria-label={`Promote ${ev.name}`} noValidate data-testid="promote-form">
      <h4>Promote the candidate</h4>
      <p className="small muted">Makes {ev.candidateVariant} the endpoint&apos;s only production variant through a blue/green update{ev.deployment ? ` (policy set at start: ${describeDeployment(ev.deployment)})` : ''}; {ev.baselineVariant} and the other weighted variants stop serving; other shadows and data capture stay.</p>
      <DeploymentFields id={id} draft={draft} onChange={setDraft} />
      {problems.length > 0 && <p className="field-error" role="alert">Fix: {problems.join(', ')}.</p>}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || !!blocker || problems.length > 0} aria-describedby={`${id}-why`}>{busy ? 'Promoting…' : 'Promote'}</button>
        <label className="check wrap">
          <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} />
          Force (promote without a significant win)
        </label>
      </div>
      {blocker && <p id={`${id}-why`} className="small muted" data-testid="promote-blocked">{blocker}</p>}
      <ErrorNotice error={error} context="Could not promote" />
    </form>
  );
}

function OnlineEvaluationCard({ ev, ep, onChanged }: { ev: OnlineEvaluation; ep: Endpoint; onChanged: () => void }) {
  const r = useLoad(() => loopApi.onlineEvaluationReport(ev.name), [ev.name, ev.promotion?.outcome], { pollMs: ev.status === 'Running' ? 10_000 : undefined });
  const [delError, setDelError] = useState<unknown>();
  const d = r.data;
  // The report's status moves first (the period ended, the decision was made): read the list again.
  const reportStatus = d?.status;
  useEffect(() => {
    if (reportStatus && reportStatus !== ev.status) onChanged();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [reportStatus]);
  const base = d?.variants.find((v) => v.role === 'baseline');
  const cand = d?.variants.find((v) => v.role === 'candidate');
  const names = [...new Set([...Object.keys(cand?.metrics ?? {}), ...Object.keys(base?.metrics ?? {})])];
  const remove = async () => {
    if (!window.confirm(`Delete the online evaluation ${ev.name} and its labels? The endpoint keeps serving as it is.`)) return;
    try {
      await loopApi.deleteOnlineEvaluation(ev.name);
      onChanged();
    } catch (err) {
      setDelError(err);
    }
  };
  return (
    <div className="subform" data-testid="online-evaluation" data-name={ev.name}>
      <div className="head-row">
        <h3>{ev.name}</h3>
        <Status value={ev.status} />
        <button type="button" onClick={r.reload} disabled={r.loading}>Refresh</button>
        <button type="button" className="danger" onClick={() => void remove()}>Delete</button>
      </div>
      <p className="small muted">
        {ev.candidateVariant}{ev.candidateIsShadow ? ' (shadow)' : ''} against {ev.baselineVariant}, {fmtTime(ev.startedAt)} → {fmtTime(ev.endsAt)}, {ev.problemType}{ev.problemType === 'binary' ? `, threshold ${ev.threshold}` : ''}, α = {ev.alpha}.
      </p>
      <ErrorNotice error={r.error} onRetry={r.reload} context="Could not load the online evaluation's report" />
      <ErrorNotice error={delError} context="Could not delete" />
      {d && base && cand && (
        <>
          <div className="grid2">
            <div className="table-wrap">
              <table className="compact" aria-label={`Variants of ${ev.name}`}>
                <thead><tr><th scope="col" /><th scope="col">Candidate: {cand.variant}</th><th scope="col">Baseline: {base.variant}</th></tr></thead>
                <tbody>
                  <tr><th scope="row">Captured</th><td>{cand.captured}</td><td>{base.captured}</td></tr>
                  <tr><th scope="row">With a label</th><td>{cand.joined}</td><td>{base.joined}</td></tr>
                  {d.problemType !== 'regression' && <tr><th scope="row">Correct</th><td>{cand.correct}</td><td>{base.correct}</td></tr>}
                  {names.map((n) => <tr key={n} data-metric={n}><th scope="row">{n}</th><td>{fmtNum(cand.metrics[n])}</td><td>{fmtNum(base.metrics[n])}</td></tr>)}
                </tbody>
              </table>
            </div>
            <div>
              <TestChart report={d} base={base} cand={cand} />
              {d.problemType !== 'regression' && <PairedBars names={names} baseline={base.metrics} candidate={cand.metrics} />}
            </div>
          </div>
          <Significance d={d} joined={cand.joined + base.joined} />
        </>
      )}
      <DecisionSummary ev={ev} />
      {!ev.promotion && <LabelsUpload name={ev.name} onUploaded={r.reload} />}
      {ev.promotion ? <PromotionSummary p={ev.promotion} /> : <PromoteForm ev={ev} report={d} ep={ep} onPromoted={onChanged} />}
    </div>
  );
}

/** An automatic decision is due (the period ended) but not made yet: the server's timer makes it within seconds. */
const awaitingDecision = (e: OnlineEvaluation) => !!e.decision?.automatic && !e.conclusion && Date.parse(e.endsAt) <= Date.now();

/**
 * Online evaluations of this endpoint: start one (a candidate variant against production on live
 * traffic), upload labels, read both variants' metrics and the test, and promote the candidate.
 */
export function OnlineEvaluationsPanel({ ep, config, onChanged }: { ep: Endpoint; config: EndpointConfig | undefined; onChanged: () => void }) {
  const list = useLoad(() => loopApi.onlineEvaluations(), [ep.name, ep.config, ep.status], {
    pollMs: 2000,
    keepPolling: (l) => l.items.some((e) => e.endpoint === ep.name && (e.promotion?.outcome === 'InProgress' || awaitingDecision(e))),
  });
  const [starting, setStarting] = useState(false);
  const all = list.data?.items ?? [];
  const mine = all.filter((e) => e.endpoint === ep.name).sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  const changed = () => {
    list.reload();
    onChanged();
  };
  return (
    <div className="card" aria-labelledby="online-title">
      <div className="head-row">
        <h2 id="online-title">Online evaluations</h2>
        {!starting && <button type="button" disabled={!config || !list.data} onClick={() => setStarting(true)}>Start an online evaluation</button>}
      </div>
      <ErrorNotice error={list.error} onRetry={list.reload} context="Could not list online evaluations" />
      {starting && config && (
        <StartOnlineEvaluationForm ep={ep} config={config} taken={all.map((e) => e.name)}
          onStarted={() => { setStarting(false); list.reload(); }} onCancel={() => setStarting(false)} />
      )}
      {list.data && mine.length === 0 && !starting && (
        <p className="muted small">None. Compare a shadow or weighted variant with production on live traffic: start an evaluation, send requests with an inference id (<code>X-Amzn-SageMaker-Inference-Id</code>), then upload their labels.</p>
      )}
      {mine.map((e) => <OnlineEvaluationCard key={e.name} ev={e} ep={ep} onChanged={changed} />)}
    </div>
  );
}
