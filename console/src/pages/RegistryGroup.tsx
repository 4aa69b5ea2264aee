import { useState, type FormEvent } from 'react';
import type { ModelPackage, ModelPackageGroup } from '../../../src/contracts/model-registry.js';
import { listAll } from '../lib/api.js';
import { useLoad } from '../lib/hooks.js';
import { loopApi, type RegistryEvent } from '../lib/loop-api.js';
import { Link, useRouter } from '../lib/router.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Empty } from '../components/Empty.js';
import { fmtAgo, fmtNum, fmtTime, Status } from '../components/Status.js';

const ALIAS_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const enc = encodeURIComponent;

/** Where a version came from, as links: model, training job, evaluation report, datasets. */
function Lineage({ v }: { v: ModelPackage }) {
  return (
    <dl className="kv" data-testid="lineage">
      <dt>Model</dt><dd>{v.model ? <Link to={`/models/${enc(v.model)}`}>{v.model}</Link> : <code>{v.artifactUri}</code>}</dd>
      <dt>Training job</dt><dd>{v.trainingJob ? <Link to={`/training/${enc(v.trainingJob)}`}>{v.trainingJob}</Link> : '—'}</dd>
      <dt>Evaluation</dt><dd>{v.evaluationJob ? <Link to={`/evaluation/${enc(v.evaluationJob)}`}>{v.evaluationJob} (report)</Link> : '—'}</dd>
      <dt>Datasets</dt>
      <dd>{v.datasets.length ? v.datasets.map((d, i) => (
        <span key={i}>{i > 0 && ', '}<Link to={`/datasets/${enc(d.name)}`}>{d.name}</Link>{d.version ? ` v${d.version}` : ''}</span>
      )) : '—'}</dd>
      <dt>Runtime</dt><dd>{v.runtime ?? v.algorithm ?? '—'}</dd>
    </dl>
  );
}

/** Approve or reject a version with a reason; the API records who and when. */
function ApprovalForm({ v, onChanged }: { v: ModelPackage; onChanged: () => void }) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState('');
  const [error, setError] = useState<unknown>();
  const [missingReason, setMissingReason] = useState(false);
  const decide = async (status: ModelPackage['approvalStatus']) => {
    if (status === 'Rejected' && !reason.trim()) {
      setMissingReason(true);
      return;
    }
    setBusy(status);
    setError(undefined);
    setMissingReason(false);
    try {
      await loopApi.setApproval(v.group, v.version, status, reason.trim() || undefined);
      setReason('');
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy('');
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void decide('Approved');
  };
  return (
    <form onSubmit={submit} aria-labelledby="approval-title" className="subform">
      <h3 id="approval-title">Approval</h3>
      <p className="small">
        <Status value={v.approvalStatus} />{' '}
        {v.approval && <span className="muted">by {v.approval.by}, {fmtTime(v.approval.at)}{v.approval.reason ? `: “${v.approval.reason}”` : ''}</span>}
      </p>
      <div className="field">
        <label htmlFor="approval-reason">Reason</label>
        <textarea id="approval-reason" rows={2} value={reason} onChange={(e) => { setReason(e.target.value); setMissingReason(false); }}
          aria-invalid={missingReason} aria-describedby="approval-reason-help" maxLength={1024} />
        <span id="approval-reason-help" className={missingReason ? 'field-error' : 'help'}>
          {missingReason ? 'Say why this version is rejected.' : 'Recorded with the decision in the event history (required to reject).'}
        </span>
      </div>
      <div className="actions">
        <button type="submit" className="primary" disabled={!!busy || v.approvalStatus === 'Approved'}>{busy === 'Approved' ? 'Approving…' : 'Approve'}</button>
        <button type="button" className="danger" disabled={!!busy || v.approvalStatus === 'Rejected'} onClick={() => void decide('Rejected')}>{busy === 'Rejected' ? 'Rejecting…' : 'Reject'}</button>
        {v.approvalStatus !== 'PendingManualApproval' && (
          <button type="button" disabled={!!busy} onClick={() => void decide('PendingManualApproval')}>Back to pending</button>
        )}
      </div>
      <ErrorNotice error={error} context="Could not change the approval" />
    </form>
  );
}

