import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { api, listAll } from '../lib/api.js';
import { useLoad } from '../lib/hooks.js';
import { validateHyperparameter, type HpSpec } from '../lib/hyperparameters.js';
import { Link, useRouter } from '../lib/router.js';
import type { CreateTrainingJobRequest } from '../../../src/sdk/types.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Empty } from '../components/Empty.js';

const NAME_RE = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const stamp = () => new Date().toISOString().replace(/[-:T]/g, '').slice(4, 12);

function HpField({ spec, value, onChange, touched }: { spec: HpSpec; value: string; onChange: (v: string) => void; touched: boolean }) {
  const found = validateHyperparameter(spec, value);
  // A range or type error shows as you type; "required" waits for the first submit.
  const error = value === '' && !touched ? '' : found;
  const id = `hp-${spec.name}`;
  const choices = spec.type === 'boolean' ? ['true', 'false'] : spec.type === 'string' && spec.enum?.length ? spec.enum : undefined;
  const hint = `${spec.type}${spec.min !== undefined ? `, min ${spec.min}` : ''}${spec.max !== undefined ? `, max ${spec.max}` : ''}${spec.default !== undefined ? `, default ${spec.default}` : ''}`;
  return (
    <div className="field">
      <label htmlFor={id}>{spec.name}{spec.required ? ' *' : ''}</label>
      {choices ? (
        <select id={id} value={value} onChange={(e) => onChange(e.target.value)} aria-invalid={!!error} aria-describedby={`${id}-help ${id}-err`}>
          <option value="">{spec.required ? 'Choose…' : `Default${spec.default !== undefined ? ` (${spec.default})` : ''}`}</option>
          {choices.map((c) => <option key={c} value={c}>{c}</option>)}
        </select>
      ) : (
        <input id={id} value={value} placeholder={spec.default ?? ''} inputMode={spec.type === 'integer' ? 'numeric' : spec.type === 'float' ? 'decimal' : undefined}
          onChange={(e) => onChange(e.target.value)} aria-invalid={!!error} aria-describedby={`${id}-help ${id}-err`} />
      )}
      <span id={`${id}-help`} className="help" title={spec.description}>{hint}. {spec.description}</span>
      <span id={`${id}-err`} className="field-error" role={error ? 'alert' : undefined}>{error}</span>
    </div>
  );
}

