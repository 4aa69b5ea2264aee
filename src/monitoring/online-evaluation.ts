import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { DeploymentConfig } from '../contracts/deployment.js';
import type { CreateEndpointConfigRequest } from '../contracts/endpoint.js';
import type {
  CreateOnlineEvaluationRequest, OnlineEvaluation, OnlineEvaluationConclusion, OnlineEvaluationGroundTruth, OnlineEvaluationReport,
  PromoteOnlineEvaluationRequest, Promotion,
} from '../contracts/online-evaluation.js';
import type { TimelineEntry } from '../contracts/retraining.js';
import type { Clock } from '../core/clock.js';
import { alreadyExists, failedPrecondition, isPlatformError, notFound, validationError } from '../core/errors.js';
import { randomSuffix } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { EndpointService } from '../serving/endpoint-service.js';
import type { EndpointConfigSpec, ModelService } from '../serving/model-service.js';
import type { MetadataStore, ResourceRef } from '../store/metadata-store.js';
import { firstPrediction, type Prediction } from './model-quality.js';
import { compareVariants, scoreVariant, type JoinedPredictions } from './online-comparison.js';

export interface OnlineEvaluationDeps {
  store: MetadataStore;
  artifacts: ArtifactStore;
  clock: Clock;
  /** Creates the promoted config. */
  models: ModelService;
  /** Rolls the promoted config out (blue/green, with the deployment policy's alarms). */
  endpoints: EndpointService;
  log: Logger;
  /** Whether this node makes the automatic decisions now (a cluster's leader); absent: always. */
  dispatcher?: { readonly leader: boolean };
  /** How often `start()`'s timer looks for evaluations whose period ended. @defaultValue 5000 */
  tickMs?: number;
}

interface Stored extends Omit<OnlineEvaluation, 'status' | 'promotion'> {
  capturePrefix: string;
  promotion?: Omit<Promotion, 'outcome' | 'failureReason'> & { outcome?: 'Completed' | 'RolledBack'; failureReason?: string };
}

const prefixOf = (name: string) => `online-evaluations/${name}/`;
const docKey = (name: string) => `${prefixOf(name)}evaluation.json`;
const DEFAULT_BOOTSTRAP = { samples: 2000, seed: 0 };
const DEFAULT_MINIMUM_LABELLED = 30;
/**
 * The evaluation's claim in the metadata store (a resource document, written only by compare-and-set):
 * `held` while a decision or promotion is under way on some node, `concluded` once decided. The
 * evaluation document itself is an artifact, which has no conditional write.
 */
interface Claim {
  held?: { by: 'decision' | 'promotion'; at: string; promoting?: string };
  concluded?: OnlineEvaluationConclusion['outcome'];
}
interface Hold { ref: ResourceRef; before: Claim | undefined; current: Claim }
const CLAIM_KIND = 'online-evaluation-claim';
/** A claim held this long is taken to have died with its node (unless it was promoting: that may have happened). */
const CLAIM_STALE_MS = 10 * 60_000;
/** Endpoint states that end by themselves: the automatic decision waits for them to pass. */
const PASSING_STATES = new Set(['Creating', 'Updating', 'RollingBack']);

/**
 * Online evaluations (issue 7, item 7). The definition is a JSON artifact
 * (`online-evaluations/<name>/evaluation.json`), labels are artifacts beside it; the report is
 * computed when asked for: both variants' captured answers (inference time within the period,
 * with an inference id) joined with the labels, scored side by side, and a test of the
 * difference (online-comparison.ts). `promote` makes the candidate the endpoint's only production
 * variant through the endpoint's blue/green update, so the deployment policy's canary steps and
 * rollback alarms apply. With `decision.automatic`, `start()`'s timer concludes the evaluation when
 * its period ends (on a cluster's leader only): promoted when the candidate is significantly better
 * with enough labels, else the baseline kept. The state is the stored document, so a restart or a
 * new leader picks up what is due.
 */
