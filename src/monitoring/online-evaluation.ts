import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type {
  CreateOnlineEvaluationRequest, OnlineEvaluation, OnlineEvaluationGroundTruth, OnlineEvaluationReport,
} from '../contracts/online-evaluation.js';
import type { Clock } from '../core/clock.js';
import { alreadyExists, notFound, validationError } from '../core/errors.js';
import { randomSuffix } from '../core/ids.js';
import type { MetadataStore } from '../store/metadata-store.js';
import type { EndpointConfigSpec } from '../serving/model-service.js';
import { firstPrediction, qualityMetrics, type Prediction } from './model-quality.js';
import { twoProportionZTest } from './stats/z-test.js';

export interface OnlineEvaluationDeps {
  store: MetadataStore;
  artifacts: ArtifactStore;
  clock: Clock;
}

interface Stored extends Omit<OnlineEvaluation, 'status'> {
  capturePrefix: string;
}

const prefixOf = (name: string) => `online-evaluations/${name}/`;

/**
 * Online evaluations (issue 7, item 7). The definition is a JSON artifact
 * (`online-evaluations/<name>/evaluation.json`), labels are artifacts beside it; the report is
 * computed when asked for: both variants' captured answers (inference time within the period,
 * with an inference id) joined with the labels, binary metrics by the evaluation jobs' functions,
 * and a pooled two-proportion z-test on accuracy. A shadow sees the same requests as production
 * (paired samples; the z-test treats them as independent, which is conservative); a weighted
 * variant sees its own share.
 */
export class OnlineEvaluationService {
  constructor(private readonly deps: OnlineEvaluationDeps) {}

  async create(req: CreateOnlineEvaluationRequest): Promise<OnlineEvaluation> {
    if (await this.deps.artifacts.stat(`${prefixOf(req.name)}evaluation.json`)) throw alreadyExists('OnlineEvaluation', req.name);
    const ep = await this.deps.store.endpoints.find(req.endpoint);
    if (!ep) throw notFound('Endpoint', req.endpoint);
    const spec = (await this.deps.store.endpointConfigs.get(ep.configName)).spec as unknown as EndpointConfigSpec;
    if (!spec.dataCapture) throw validationError(`endpoint '${req.endpoint}' does not capture its traffic (config '${ep.configName}' has no dataCapture)`, { field: 'endpoint' });
    const shadow = (spec.shadowVariants ?? []).some((v) => v.name === req.candidateVariant);
    if (!shadow && !spec.variants.some((v) => v.name === req.candidateVariant)) {
      throw validationError(`variant '${req.candidateVariant}' is not in endpoint '${req.endpoint}' (config '${ep.configName}')`, { field: 'candidateVariant' });
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
      startedAt: now.toISOString(), endsAt: new Date(now.getTime() + req.durationSeconds * 1000).toISOString(),
      capturePrefix: `${dest.endsWith('/') ? dest : `${dest}/`}${req.endpoint}/`,
    };
    await this.deps.artifacts.put(`${prefixOf(req.name)}evaluation.json`, Buffer.from(JSON.stringify(doc)));
    return this.#view(doc);
  }

  async #doc(name: string): Promise<Stored> {
    const key = `${prefixOf(name)}evaluation.json`;
    if (!(await this.deps.artifacts.stat(key))) throw notFound('OnlineEvaluation', name);
    return JSON.parse((await this.deps.artifacts.getBytes(key)).toString('utf8')) as Stored;
  }

  #view(d: Stored): OnlineEvaluation {
    const { capturePrefix: _p, ...rest } = d;
    return { ...rest, status: this.deps.clock.now().getTime() >= Date.parse(d.endsAt) ? 'Completed' : 'Running' };
  }

  async get(name: string): Promise<OnlineEvaluation> {
    return this.#view(await this.#doc(name));
  }

  async list(): Promise<{ items: OnlineEvaluation[] }> {
    const items: OnlineEvaluation[] = [];
    for await (const info of this.deps.artifacts.list('online-evaluations/')) {
      if (info.key.endsWith('/evaluation.json')) items.push(this.#view(JSON.parse((await this.deps.artifacts.getBytes(info.key)).toString('utf8')) as Stored));
    }
    return { items };
  }

  async delete(name: string): Promise<void> {
    await this.#doc(name);
    await this.deps.artifacts.delete(prefixOf(name));
  }

  async putGroundTruth(name: string, req: OnlineEvaluationGroundTruth): Promise<{ accepted: number }> {
    await this.#doc(name);
    const key = `${prefixOf(name)}ground-truth/${this.deps.clock.now().getTime()}-${randomSuffix(3)}.json`;
    await this.deps.artifacts.put(key, Buffer.from(JSON.stringify(req.labels)));
    return { accepted: req.labels.length };
  }

  async report(name: string): Promise<OnlineEvaluationReport> {
    const d = await this.#doc(name);
    const { artifacts } = this.deps;
    const labels = new Map<string, number>();
    for await (const info of artifacts.list(`${prefixOf(name)}ground-truth/`)) {
      for (const l of JSON.parse((await artifacts.getBytes(info.key)).toString('utf8')) as OnlineEvaluationGroundTruth['labels']) labels.set(l.inferenceId, l.label);
    }
    const from = Date.parse(d.startedAt);
    const to = Date.parse(d.endsAt);
    const side = async (variant: string, role: 'baseline' | 'candidate', shadow: boolean) => {
      const predictions = new Map<string, Prediction>();
      for await (const info of artifacts.list(`${d.capturePrefix}${variant}/`)) {
        for (const line of (await artifacts.getBytes(info.key)).toString('utf8').split('\n')) {
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
      const y: number[] = [];
      const ps: Prediction[] = [];
      for (const [id, p] of predictions) {
        const label = labels.get(id);
        if (label === undefined) continue;
        y.push(label);
        ps.push(p);
      }
      const metrics = y.length ? qualityMetrics({ problemType: 'binary', threshold: d.threshold }, y, ps) : { count: 0 };
      const correct = Math.round((metrics.accuracy ?? 0) * y.length);
      return { variant, role, shadow, captured: predictions.size, joined: y.length, correct, metrics: Object.fromEntries(Object.entries(metrics).filter(([, v]) => Number.isFinite(v))) };
    };
    const baseline = await side(d.baselineVariant, 'baseline', false);
    const candidate = await side(d.candidateVariant, 'candidate', d.candidateIsShadow);
    const t = twoProportionZTest(candidate.correct, candidate.joined, baseline.correct, baseline.joined);
    const significant = Number.isFinite(t.pValue) && t.pValue < d.alpha;
    return {
      name: d.name, endpoint: d.endpoint, status: this.#view(d).status, startedAt: d.startedAt, endsAt: d.endsAt, labels: labels.size,
      variants: [baseline, candidate],
      test: {
        kind: 'two-proportion-z', metric: 'accuracy',
        difference: Number.isFinite(t.difference) ? t.difference : 0, z: Number.isFinite(t.z) ? t.z : 0, pValue: Number.isFinite(t.pValue) ? t.pValue : 1,
        alpha: d.alpha, significant, better: significant ? (t.difference > 0 ? 'candidate' : 'baseline') : null,
      },
    };
  }
}