/** Create a training job for a built-in algorithm: hyperparameters from the API, checked as you type. */
export default function TrainingCreate() {
  const { loc, navigate } = useRouter();
  const algos = useLoad(() => api.algorithms(), []);
  const datasets = useLoad(() => listAll((a) => api.datasets(a)), []);
  const [algorithm, setAlgorithm] = useState('');
  const [name, setName] = useState('');
  const [channels, setChannels] = useState<Record<string, string>>({});
  const [hps, setHps] = useState<Record<string, string>>({});
  const [showAll, setShowAll] = useState(false);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [touched, setTouched] = useState(false);

  const algo = algos.data?.items.find((a) => a.name === algorithm);
  useEffect(() => {
    if (!algorithm && algos.data?.items.length) setAlgorithm(algos.data.items.find((a) => a.name === 'linear-learner')?.name ?? algos.data.items[0].name);
  }, [algos.data, algorithm]);
  useEffect(() => {
    if (algo && !name) setName(`${algo.name}-${stamp()}`);
    const ds = loc.query.get('dataset');
    if (ds && algo) setChannels((c) => (c.train ? c : { ...c, train: ds }));
  }, [algo, name, loc.query]);

  const specs = useMemo(() => algo?.hyperparameters ?? [], [algo]);
  const shown = specs.filter((s) => showAll || s.required || hps[s.name] !== undefined);
  const hpErrors = specs.map((s) => [s.name, validateHyperparameter(s, hps[s.name] ?? '')] as const).filter(([, e]) => e);
  const nameError = name && !NAME_RE.test(name) ? 'Letters, digits and single hyphens; at most 63 characters.' : '';
  const missingChannels = algo?.channels.required.filter((c) => !channels[c]) ?? [];
  const invalid = !algo || !name || !!nameError || hpErrors.length > 0 || missingChannels.length > 0;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (invalid || !algo) return;
    setBusy(true);
    setError(undefined);
    const req: CreateTrainingJobRequest = {
      name,
      algorithm: algo.name,
      hyperparameters: Object.fromEntries(Object.entries(hps).filter(([, v]) => v.trim() !== '').map(([k, v]) => [k, v.trim()])),
      inputs: Object.entries(channels).filter(([, d]) => d).map(([channel, dataset]) => ({ channel, dataset })),
    };
    try {
      const job = await api.createTrainingJob(req);
      navigate(`/training/${job.name}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <p className="crumbs"><Link to="/training">Training jobs</Link> /</p>
      <h1>New training job</h1>
      <ErrorNotice error={algos.error} onRetry={algos.reload} context="Could not load the algorithms" />
      <ErrorNotice error={datasets.error} onRetry={datasets.reload} context="Could not list datasets" />
      {datasets.data && datasets.data.length === 0 && (
        <Empty title="Upload a dataset first">A training job reads its channels from datasets. <Link to="/datasets">Upload one</Link>, then come back.</Empty>
      )}
      {algos.data && (
        <form className="card" onSubmit={submit} noValidate>
          <div className="row">
            <div className="field">
              <label htmlFor="job-name">Job name</label>
              <input id="job-name" value={name} onChange={(e) => setName(e.target.value)} aria-invalid={!!nameError} aria-describedby="job-name-err" />
              <span id="job-name-err" className="field-error">{nameError}</span>
            </div>
            <div className="field">
              <label htmlFor="algorithm">Algorithm</label>
              <select id="algorithm" value={algorithm} onChange={(e) => { setAlgorithm(e.target.value); setHps({}); }}>
                {algos.data.items.map((a) => <option key={a.name} value={a.name}>{a.name}</option>)}
              </select>
              {algo && <span className="help">{algo.description}</span>}
            </div>
          </div>
          {algo && (
            <>
              <fieldset>
                <legend>Input channels</legend>
                <div className="row">
                  {[...algo.channels.required, ...algo.channels.optional].map((c) => {
                    const required = algo.channels.required.includes(c);
                    return (
                      <div className="field" key={c}>
                        <label htmlFor={`ch-${c}`}>{c}{required ? ' *' : ' (optional)'}</label>
                        <select id={`ch-${c}`} value={channels[c] ?? ''} onChange={(e) => setChannels({ ...channels, [c]: e.target.value })}
                          aria-invalid={touched && required && !channels[c]} aria-describedby={`ch-${c}-err`}>
                          <option value="">{required ? 'Choose a dataset…' : 'None'}</option>
                          {datasets.data?.map((d) => <option key={d.name} value={d.name}>{d.name} (v{d.latestVersion})</option>)}
                        </select>
                        <span id={`ch-${c}-err`} className="field-error">{touched && required && !channels[c] ? `Pick the dataset for the ${c} channel.` : ''}</span>
                      </div>
                    );
                  })}
                </div>
              </fieldset>
              <fieldset>
                <legend>Hyperparameters</legend>
                <div className="hp-grid">
                  {shown.map((s) => <HpField key={s.name} spec={s} value={hps[s.name] ?? ''} touched={touched} onChange={(v) => setHps({ ...hps, [s.name]: v })} />)}
                </div>
                <button type="button" className="link" onClick={() => setShowAll(!showAll)} aria-expanded={showAll}>
                  {showAll ? 'Show only required and set hyperparameters' : `Show all ${specs.length} hyperparameters`}
                </button>
              </fieldset>
            </>
          )}
          {touched && invalid && (
            <p className="field-error" role="alert">
              Fix before starting: {[nameError && 'job name', ...missingChannels.map((c) => `${c} channel`), ...hpErrors.map(([n]) => n)].filter(Boolean).join(', ')}.
            </p>
          )}
          <div className="actions">
            <button type="submit" className="primary" disabled={busy}>{busy ? 'Starting…' : 'Start training'}</button>
            <Link to="/training">Cancel</Link>
          </div>
          <ErrorNotice error={error} context="Could not start the job" />
        </form>
      )}
    </section>
  );
}