export class OnlineEvaluationService {
  #timer: NodeJS.Timeout | undefined;
  /** The tick under way, if any: a slow one is not overlapped, and close() waits for it. */
  #tick: Promise<unknown> | undefined;
  /** Stored document version → when it next needs a look (Infinity: nothing left to decide). */
  #dueAt = new Map<string, number>();
  /** Promotions and decisions under way, by evaluation: one at a time on this node. */
  readonly #busy = new Set<string>();

  constructor(private readonly deps: OnlineEvaluationDeps) {}

  async create(req: CreateOnlineEvaluationRequest): Promise<OnlineEvaluation> {
    if (await this.deps.artifacts.stat(docKey(req.name))) throw alreadyExists('OnlineEvaluation', req.name);
    const ep = await this.deps.store.endpoints.find(req.endpoint);
    if (!ep) throw notFound('Endpoint', req.endpoint);
    const spec = (await this.deps.store.endpointConfigs.get(ep.configName)).spec as unknown as EndpointConfigSpec;
    if (!spec.dataCapture) throw validationError(`endpoint '${req.endpoint}' does not capture its traffic (config '${ep.configName}' has no dataCapture)`, { field: 'endpoint' });
    const shadow = (spec.shadowVariants ?? []).some((v) => v.name === req.candidateVariant);
    if (!shadow && !spec.variants.some((v) => v.name === req.candidateVariant)) {
      throw validationError(`variant '${req.candidateVariant}' is not in endpoint '${req.endpoint}' (config '${ep.configName}')`, { field: 'candidateVariant' });
    }
    if (shadow && req.decision?.resetCandidateWeight) {
      throw validationError(`decision.resetCandidateWeight is for a weighted candidate; '${req.candidateVariant}' is a shadow and takes no traffic share`, { field: 'decision.resetCandidateWeight' });
    }
    const baseline = req.baselineVariant ?? [...spec.variants].filter((v) => v.name !== req.candidateVariant).sort((a, b) => b.weight - a.weight)[0]?.name;
    if (!baseline || baseline === req.candidateVariant || !spec.variants.some((v) => v.name === baseline)) {
      throw validationError(`no production variant to compare '${req.candidateVariant}' with`, { field: 'baselineVariant' });
    }
    const dest = spec.dataCapture.destination;
    const now = this.deps.clock.now();
    const doc: Stored = {
      name: req.name, endpoint: req.endpoint, config: ep.configName, candidateVariant: req.candidateVariant, candidateIsShadow: shadow,
      baselineVariant: baseline, durationSeconds: req.durationSeconds, threshold: req.threshold ?? 0.5, alpha: req.alpha ?? 0.05,
      problemType: req.problemType ?? 'binary', bootstrap: { ...DEFAULT_BOOTSTRAP, ...req.bootstrap },
      ...(req.deployment ? { deployment: req.deployment } : {}),
      ...(req.decision ? {
        decision: { automatic: req.decision.automatic, minimumLabelled: req.decision.minimumLabelled ?? DEFAULT_MINIMUM_LABELLED, resetCandidateWeight: req.decision.resetCandidateWeight ?? false },
      } : {}),
      startedAt: now.toISOString(), endsAt: new Date(now.getTime() + req.durationSeconds * 1000).toISOString(),
      capturePrefix: `${dest.endsWith('/') ? dest : `${dest}/`}${req.endpoint}/`,
    };
    await this.#save(doc);
    return this.#view(doc);
  }

