import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../artifacts/local/local-artifact-store.js';
import { failedPrecondition } from '../core/errors.js';
import { createLogger } from '../core/logger.js';
import type { EndpointService } from '../serving/endpoint-service.js';
import type { ModelService } from '../serving/model-service.js';
import type { MetadataStore } from '../store/metadata-store.js';
import { openMetadataStore } from '../store/open-store.js';
import { OnlineEvaluationService } from './online-evaluation.js';

// The automatic decision's timer logic (leader only, waiting for an endpoint that is changing,
// once per evaluation). The endpoint is a fake with the two public methods the decision calls;
// test/e2e/online-evaluation.test.ts runs the real endpoint service, promotion and restart.

let root: string;
let now: number;
/** The real store behind the claims (compare-and-set); the rest of the store is faked. */
let real: MetadataStore;
const promotions: string[] = [];
const endpoint = { status: 'InService', config: 'c1' };
const weightChanges: unknown[] = [];

const WEIGHTED = { variants: [{ name: 'prod', weight: 1 }, { name: 'cand', weight: 1 }], dataCapture: { destination: 'capture' } };

function service(dispatcher: { leader: boolean }, spec: object = WEIGHTED) {
  const store = {
    endpoints: { find: async () => ({ configName: 'c1' }) },
    endpointConfigs: { get: async () => ({ spec }) },
    resourceDocuments: real.resourceDocuments,
  } as unknown as MetadataStore;
  const endpoints = {
    get: async () => ({ ...endpoint }),
    updateWeights: async (_name: string, req: unknown) => {
      if (endpoint.status !== 'InService') throw failedPrecondition(`endpoint is ${endpoint.status}`, { status: endpoint.status });
      weightChanges.push(req);
    },
    update: async (_name: string, config: string) => {
      await new Promise((r) => setTimeout(r, 5));
      promotions.push(config);
    },
  } as unknown as EndpointService;
  const models = { configSpec: async () => spec, createConfig: async () => undefined } as unknown as ModelService;
  return new OnlineEvaluationService({
    store, artifacts: new LocalArtifactStore(root), clock: { now: () => new Date(now) }, models, endpoints,
    log: createLogger({ level: 'silent' }), dispatcher,
  });
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'online-eval-unit-'));
  real = await openMetadataStore('sqlite::memory:');
  promotions.length = 0;
  now = Date.parse('2026-01-01T00:00:00Z');
  Object.assign(endpoint, { status: 'InService', config: 'c1' });
  weightChanges.length = 0;
});
afterEach(async () => {
  await real.close();
  await rm(root, { recursive: true, force: true });
});

/** Captured answers of `variant` (inference ids `r0…`) within the period, each right when `correct`. */
async function capture(variant: string, n: number, correct: boolean) {
  const at = new Date(now + 1000).toISOString();
  const lines = Array.from({ length: n }, (_, i) => JSON.stringify({
    captureData: { endpointOutput: { observedContentType: 'application/json', data: JSON.stringify({ score: (i % 2 === 0) === correct ? 0.9 : 0.1 }) } },
    eventMetadata: { inferenceId: `r${i}`, inferenceTime: at },
  }));
  await new LocalArtifactStore(root).put(`capture/ep/${variant}/part-0.jsonl`, Buffer.from(lines.join('\n')));
}

