import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StratusClient } from '../../src/sdk/client.js';
import { StratusApiError } from '../../src/sdk/errors.js';
import { DATASETS, startTestServer, TEST_TOKEN, type TestServer } from '../helpers/server.js';

// GET /api/v1/retraining-policies: a client (the console) learns "no policy" from an empty list,
// without the 404 of the single policy's GET, which stays for REST's sake.

let server: TestServer;
let client: StratusClient;

beforeAll(async () => {
  server = await startTestServer();
  client = new StratusClient({ url: server.url, token: TEST_TOKEN });
  await client.datasets.upload('bc', join(DATASETS, 'breast_cancer.csv'), { header: false });
  await client.trainingJobs.create({ name: 'bc-job', algorithm: 'linear-learner', hyperparameters: { predictor_type: 'binary_classifier', epochs: 2 }, inputs: [{ channel: 'train', dataset: 'bc' }] });
  expect((await client.trainingJobs.waitFor('bc-job', { timeoutMs: 60_000, intervalMs: 100 })).status).toBe('Completed');
  await client.models.create({ name: 'bc-model', trainingJob: 'bc-job' });
  await client.endpointConfigs.create({ name: 'bc-config', variants: [{ name: 'AllTraffic', model: 'bc-model' }] });
  for (const name of ['ep-a', 'ep-b', 'ep-c']) await client.endpoints.create({ name, config: 'bc-config' });
  await client.pipelines.create({
    name: 'retrain',
    steps: [{ name: 'prep', type: 'processing', inputs: { bc: { dataset: 'bc' } }, sql: 'SELECT * FROM bc', output: { dataset: 'bc-prepared', header: false } }],
  });
  await client.endpoints.putRetrainingPolicy('ep-a', { pipeline: 'retrain', schedule: { cron: '0 3 * * *' } });
  await client.endpoints.putRetrainingPolicy('ep-c', { pipeline: 'retrain', parameters: { x: 1 } });
}, 120_000);
afterAll(() => server?.stop());

describe('GET /api/v1/retraining-policies', () => {
  it("answers an endpoint's policy, or an empty list for an endpoint without one (the single GET stays 404)", async () => {
    expect((await client.endpoints.retrainingPolicies({ endpoint: 'ep-a' })).items).toEqual([
      expect.objectContaining({ endpoint: 'ep-a', pipeline: 'retrain', schedule: { cron: '0 3 * * *' } }),
    ]);
    expect(await client.endpoints.retrainingPolicies({ endpoint: 'ep-b' })).toEqual({ items: [] });
    expect(await client.endpoints.retrainingPolicies({ endpoint: 'no-such-endpoint' })).toEqual({ items: [] });
    await expect(client.endpoints.retrainingPolicy('ep-b')).rejects.toSatisfy((e) => e instanceof StratusApiError && e.status === 404);
  });

  it('lists every policy page by page, and no longer lists a deleted one', async () => {
    const seen: string[] = [];
    let pages = 0;
    for (let token: string | undefined, first = true; first || token; first = false) {
      const page = await client.endpoints.retrainingPolicies({ limit: 1, ...(token ? { nextToken: token } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.items.map((p) => p.endpoint));
      token = page.nextToken;
      pages++;
    }
    expect(seen.sort()).toEqual(['ep-a', 'ep-c']);
    expect(pages).toBeGreaterThanOrEqual(3);
    await client.endpoints.deleteRetrainingPolicy('ep-c');
    expect((await client.endpoints.retrainingPolicies()).items.map((p) => p.endpoint)).toEqual(['ep-a']);
    expect(await client.endpoints.retrainingPolicies({ endpoint: 'ep-c' })).toEqual({ items: [] });
  });

  it('names the field of a bad query', async () => {
    const r = await server.api('/api/v1/retraining-policies?endpoint=Not%20a%20name');
    expect(r.status).toBe(400);
    expect(JSON.stringify(await r.json())).toContain('endpoint');
    expect((await server.api('/api/v1/retraining-policies?limit=0')).status).toBe(400);
  });
});
