import type {
  CreateOnlineEvaluationRequest, OnlineEvaluation, OnlineEvaluationGroundTruth, OnlineEvaluationReport, PromoteOnlineEvaluationRequest,
} from '../../contracts/online-evaluation.js';
import { pathOf, type Transport } from '../transport.js';

const BASE = '/api/v1/online-evaluations';

/**
 * Online evaluations: a candidate variant of an endpoint (a shadow or a weighted variant) against
 * production on live traffic, scored from ground truth joined by inference id, and promoted to
 * all traffic when significantly better.
 * @example
 * await client.onlineEvaluations.create({ name: 'v2-vs-v1', endpoint: 'bc', candidateVariant: 'v2', durationSeconds: 3600 });
 * // … traffic with X-Amzn-SageMaker-Inference-Id headers, then its labels:
 * await client.onlineEvaluations.groundTruth('v2-vs-v1', [{ inferenceId: 'req-1', label: 1 }]);
 * const report = await client.onlineEvaluations.report('v2-vs-v1');
 * if (report.test.better === 'candidate') await client.onlineEvaluations.promote('v2-vs-v1');
 * // or let the service decide when the period ends:
 * await client.onlineEvaluations.create({ name: 'v3-vs-v1', endpoint: 'bc', candidateVariant: 'v3', durationSeconds: 86400,
 *   decision: { automatic: true, minimumLabelled: 200, resetCandidateWeight: true } });
 * // … later: (await client.onlineEvaluations.get('v3-vs-v1')).conclusion → { outcome: 'KeptBaseline', reason: 'NotSignificant', … }
 */
export class OnlineEvaluationsApi {
  constructor(readonly transport: Transport) {}

  /**
   * Starts an evaluation. With `decision: { automatic: true }` it concludes by itself when the
   * period ends (status Running → Concluded, with `conclusion.outcome` and `reason`).
   * @throws StratusApiError 400 naming the field (a variant not in the config, `decision.resetCandidateWeight` for a shadow), 409 for a name taken.
   */
  create(request: CreateOnlineEvaluationRequest): Promise<OnlineEvaluation> {
    return this.transport.json({ method: 'POST', path: BASE, body: request });
  }

  list(): Promise<{ items: OnlineEvaluation[] }> {
    return this.transport.json({ path: BASE });
  }

  get(name: string): Promise<OnlineEvaluation> {
    return this.transport.json({ path: pathOf(BASE, name) });
  }

  delete(name: string): Promise<void> {
    return this.transport.json({ method: 'DELETE', path: pathOf(BASE, name) });
  }

  /** Uploads labels by inference id (the caller's `X-Amzn-SageMaker-Inference-Id`). */
  groundTruth(name: string, labels: OnlineEvaluationGroundTruth['labels']): Promise<{ accepted: number }> {
    return this.transport.json({ method: 'POST', path: pathOf(BASE, name, 'ground-truth'), body: { labels } });
  }

  /** Both variants' metrics side by side and the test of their difference. */
  report(name: string): Promise<OnlineEvaluationReport> {
    return this.transport.json({ path: pathOf(BASE, name, 'report') });
  }

  /**
   * Makes the candidate the endpoint's only production variant through a blue/green update
   * (the request's or the evaluation's deployment policy). Refused (409) unless the candidate is
   * significantly better, or `force` is set. Follow the rollout with `get(name).promotion.outcome`.
   */
  promote(name: string, request: PromoteOnlineEvaluationRequest = {}): Promise<OnlineEvaluation> {
    return this.transport.json({ method: 'POST', path: pathOf(BASE, name, 'promote'), body: request });
  }
}