  async #doc(name: string): Promise<Stored> {
    if (!(await this.deps.artifacts.stat(docKey(name)))) throw notFound('OnlineEvaluation', name);
    return this.#read(docKey(name));
  }

  async #read(key: string): Promise<Stored> {
    return JSON.parse((await this.deps.artifacts.getBytes(key)).toString('utf8')) as Stored;
  }

  #save(doc: Stored) {
    return this.deps.artifacts.put(docKey(doc.name), Buffer.from(JSON.stringify(doc)));
  }

  async #view(d: Stored): Promise<OnlineEvaluation> {
    const { capturePrefix: _p, promotion: _q, ...rest } = d;
    const promotion = await this.#promotion(d);
    return { ...rest, status: this.#status(d), ...(promotion ? { promotion } : {}) };
  }

  #status(d: Stored): OnlineEvaluation['status'] {
    if (d.conclusion) return 'Concluded';
    if (this.deps.clock.now().getTime() < Date.parse(d.endsAt)) return 'Running';
    // the decision is part of the evaluation: it runs until the timer has made it
    return d.decision?.automatic ? 'Running' : 'Completed';
  }

  async get(name: string): Promise<OnlineEvaluation> {
    return this.#view(await this.#doc(name));
  }

  async list(): Promise<{ items: OnlineEvaluation[] }> {
    const items: OnlineEvaluation[] = [];
    for (const d of await this.#all()) items.push(await this.#view(d));
    return { items };
  }

  async #all(): Promise<Stored[]> {
    const out: Stored[] = [];
    for await (const info of this.deps.artifacts.list('online-evaluations/')) if (info.key.endsWith('/evaluation.json')) out.push(await this.#read(info.key));
    return out;
  }

  async delete(name: string): Promise<void> {
    await this.#doc(name);
    if (this.#busy.has(name)) throw failedPrecondition(`online evaluation '${name}' is being promoted or concluded now; delete it when that is done`);
    await this.deps.artifacts.delete(prefixOf(name));
  }

  async putGroundTruth(name: string, req: OnlineEvaluationGroundTruth): Promise<{ accepted: number }> {
    await this.#doc(name);
    const key = `${prefixOf(name)}ground-truth/${this.deps.clock.now().getTime()}-${randomSuffix(3)}.json`;
    await this.deps.artifacts.put(key, Buffer.from(JSON.stringify(req.labels)));
    return { accepted: req.labels.length };
  }

  async report(name: string): Promise<OnlineEvaluationReport> {
    return this.#report(await this.#doc(name));
  }

  async #report(d: Stored): Promise<OnlineEvaluationReport> {
    const labels = await this.#labels(d.name);
    const joined = async (variant: string) => {
      const predictions = await this.#captured(d, variant);
      const side: JoinedPredictions = { ids: [], labels: [], predictions: [] };
      for (const [id, p] of predictions) {
        const label = labels.get(id);
        if (label === undefined) continue;
        side.ids.push(id);
        side.labels.push(label);
        side.predictions.push(p);
      }
      return { captured: predictions.size, side };
    };
    const base = await joined(d.baselineVariant);
    const cand = await joined(d.candidateVariant);
    const o = { problemType: d.problemType, threshold: d.threshold, alpha: d.alpha, ...d.bootstrap, paired: d.candidateIsShadow };
    const result = (variant: string, role: 'baseline' | 'candidate', shadow: boolean, x: typeof base) => ({ variant, role, shadow, captured: x.captured, ...scoreVariant(x.side, o) });
    const promotion = await this.#promotion(d);
    return {
      name: d.name, endpoint: d.endpoint, status: this.#status(d), startedAt: d.startedAt, endsAt: d.endsAt, problemType: d.problemType, labels: labels.size,
      variants: [result(d.baselineVariant, 'baseline', false, base), result(d.candidateVariant, 'candidate', d.candidateIsShadow, cand)],
      test: compareVariants(base.side, cand.side, o),
      ...(promotion ? { promotion } : {}),
    };
  }

  async #labels(name: string): Promise<Map<string, number>> {
    const labels = new Map<string, number>();
    for await (const info of this.deps.artifacts.list(`${prefixOf(name)}ground-truth/`)) {
      for (const l of JSON.parse((await this.deps.artifacts.getBytes(info.key)).toString('utf8')) as OnlineEvaluationGroundTruth['labels']) labels.set(l.inferenceId, l.label);
    }
    return labels;
  }

  /** Inference id → first prediction of the variant's captured answers within the period. */
  async #captured(d: Stored, variant: string): Promise<Map<string, Prediction>> {
    const from = Date.parse(d.startedAt);
    const to = Date.parse(d.endsAt);
    const predictions = new Map<string, Prediction>();
    for await (const info of this.deps.artifacts.list(`${d.capturePrefix}${variant}/`)) {
      for (const line of (await this.deps.artifacts.getBytes(info.key)).toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          const r = JSON.parse(line) as { captureData?: { endpointOutput?: { observedContentType?: string; data?: string; encoding?: string } }; eventMetadata?: { inferenceId?: string; inferenceTime?: string } };
          const id = r.eventMetadata?.inferenceId;
          const at = Date.parse(r.eventMetadata?.inferenceTime ?? '');
          const out = r.captureData?.endpointOutput;
          // inferenceTime has whole seconds: the period is widened to the second it started in.
          if (!id || !out || typeof out.data !== 'string' || !(at >= Math.floor(from / 1000) * 1000 && at < to)) continue;
          const text = out.encoding === 'BASE64' ? Buffer.from(out.data, 'base64').toString('utf8') : out.data;
          const p = firstPrediction(text, out.observedContentType ?? 'application/json');
          if (p) predictions.set(id, p);
        } catch {
          // an unreadable record has no prediction
        }
      }
    }
    return predictions;
  }

  /**
   * Makes the candidate the endpoint's only production variant (a shadow becomes production;
   * the baseline and the other weighted variants go; other shadows and data capture stay) in a
   * new endpoint config, rolled out by the endpoint's blue/green update with `deployment` (the
   * request's, else the evaluation's, else all at once), so canary steps and rollback alarms apply.
   * @throws FailedPrecondition when the candidate is not significantly better (unless `force`),
   *   the endpoint no longer serves the evaluated config, it was promoted already, or its
   *   automatic decision is being made now.
   */
  async promote(name: string, req: PromoteOnlineEvaluationRequest = {}): Promise<OnlineEvaluation> {
    return this.#exclusive(name, async () => {
      const h = await this.#hold(await this.#doc(name), 'promotion');
      if (!h) throw failedPrecondition(`online evaluation '${name}' is being promoted or concluded on another node now; try again shortly`);
      try {
        return await this.#promoteByRequest(name, req, h);
      } finally {
        await this.#release(h);
      }
    });
  }

  async #promoteByRequest(name: string, req: PromoteOnlineEvaluationRequest, h: Hold): Promise<OnlineEvaluation> {
    // read again under the claim: another node may have just promoted
    const d = await this.#doc(name);
    if (d.promotion) throw failedPrecondition(`online evaluation '${name}' was promoted already (config '${d.promotion.config}' at ${d.promotion.at})`);
    const ep = await this.deps.store.endpoints.find(d.endpoint);
    if (!ep) throw notFound('Endpoint', d.endpoint);
    if (ep.configName !== d.config) {
      throw failedPrecondition(`endpoint '${d.endpoint}' now serves config '${ep.configName}', not the evaluated '${d.config}': evaluate the candidate again`, { config: ep.configName });
    }
    const { test } = await this.#report(d);
    const forced = test.better !== 'candidate';
    if (forced && !req.force) {
      throw failedPrecondition(
        `candidate '${d.candidateVariant}' is not significantly better than '${d.baselineVariant}' (${test.metric} difference ${signed(test.difference)}, p = ${test.pValue.toPrecision(3)}${test.significant ? '' : ` ≥ alpha ${d.alpha}`}); pass force to promote it anyway`,
        { pValue: test.pValue, better: test.better },
      );
    }
    await this.#markPromoting(h, promotedConfigName(d));
    await this.#promote(d, test, { forced, automatic: false, deployment: req.deployment ?? d.deployment }, h.current.held!.promoting!);
    return this.#view(d);
  }

  #claimRef(d: Stored): ResourceRef {
    return { kind: CLAIM_KIND, name: d.name, createdAt: new Date(d.startedAt) };
  }

  /**
   * Takes the evaluation's claim for a decision or promotion (compare-and-set in the store), so
   * another node — a new leader, or a promotion by request — backs off until it is released.
   * @returns undefined when another holds it, or (for a decision) it is concluded already
   */
  async #hold(d: Stored, by: 'decision' | 'promotion'): Promise<Hold | undefined> {
    const ref = this.#claimRef(d);
    const before = (await this.deps.store.resourceDocuments.find(ref)) as Claim | undefined;
    const now = this.deps.clock.now();
    if (before?.held && (before.held.promoting || now.getTime() - Date.parse(before.held.at) < CLAIM_STALE_MS)) return undefined;
    if (by === 'decision' && before?.concluded) return undefined;
    const current: Claim = { ...(before?.concluded ? { concluded: before.concluded } : {}), held: { by, at: now.toISOString() } };
    const won = await this.deps.store.resourceDocuments.putIf(ref, current as Record<string, unknown>, before as Record<string, unknown> | undefined);
    return won ? { ref, before, current } : undefined;
  }

  /** Records, before the update starts, the config a promotion creates: a claim that promoting is never taken over. */
  async #markPromoting(h: Hold, config: string): Promise<void> {
    const next: Claim = { ...h.current, held: { ...h.current.held!, promoting: config } };
    if (!(await this.deps.store.resourceDocuments.putIf(h.ref, next as Record<string, unknown>, h.current as Record<string, unknown>))) {
      throw failedPrecondition(`online evaluation '${h.ref.name}' lost its claim to another node before promoting`);
    }
    h.current = next;
  }

  /** Releases the claim, recording the conclusion when one was made. */
  async #release(h: Hold, concluded?: Claim['concluded']): Promise<void> {
    const outcome = concluded ?? h.before?.concluded;
    const released = await this.deps.store.resourceDocuments
      .putIf(h.ref, outcome ? { concluded: outcome } : {}, h.current as Record<string, unknown>)
      .catch((err: unknown) => this.deps.log.warn({ err, evaluation: h.ref.name }, 'could not release the online evaluation claim'));
    if (released === false) this.deps.log.warn({ evaluation: h.ref.name }, 'the online evaluation claim was taken over before its release');
  }

  /** Runs `fn` unless a promotion or decision of the same evaluation is under way on this node. */
  async #exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
    if (this.#busy.has(name)) throw failedPrecondition(`online evaluation '${name}' is being promoted or concluded now; try again shortly`);
    this.#busy.add(name);
    try {
      return await fn();
    } finally {
      this.#busy.delete(name);
    }
  }

  /** Creates the promoted config, starts the endpoint's update and records the promotion in `d`. */
  async #promote(d: Stored, test: OnlineEvaluationReport['test'], o: { forced: boolean; automatic: boolean; deployment: DeploymentConfig | undefined }, config: string): Promise<void> {
    // Before the update: the timeline shows the promotion, then the update's steps.
    const at = this.deps.clock.now().toISOString();
    const spec = await this.deps.models.configSpec(d.config);
    const candidate = promotedVariant(spec, d.candidateVariant);
    await this.deps.models.createConfig({
      name: config,
      variants: [{ ...candidate, weight: 1 }],
      ...(spec.shadowVariants?.some((s) => s.name !== d.candidateVariant) ? { shadowVariants: spec.shadowVariants.filter((s) => s.name !== d.candidateVariant) } : {}),
      ...(spec.dataCapture ? { dataCapture: spec.dataCapture as unknown as CreateEndpointConfigRequest['dataCapture'] } : {}),
    });
    await this.deps.endpoints.update(d.endpoint, config, ...(o.deployment ? [o.deployment] : []));
    d.promotion = {
      at, fromConfig: d.config, config, variant: d.candidateVariant, model: candidate.model, fromShadow: d.candidateIsShadow,
      forced: o.forced, ...(o.automatic ? { automatic: true } : {}), metric: test.metric, difference: test.difference, pValue: test.pValue,
    };
    await this.#save(d);
    this.deps.log.info({ evaluation: d.name, endpoint: d.endpoint, config, variant: d.candidateVariant, forced: o.forced, automatic: o.automatic }, 'online evaluation promoted its candidate');
  }

  /** Starts the timer that makes the automatic decisions of evaluations whose period ended. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (this.#tick) return;
      this.#tick = this.concludeDue()
        .catch((err: unknown) => this.deps.log.error({ err }, 'online evaluation decision tick failed'))
        .finally(() => { this.#tick = undefined; });
    }, this.deps.tickMs ?? 5000);
    this.#timer.unref();
  }

  /** Stops the timer and waits for the decision under way. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#tick;
  }

  /**
   * Makes the automatic decision of every evaluation whose period ended without one; only on the
   * leader (`dispatcher`), so a cluster decides once. One evaluation's failure is logged and
   * does not hold the others up; one that must wait (the endpoint is updating) is tried again on
   * the next tick.
   * @returns the names of the evaluations concluded now
   */
  async concludeDue(): Promise<string[]> {
    const concluded: string[] = [];
    const now = this.deps.clock.now().getTime();
    // only the versions listed now are kept, so the cache does not grow with every write
    const seen = new Map<string, number>();
    for await (const info of this.deps.artifacts.list('online-evaluations/')) {
      if (!info.key.endsWith('/evaluation.json')) continue;
      if (!(this.deps.dispatcher?.leader ?? true)) break;
      const version = `${info.key}@${info.modifiedAt.getTime()}:${info.sizeBytes}`;
      const known = this.#dueAt.get(version);
      if (known !== undefined) seen.set(version, known);
      if ((known ?? 0) > now) continue;
      const d = await this.#read(info.key).catch(() => undefined);
      if (!d) continue;
      const due = d.decision?.automatic && !d.conclusion ? Date.parse(d.endsAt) : Infinity;
      seen.set(version, due);
      if (due > now || this.#busy.has(d.name)) continue;
      try {
        if (await this.#exclusive(d.name, () => this.#decide(d))) concluded.push(d.name);
      } catch (err) {
        this.deps.log.warn({ err, evaluation: d.name }, 'online evaluation decision failed; trying again on the next tick');
      }
    }
    this.#dueAt = seen;
    return concluded;
  }

  /**
   * The automatic decision: promote a candidate significantly better with enough labels on both
   * sides, else keep the baseline (and, when asked, take a weighted candidate's traffic away).
   * Made under the evaluation's claim, so a second decider (a leader change mid-decision) backs off.
   * @returns false when it must wait for the endpoint to finish a change, or another node holds the claim
   */
  async #decide(loaded: Stored): Promise<boolean> {
    const h = await this.#hold(loaded, 'decision');
    if (!h) {
      this.deps.log.debug({ evaluation: loaded.name }, 'online evaluation is being decided or promoted elsewhere, or concluded');
      return false;
    }
    const outcome: { concluded?: Claim['concluded'] } = {};
    try {
      return await this.#conclude(loaded.name, h, outcome);
    } finally {
      await this.#release(h, outcome.concluded);
    }
  }

  async #conclude(name: string, h: Hold, outcome: { concluded?: Claim['concluded'] }): Promise<boolean> {
    // read again under the claim: a promotion or conclusion on another node may have just been saved
    const d = await this.#read(docKey(name));
    if (d.conclusion || !d.decision?.automatic) {
      if (d.conclusion) outcome.concluded = d.conclusion.outcome;
      return false;
    }
    const decision = d.decision;
    const conclude = async (c: Omit<OnlineEvaluationConclusion, 'at'>, at = this.deps.clock.now().toISOString()) => {
      d.conclusion = { at, ...c };
      await this.#save(d);
      outcome.concluded = c.outcome;
      this.deps.log.info({ evaluation: d.name, endpoint: d.endpoint, outcome: c.outcome, reason: c.reason }, 'online evaluation concluded');
      return true;
    };
    if (d.promotion) {
      return conclude({ outcome: 'Promoted', reason: 'PromotedByRequest', message: `the candidate was promoted by request at ${d.promotion.at} (config '${d.promotion.config}')` });
    }
    const ep = await this.deps.endpoints.get(d.endpoint).catch((e: unknown) => (isPlatformError(e) && e.code === 'NotFound' ? undefined : Promise.reject(e)));
    if (ep && PASSING_STATES.has(ep.status)) return false;
    if (!ep || ep.config !== d.config) {
      return conclude({ outcome: 'Abandoned', reason: 'EndpointChanged', message: ep ? `endpoint '${d.endpoint}' serves config '${ep.config}', not the evaluated '${d.config}'` : `endpoint '${d.endpoint}' was deleted` });
    }
    const report = await this.#report(d);
    const [base, cand] = report.variants;
    const t = report.test;
    const evidence = {
      labelled: { baseline: base.joined, candidate: cand.joined },
      test: { metric: t.metric, difference: t.difference, pValue: t.pValue, significant: t.significant, better: t.better },
    };
    const stats = `${t.metric} difference ${signed(t.difference)}, p = ${t.pValue.toPrecision(3)}`;
    let kept: Pick<OnlineEvaluationConclusion, 'reason' | 'message'>;
    if (base.joined < decision.minimumLabelled || cand.joined < decision.minimumLabelled) {
      kept = { reason: 'TooFewLabels', message: `too few labelled answers: baseline ${base.joined}, candidate ${cand.joined}; ${decision.minimumLabelled} needed on each side` };
    } else if (t.better === 'candidate') {
      // a claim lost to another node throws here, before anything is changed
      await this.#markPromoting(h, promotedConfigName(d));
      try {
        await this.#promote(d, t, { forced: false, automatic: true, deployment: d.deployment }, h.current.held!.promoting!);
      } catch (err) {
        if (await this.#endpointPassing(d.endpoint)) return false;
        return conclude({ outcome: 'KeptBaseline', reason: 'PromotionFailed', message: `the candidate is significantly better (${stats}) but its promotion failed: ${(err as Error).message}`, ...evidence });
      }
      return conclude({ outcome: 'Promoted', reason: 'CandidateBetter', message: `the candidate is significantly better (${stats} < alpha ${d.alpha}); promoted to config '${d.promotion!.config}'`, ...evidence }, d.promotion!.at);
    } else if (t.better === 'baseline') {
      kept = { reason: 'BaselineBetter', message: `the baseline is significantly better (${stats} < alpha ${d.alpha})` };
    } else {
      kept = { reason: 'NotSignificant', message: `the difference is not significant (${stats} ≥ alpha ${d.alpha})` };
    }
    if (!decision.resetCandidateWeight || d.candidateIsShadow) return conclude({ outcome: 'KeptBaseline', ...kept, ...evidence });
    try {
      await this.deps.endpoints.updateWeights(d.endpoint, { variants: [{ name: d.candidateVariant, weight: 0 }] });
    } catch (err) {
      if (await this.#endpointPassing(d.endpoint)) return false;
      return conclude({ outcome: 'KeptBaseline', ...kept, message: `${kept.message}; the candidate's weight could not be set to 0: ${(err as Error).message}`, ...evidence, candidateWeightReset: false });
    }
    return conclude({ outcome: 'KeptBaseline', ...kept, message: `${kept.message}; candidate '${d.candidateVariant}' now has weight 0`, ...evidence, candidateWeightReset: true });
  }

  /** Whether the endpoint is in a change that ends by itself (then the decision waits for it). */
  async #endpointPassing(endpoint: string): Promise<boolean> {
    const ep = await this.deps.endpoints.get(endpoint).catch(() => undefined);
    return !!ep && PASSING_STATES.has(ep.status);
  }

  /** The promotion with its outcome, read from the endpoint until it is final (then kept). */
  async #promotion(d: Stored): Promise<Promotion | undefined> {
    const p = d.promotion;
    if (!p) return undefined;
    if (p.outcome) return p as Promotion;
    const ep = await this.deps.endpoints.get(d.endpoint).catch(() => undefined);
    let outcome: Promotion['outcome'] = 'InProgress';
    let failureReason: string | undefined;
    if (!ep) [outcome, failureReason] = ['RolledBack', `endpoint '${d.endpoint}' was deleted`];
    else if (ep.config === p.config) outcome = 'Completed';
    else if (ep.status !== 'Updating' && ep.status !== 'RollingBack') [outcome, failureReason] = ['RolledBack', ep.failureReason ?? `the endpoint serves config '${ep.config}'`];
    if (outcome !== 'InProgress') {
      d.promotion = { ...p, outcome, ...(failureReason ? { failureReason } : {}) };
      await this.#save(d).catch((e: unknown) => this.deps.log.warn({ err: e, evaluation: d.name }, 'could not record the promotion outcome'));
    }
    return { ...p, outcome, ...(failureReason ? { failureReason } : {}) };
  }

  /** The endpoint's timeline entries: each evaluation's start, its automatic decision and its promotion. */
  async timelineEntries(endpoint: string): Promise<TimelineEntry[]> {
    const items: TimelineEntry[] = [];
    for (const d of await this.#all()) {
      if (d.endpoint !== endpoint) continue;
      items.push({
        at: d.startedAt, kind: 'online-evaluation',
        summary: `online evaluation '${d.name}' started: ${d.candidateIsShadow ? 'shadow' : 'variant'} '${d.candidateVariant}' against '${d.baselineVariant}' for ${d.durationSeconds} s (${d.problemType})`,
        detail: { evaluation: d.name, event: 'started', candidateVariant: d.candidateVariant, baselineVariant: d.baselineVariant, config: d.config },
      });
      const c = d.conclusion;
      if (c) {
        items.push({
          at: c.at, kind: 'online-evaluation',
          summary: `online evaluation '${d.name}' concluded: ${c.outcome === 'Promoted' ? `promoted '${d.candidateVariant}'` : c.outcome === 'KeptBaseline' ? `kept the baseline '${d.baselineVariant}'` : 'abandoned'} (${c.reason}) — ${c.message}`,
          detail: { evaluation: d.name, event: 'concluded', ...c },
        });
      }
      const p = await this.#promotion(d);
      if (!p) continue;
      items.push({
        at: p.at, kind: 'online-evaluation',
        summary: `online evaluation '${d.name}' ${p.automatic ? 'automatically promoted' : 'promoted'} ${p.fromShadow ? 'shadow' : 'variant'} '${p.variant}' (model '${p.model}') to all traffic${p.forced ? ' (forced)' : ''}: ${p.metric} ${signed(p.difference)}, p = ${p.pValue.toPrecision(3)}; config '${p.config}' ${p.outcome}${p.failureReason ? ` — ${p.failureReason}` : ''}`,
        detail: { evaluation: d.name, event: 'promoted', ...p },
      });
    }
    return items;
  }
}

const promotedConfigName = (d: Stored) => `${d.name.slice(0, 40)}-promoted-${randomSuffix(3)}`;

const signed = (x: number) => `${x >= 0 ? '+' : ''}${Number(x.toPrecision(4))}`;

/** The candidate as a production variant: a weighted one as it is, a shadow with its instances. */
function promotedVariant(spec: EndpointConfigSpec, name: string) {
  const production = spec.variants.find((v) => v.name === name);
  if (production) return { name, model: production.model, instanceType: production.instanceType, instanceCount: production.instanceCount };
  const shadow = spec.shadowVariants?.find((v) => v.name === name);
  if (!shadow) throw failedPrecondition(`variant '${name}' is no longer in config`);
  return { name, model: shadow.model, instanceType: shadow.instanceType, instanceCount: shadow.instanceCount };
}
