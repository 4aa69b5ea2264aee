// Stratus on an S3 artifact store (OpenStack Swift's s3api, started here): a dataset upload, a
// linear-learner training job, a model, an endpoint and an invocation, over HTTP. The job reads
// its input from and writes its model to the bucket; nothing lands in the local artifact folder.
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../src/artifacts/s3/s3-artifact-store.js';
import { startSwift, type SwiftServer } from '../fixtures/swift/swift-server.js';
import { splitCsv } from '../helpers/data.js';
import { DATASETS, startTestServer, waitFor, type TestServer } from '../helpers/server.js';

let swift: SwiftServer;
let server: TestServer;
let raw: S3Client;
let split: Awaited<ReturnType<typeof splitCsv>>;

beforeAll(async () => {
  swift = await startSwift();
  server = await startTestServer({
    artifactUrl: `s3://${swift.bucket}/stratus`,
    s3Endpoint: swift.endpoint,
    s3Region: swift.region,
    s3AccessKeyId: swift.accessKeyId,
    s3SecretAccessKey: swift.secretAccessKey,
  });
  raw = createS3Client({ endpoint: swift.endpoint, region: swift.region, forcePathStyle: true, accessKeyId: swift.accessKeyId, secretAccessKey: swift.secretAccessKey });
  split = await splitCsv(join(DATASETS, 'breast_cancer.csv'), await mkdtemp(join(tmpdir(), 'bc-s3-')));
}, 60_000);
afterAll(async () => {
  await server?.stop();
  raw?.destroy();
  await swift?.stop();
});

async function json<T = Record<string, unknown>>(res: Response | Promise<Response>, status = 200): Promise<T> {
  const r = await res;
  const text = await r.text();
  expect(r.status, text).toBe(status);
  return (text ? JSON.parse(text) : undefined) as T;
}

const upload = (name: string, path: string) =>
  server.api(`/api/v1/datasets/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: Readable.toWeb(createReadStream(path)) as ReadableStream,
    duplex: 'half',
  } as RequestInit);

async function bucketKeys(prefix: string): Promise<string[]> {
  const out = await raw.send(new ListObjectsV2Command({ Bucket: swift.bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!);
}

describe('Stratus on an S3 artifact store (Swift)', () => {
  it('trains from and serves a model kept in the bucket', async () => {
    await json(upload('bc-train', split.train), 201);
    expect((await bucketKeys('stratus/datasets/bc-train/')).length).toBeGreaterThan(0);

    await json(
      server.api('/api/v1/training-jobs', {
        method: 'POST',
        json: {
          name: 'bc-s3',
          algorithm: 'linear-learner',
          hyperparameters: { predictor_type: 'binary_classifier', epochs: 10, mini_batch_size: 32 },
          inputs: [{ channel: 'train', dataset: 'bc-train' }],
        },
      }),
      201,
    );
    const job = await waitFor(
      () => json<{ status: string; failureReason?: string; modelArtifact?: string; statusHistory: Array<{ status: string }> }>(server.api('/api/v1/training-jobs/bc-s3')),
      (j) => j.status !== 'InProgress',
    );
    expect(job.failureReason).toBeUndefined();
    expect(job.status).toBe('Completed');
    expect(job.statusHistory.map((t) => t.status)).toEqual(['Starting', 'Downloading', 'Training', 'Uploading', 'Completed']);
    expect(job.modelArtifact).toMatch(new RegExp(`^s3://${swift.bucket}/stratus/.+model\\.tar\\.gz$`));
    const modelKey = job.modelArtifact!.slice(`s3://${swift.bucket}/`.length);
    const head = await raw.send(new HeadObjectCommand({ Bucket: swift.bucket, Key: modelKey }));
    expect(head.ContentLength).toBeGreaterThan(0);
    const logs = await (await server.api('/api/v1/training-jobs/bc-s3/logs')).text();
    expect(logs).toContain('job completed');

    await json(server.api('/api/v1/models', { method: 'POST', json: { name: 'bc-s3-model', trainingJob: 'bc-s3' } }), 201);
    await json(server.api('/api/v1/endpoint-configs', { method: 'POST', json: { name: 'bc-s3-config', variants: [{ name: 'AllTraffic', model: 'bc-s3-model' }] } }), 201);
    await json(server.api('/api/v1/endpoints', { method: 'POST', json: { name: 'bc-s3', config: 'bc-s3-config' } }), 201);
    const endpoint = await waitFor(() => json<{ status: string; failureReason?: string }>(server.api('/api/v1/endpoints/bc-s3')), (e) => e.status !== 'Creating', 20_000, 50);
    expect(endpoint.failureReason).toBeUndefined();
    expect(endpoint.status).toBe('InService');

    const rows = split.validationRows.map((r) => r.slice(1));
    const res = await server.api('/endpoints/bc-s3/invocations', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: rows.map((r) => r.join(',')).join('\n') });
    expect(res.status).toBe(200);
    const predictions = ((await res.json()) as { predictions: Array<{ predicted_label: number }> }).predictions;
    const correct = predictions.filter((p, i) => p.predicted_label === split.validationRows[i][0]).length;
    expect(correct / rows.length).toBeGreaterThanOrEqual(0.9);

    // Every artifact went to the bucket: the data folder holds no artifact store of its own.
    expect(existsSync(join(server.home, 'artifacts'))).toBe(false);
    expect(await bucketKeys('stratus/')).toEqual(expect.arrayContaining([modelKey, expect.stringMatching(/^stratus\/datasets\/bc-train\//)]));
  });
});