/** One version in full: lineage, metrics, approval. */
function VersionCard({ v, onChanged }: { v: ModelPackage; onChanged: () => void }) {
  const metrics = Object.entries(v.metrics);
  return (
    <div className="card" data-testid="version-detail" aria-labelledby="version-title">
      <div className="head-row">
        <h2 id="version-title">Version {v.version}</h2>
        <span className="aliases">{v.aliases.map((a) => <span key={a} className="tag">{a}</span>)}</span>
      </div>
      {v.description && <p>{v.description}</p>}
      <div className="grid2">
        <div>
          <h3>Lineage</h3>
          <Lineage v={v} />
          <p className="muted small">Registered {fmtTime(v.createdAt)} · <code>{v.arn}</code></p>
        </div>
        <div>
          <h3>Metrics</h3>
          {metrics.length ? (
            <div className="table-wrap">
              <table className="compact" aria-label={`Metrics of version ${v.version}`}>
                <tbody>{metrics.map(([k, val]) => <tr key={k}><th scope="row">{k}</th><td className="num-cell">{fmtNum(val)}</td></tr>)}</tbody>
              </table>
            </div>
          ) : <p className="muted small">No metrics recorded (register from an evaluation job to link its report and metrics).</p>}
        </div>
      </div>
      <ApprovalForm v={v} onChanged={onChanged} />
    </div>
  );
}

