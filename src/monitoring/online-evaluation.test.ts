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
import { OnlineEvaluationService } from './online-evaluation.js';

// The automatic decision's timer logic (leader only, waiting for an endpoint that is changing,
// once per evaluation). The endpoint is a fake with the two public methods the decision calls;
// test/e2e/online-evaluation.test.ts runs the real endpoint service, promotion and restart.

let root: string;
let now: number;
const endpoint = { status: 'InService', config: 'c1' };
const weightChanges: unknown[] = [];

const WEIGHTED = { variants: [{ name: 'prod', weight: 1 }, { name: 'cand', weight: 1 }], dataCapture: { destination: 'capture' } };

function service(dispatcher: { leader: boolean }, spec: object = WEIGHTED) {
  const store = {
    endpoints: { find: async () => ({ configName: 'c1' }) },
    endpointConfigs: { get: async () => ({ spec }) },
  } as unknown as MetadataStore;
  const endpoints = {
    get: async () => ({ ...endpoint }),
    updateWeights: async (_name: string, req: unknown) => {
      if (endpoint.status !== 'InService') throw failedPrecondition(`endpoint is ${endpoint.status}`, { status: endpoint.status });
      weightChanges.push(req);
    },
  } as unknown as EndpointService;
  return new OnlineEvaluationService({
    store, artifacts: new LocalArtifactStore(root), clock: { now: () => new Date(now) }, models: {} as ModelService, endpoints,
    log: createLogger({ level: 'silent' }), dispatcher,
  });
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'online-eval-unit-'));
  now = Date.parse('2026-01-01T00:00:00Z');
  Object.assign(endpoint, { status: 'InService', config: 'c1' });
  weightChanges.length = 0;
});
afterEach(() => rm(root, { recursive: true, force: true }));

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

  it('refuses a weight reset for a shadow candidate, naming the field', async () => {
    const online = service({ leader: true }, { variants: [{ name: 'prod', weight: 1 }], shadowVariants: [{ name: 'sh' }], dataCapture: { destination: 'capture' } });
    await expect(online.create({ name: 'e', endpoint: 'ep', candidateVariant: 'sh', durationSeconds: 1, decision: { automatic: true, resetCandidateWeight: true } }))
      .rejects.toMatchObject({ code: 'ValidationError', details: { field: 'decision.resetCandidateWeight' } });
  });
});
