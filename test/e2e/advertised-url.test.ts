/**
 * A server behind a load balancer tells jobs the balancer's address (STRATUS_ADVERTISED_URL /
 * `advertisedUrl`), not its own loopback one: a job on another host could not reach 127.0.0.1.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { packDirectory } from '../../src/artifacts/archive.js';
import { StratusClient } from '../../src/sdk/index.js';
import { DATASETS } from '../helpers/shared.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const ENV_FIXTURE = fileURLToPath(new URL('../fixtures/script-jobs/env/', import.meta.url));
const ADVERTISED = 'http://stratus-lb.internal:8080';

let server: TestServer;
let client: StratusClient;

beforeAll(async () => {
  server = await startTestServer({ advertisedUrl: ADVERTISED });
  client = new StratusClient({ url: server.url, token: server.token });
  await client.datasets.upload('bc', join(DATASETS, 'breast_cancer.csv'));
}, 60_000);

afterAll(() => server?.stop());

it("gives jobs the advertised API URL instead of the server's own address", async () => {
  const chunks: Buffer[] = [];
  for await (const c of packDirectory(ENV_FIXTURE)) chunks.push(c as Buffer);
  const upload = await server.api('/api/v1/artifacts/uploads/sources/env.tar.gz', {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: Buffer.concat(chunks),
  });
  expect(upload.status, await upload.clone().text()).toBe(201);
  const { uri } = (await upload.json()) as { uri: string };
  await client.trainingJobs.create({
    name: 'advertised-env',
    script: { source: uri, entryPoint: 'train.js' },
    hyperparameters: { epochs: 1 },
    inputs: [{ channel: 'train', dataset: 'bc' }],
  });
  const job = await client.trainingJobs.waitFor('advertised-env', { intervalMs: 200, timeoutMs: 90_000 });
  const log = await client.trainingJobs.logs('advertised-env');
  expect(job.status, `${job.failureReason ?? ''}\n${log}`).toBe('Completed');
  const env = JSON.parse(/^ENV=(.*)$/m.exec(log)![1]) as Record<string, string>;
  expect(env.STRATUS_API_URL).toBe(ADVERTISED);
  expect(server.url).not.toBe(ADVERTISED);
}, 120_000);