/** Aliases (production, candidate, …): where each points, and a form to point one at a version. */
function AliasesCard({ group, versions, onChanged }: { group: ModelPackageGroup; versions: ModelPackage[]; onChanged: () => void }) {
  const [alias, setAlias] = useState('production');
  const [version, setVersion] = useState(String(group.latestVersion || ''));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const set = async (e: FormEvent) => {
    e.preventDefault();
    if (!ALIAS_RE.test(alias) || !version) return;
    setBusy(true);
    setError(undefined);
    try {
      await loopApi.setAlias(group.name, alias, Number(version));
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const remove = async (a: string) => {
    if (!window.confirm(`Remove alias ${a}? Whatever resolves it (a pipeline condition, a deploy) will find no version.`)) return;
    setError(undefined);
    try {
      await loopApi.deleteAlias(group.name, a);
      onChanged();
    } catch (err) {
      setError(err);
    }
  };
  const entries = Object.entries(group.aliases).sort(([a], [b]) => a.localeCompare(b));
  return (
    <form className="card" onSubmit={set} aria-labelledby="aliases-title">
      <h2 id="aliases-title">Aliases</h2>
      {entries.length ? (
        <ul className="plain" data-testid="aliases">
          {entries.map(([a, v]) => (
            <li key={a} data-alias={a}><span className="tag">{a}</span> → <Link to={`/registry/${enc(group.name)}?version=${v}`}>v{v}</Link>{' '}
              <button type="button" className="link" onClick={() => void remove(a)} aria-label={`Remove alias ${a}`}>remove</button></li>
          ))}
        </ul>
      ) : <p className="muted small">No aliases yet. Point <code>production</code> at the version that should serve.</p>}
      <div className="row">
        <div className="field">
          <label htmlFor="alias-name">Alias</label>
          <input id="alias-name" value={alias} onChange={(e) => setAlias(e.target.value)} aria-invalid={!ALIAS_RE.test(alias)} list="alias-suggestions" />
          <datalist id="alias-suggestions">{[...new Set(['production', 'candidate', 'staging', ...Object.keys(group.aliases)])].map((a) => <option key={a} value={a} />)}</datalist>
        </div>
        <div className="field">
          <label htmlFor="alias-version">Version</label>
          <select id="alias-version" value={version} onChange={(e) => setVersion(e.target.value)}>
            {versions.map((v) => <option key={v.version} value={v.version}>v{v.version} ({v.approvalStatus})</option>)}
          </select>
        </div>
        <button type="submit" disabled={busy || !ALIAS_RE.test(alias) || !version}>{busy ? 'Setting…' : 'Set alias'}</button>
      </div>
      <ErrorNotice error={error} context="Could not change the alias" />
    </form>
  );
}

function describeEvent(e: RegistryEvent): string {
  const d = e.detail as Record<string, string | number | boolean | undefined>;
  const v = e.version !== undefined ? `v${e.version}` : '';
  switch (e.type) {
    case 'group_created': return 'group created';
    case 'registered': return `${v} registered${d.model ? ` from model ${d.model}` : ''}${d.evaluationJob ? ` with evaluation ${d.evaluationJob}` : ''} (${d.approvalStatus ?? 'PendingManualApproval'})`;
    case 'approval_changed': return `${v}: ${d.from} → ${d.to}${d.reason ? ` — “${d.reason}”` : ''}`;
    case 'alias_moved': return `alias ${d.alias} → v${d.to}${d.from !== undefined ? ` (was v${d.from})` : ''}`;
    case 'alias_deleted': return `alias ${d.alias} removed (was v${d.from})`;
    case 'deployed': return `${v} serving on endpoint ${d.endpoint} (variant ${d.variant}${d.shadow ? ', shadow' : ''})`;
    default: return `${e.type} ${v}`;
  }
}

/** A model package group: aliases, versions with approval status and lineage, one version in full, and the event history. */
export default function RegistryGroup({ params }: { params: Record<string, string> }) {
  const name = params.group;
  const { loc, navigate } = useRouter();
  const data = useLoad(async () => {
    const [group, versions, events] = await Promise.all([loopApi.group(name), listAll((a) => loopApi.versions(name, a), 1000), loopApi.registryEvents(name)]);
    return { group, versions, events: events.items };
  }, [name]);
  const d = data.data;
  const selectedVersion = Number(loc.query.get('version') ?? d?.versions[0]?.version ?? 0);
  const selected = d?.versions.find((v) => v.version === selectedVersion);
  const pick = (v: number) => navigate(`/registry/${enc(name)}?version=${v}`, true);
  return (
    <section>
      <p className="crumbs"><Link to="/registry">Model registry</Link> /</p>
      <div className="head-row"><h1>{name}</h1></div>
      <ErrorNotice error={data.error} onRetry={data.reload} context="Could not load the group" />
      {d && (
        <>
          {d.group.description && <p>{d.group.description}</p>}
          <div className="card">
            <h2>Versions</h2>
            {d.versions.length === 0 ? <Empty title="No versions yet">Register one from a model or an evaluation job.</Empty> : (
              <div className="table-wrap">
                <table aria-label="Versions">
                  <thead><tr><th scope="col">Version</th><th scope="col">Approval</th><th scope="col">Aliases</th><th scope="col">Model</th><th scope="col">Evaluation</th><th scope="col">Registered</th></tr></thead>
                  <tbody>
                    {d.versions.map((v) => (
                      <tr key={v.version} className={v.version === selectedVersion ? 'selected' : undefined} data-version={v.version}>
                        <th scope="row"><button type="button" className="link" onClick={() => pick(v.version)} aria-pressed={v.version === selectedVersion}>v{v.version}</button></th>
                        <td><Status value={v.approvalStatus} /></td>
                        <td className="aliases">{v.aliases.map((a) => <span key={a} className="tag">{a}</span>)}</td>
                        <td>{v.model ? <Link to={`/models/${enc(v.model)}`}>{v.model}</Link> : '—'}</td>
                        <td>{v.evaluationJob ? <Link to={`/evaluation/${enc(v.evaluationJob)}`}>{v.evaluationJob}</Link> : '—'}</td>
                        <td title={v.createdAt}>{fmtAgo(v.createdAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </div>
          {selected && <VersionCard key={selected.version} v={selected} onChanged={data.reload} />}
          <div className="grid2">
            <AliasesCard group={d.group} versions={d.versions} onChanged={data.reload} />
            <div className="card">
              <h2>Event history</h2>
              <p className="muted small">Append-only, newest first: registrations, approvals, alias moves and deployments.</p>
              <ol className="event-list" data-testid="registry-events">
                {[...d.events].reverse().map((e) => (
                  <li key={e.seq} data-type={e.type}>
                    <strong>{e.type.replace('_', ' ')}</strong> {describeEvent(e)}
                    <div className="muted small">{fmtTime(e.at)}{e.actor ? ` · ${e.actor}` : ''}</div>
                  </li>
                ))}
              </ol>
            </div>
          </div>
        </>
      )}
      {!d && data.loading && <p className="muted" role="status">Loading…</p>}
    </section>
  );
}