describe('OnlineEvaluationService automatic decision', () => {
  it('decides only on the leader, once, after the period', async () => {
    const role = { leader: false };
    const online = service(role);
    await online.create({ name: 'e', endpoint: 'ep', candidateVariant: 'cand', durationSeconds: 60, decision: { automatic: true, resetCandidateWeight: true } });
    now += 30_000;
    role.leader = true;
    expect(await online.concludeDue()).toEqual([]);
    now += 30_000;
    role.leader = false;
    expect(await online.concludeDue()).toEqual([]);
    expect((await online.get('e')).status).toBe('Running');
    role.leader = true;
    expect(await online.concludeDue()).toEqual(['e']);
    const e = await online.get('e');
    expect(e.status).toBe('Concluded');
    expect(e.conclusion).toMatchObject({ outcome: 'KeptBaseline', reason: 'TooFewLabels', labelled: { baseline: 0, candidate: 0 }, candidateWeightReset: true });
    expect(weightChanges).toEqual([{ variants: [{ name: 'cand', weight: 0 }] }]);
    expect(await online.concludeDue()).toEqual([]);
    expect(weightChanges).toHaveLength(1);
  });

  it('waits while the endpoint is updating, then decides', async () => {
    const online = service({ leader: true });
    await online.create({ name: 'e', endpoint: 'ep', candidateVariant: 'cand', durationSeconds: 1, decision: { automatic: true } });
    now += 2000;
    endpoint.status = 'Updating';
    expect(await online.concludeDue()).toEqual([]);
    expect((await online.get('e')).conclusion).toBeUndefined();
    endpoint.status = 'InService';
    expect(await online.concludeDue()).toEqual(['e']);
  });

  it('abandons the decision when the endpoint serves another config', async () => {
    const online = service({ leader: true });
    await online.create({ name: 'e', endpoint: 'ep', candidateVariant: 'cand', durationSeconds: 1, decision: { automatic: true } });
    now += 2000;
    endpoint.config = 'c2';
    expect(await online.concludeDue()).toEqual(['e']);
    expect((await online.get('e')).conclusion).toMatchObject({ outcome: 'Abandoned', reason: 'EndpointChanged', message: "endpoint 'ep' serves config 'c2', not the evaluated 'c1'" });
  });

  it('leaves evaluations without an automatic decision alone', async () => {
    const online = service({ leader: true });
    await online.create({ name: 'e', endpoint: 'ep', candidateVariant: 'cand', durationSeconds: 1 });
    now += 2000;
    expect(await online.concludeDue()).toEqual([]);
    expect((await online.get('e')).status).toBe('Completed');
  });

  it('promotes once when two deciders (a leader change mid-decision) race on the same stored evaluation', async () => {
    const first = service({ leader: true });
    const second = service({ leader: true });
    await first.create({ name: 'e', endpoint: 'ep', candidateVariant: 'cand', durationSeconds: 60, decision: { automatic: true, minimumLabelled: 20 } });
    await capture('prod', 60, false);
    await capture('cand', 60, true);
    await first.putGroundTruth('e', { labels: Array.from({ length: 60 }, (_, i) => ({ inferenceId: `r${i}`, label: i % 2 === 0 ? 1 : 0 })) });
    now += 61_000;
    const [a, b] = await Promise.all([first.concludeDue(), second.concludeDue()]);
    expect([...a, ...b]).toEqual(['e']);
    expect(promotions).toHaveLength(1);
    const e = await second.get('e');
    expect(e.conclusion).toMatchObject({ outcome: 'Promoted', reason: 'CandidateBetter' });
    expect(e.promotion).toMatchObject({ config: promotions[0], automatic: true });
    // the conclusion is in the store's claim too: later ticks on either node leave it alone
    expect(await Promise.all([first.concludeDue(), second.concludeDue()])).toEqual([[], []]);
    expect(promotions).toHaveLength(1);
  });

  it('a promotion by request racing the decision on another node: one promotion, and the conclusion says whose', async () => {
    const decider = service({ leader: true });
    const other = service({ leader: false });
    await decider.create({ name: 'e', endpoint: 'ep', candidateVariant: 'cand', durationSeconds: 60, decision: { automatic: true, minimumLabelled: 20 } });
    await capture('prod', 60, false);
    await capture('cand', 60, true);
    await decider.putGroundTruth('e', { labels: Array.from({ length: 60 }, (_, i) => ({ inferenceId: `r${i}`, label: i % 2 === 0 ? 1 : 0 })) });
    now += 61_000;
    const [decided, byRequest] = await Promise.allSettled([decider.concludeDue(), other.promote('e')]);
    expect(promotions).toHaveLength(1);
    if (byRequest.status === 'rejected') expect(byRequest.reason).toMatchObject({ code: 'FailedPrecondition' });
    expect(decided.status).toBe('fulfilled');
    // the decider backed off if the request held the claim first; its next tick concludes
    await decider.concludeDue();
    expect((await other.get('e')).conclusion).toMatchObject({ outcome: 'Promoted', reason: byRequest.status === 'fulfilled' ? 'PromotedByRequest' : 'CandidateBetter' });
    expect(promotions).toHaveLength(1);
  });

  it('refuses a weight reset for a shadow candidate, naming the field', async () => {
    const online = service({ leader: true }, { variants: [{ name: 'prod', weight: 1 }], shadowVariants: [{ name: 'sh' }], dataCapture: { destination: 'capture' } });
    await expect(online.create({ name: 'e', endpoint: 'ep', candidateVariant: 'sh', durationSeconds: 1, decision: { automatic: true, resetCandidateWeight: true } }))
      .rejects.toMatchObject({ code: 'ValidationError', details: { field: 'decision.resetCandidateWeight' } });
  });
});
