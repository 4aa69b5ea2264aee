import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import {
  AddTagsCommand, CreateEndpointCommand, CreateEndpointConfigCommand, CreateHyperParameterTuningJobCommand, CreateModelCommand, DeleteEndpointCommand, DeleteTagsCommand,
  DescribeEndpointCommand, DescribeModelCommand, DescribeTrainingJobCommand, ListEndpointsCommand, ListModelsCommand, ListTagsCommand, ListTrainingJobsCommand,
  SageMakerClient, UpdateEndpointCommand, UpdateEndpointWeightsAndCapacitiesCommand, waitUntilEndpointDeleted, waitUntilEndpointInService, waitUntilTrainingJobCompletedOrStopped,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StratusClient } from '../../src/sdk/index.js';
import { DATASETS, startTestServer, TEST_TOKEN, type TestServer } from '../helpers/server.js';

const execFileP = promisify(execFile);
const ACCESS_KEY_ID = 'STRXTESTADMINKEY0001';
const SECRET = 'test-secret-access-key-0123456789';
let server: TestServer;

const config = (over: { accessKeyId?: string; secretAccessKey?: string; endpoint?: string } = {}) => ({
  endpoint: over.endpoint ?? server.url,
  region: 'us-east-1',
  maxAttempts: 1,
  credentials: { accessKeyId: over.accessKeyId ?? ACCESS_KEY_ID, secretAccessKey: over.secretAccessKey ?? SECRET },
});
const sm = () => new SageMakerClient(config());
const waiter = (client: SageMakerClient) => ({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 1 });

/** The error a call rejects with: its class name and HTTP status. */
async function failure(p: Promise<unknown>): Promise<{ name: string; status?: number; message: string }> {
  const e = await p.then(() => undefined, (err: unknown) => err as { name: string; message: string; $metadata?: { httpStatusCode?: number } });
  if (!e) throw new Error('expected the call to fail');
  return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
}

beforeAll(async () => {
  server = await startTestServer({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET });
  const res = await server.api('/api/v1/datasets/bc-train', {
    method: 'POST', headers: { 'content-type': 'text/csv' }, body: Readable.toWeb(createReadStream(join(DATASETS, 'breast_cancer.csv'))) as ReadableStream, duplex: 'half',
  } as RequestInit);
  expect(res.status, await res.text()).toBe(201);
  const job = await server.api('/api/v1/training-jobs', {
    method: 'POST',
    json: { name: 'bc-linear', algorithm: 'linear-learner', hyperparameters: { predictor_type: 'binary_classifier', epochs: 5 }, inputs: [{ channel: 'train', dataset: 'bc-train' }] },
  });
  expect(job.status, await job.text()).toBe(201);
}, 60_000);
afterAll(() => server?.stop());

describe('the SageMaker JS SDK against Stratus', () => {
  let artifacts = '';

  it('waits for a native training job and describes it the SageMaker way', async () => {
    const client = sm();
    const waited = await waitUntilTrainingJobCompletedOrStopped(waiter(client), { TrainingJobName: 'bc-linear' });
    expect(waited.state).toBe('SUCCESS');
    const job = await client.send(new DescribeTrainingJobCommand({ TrainingJobName: 'bc-linear' }));
    expect(job.TrainingJobStatus).toBe('Completed');
    expect(job.SecondaryStatusTransitions?.map((t) => t.Status)).toEqual(['Starting', 'Downloading', 'Training', 'Uploading', 'Completed']);
    expect(job.CreationTime).toBeInstanceOf(Date);
    expect(job.FinalMetricDataList?.length).toBeGreaterThan(0);
    expect(job.ModelArtifacts?.S3ModelArtifacts).toBe('s3://stratus/training-jobs/bc-linear/output/model.tar.gz');
    artifacts = job.ModelArtifacts!.S3ModelArtifacts!;
    const list = await client.send(new ListTrainingJobsCommand({ StatusEquals: 'Completed' }));
    expect(list.TrainingJobSummaries?.map((j) => j.TrainingJobName)).toEqual(['bc-linear']);
  }, 120_000);

  it('creates a model from a built-in image URI and the job artifact, and describes it as given', async () => {
    const client = sm();
    const image = '382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1';
    const modelDataUrl = artifacts.replace('s3://stratus/', 's3://any-bucket/');
    const created = await client.send(new CreateModelCommand({
      ModelName: 'bc-model', PrimaryContainer: { Image: image, ModelDataUrl: modelDataUrl }, ExecutionRoleArn: 'arn:aws:iam::123456789012:role/SageMakerRole', Tags: [{ Key: 'team', Value: 'ml' }],
    }));
    expect(created.ModelArn).toBe('arn:aws:sagemaker:us-east-1:000000000000:model/bc-model');
    const model = await client.send(new DescribeModelCommand({ ModelName: 'bc-model' }));
    expect(model.PrimaryContainer).toMatchObject({ Image: image, ModelDataUrl: modelDataUrl });
    expect(model.ExecutionRoleArn).toBe('arn:aws:iam::123456789012:role/SageMakerRole');
    expect((await client.send(new ListModelsCommand({}))).Models?.map((m) => m.ModelName)).toEqual(['bc-model']);
    const dup = await failure(client.send(new CreateModelCommand({ ModelName: 'bc-model', PrimaryContainer: { Image: image, ModelDataUrl: modelDataUrl } })));
    expect(dup).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(dup.message).toContain('Cannot create already existing model');
  });

  it('tags a resource: AddTags, ListTags, DeleteTags', async () => {
    const client = sm();
    const ResourceArn = 'arn:aws:sagemaker:us-east-1:000000000000:model/bc-model';
    await client.send(new AddTagsCommand({ ResourceArn, Tags: [{ Key: 'stage', Value: 'dev' }] }));
    expect((await client.send(new ListTagsCommand({ ResourceArn }))).Tags).toEqual(expect.arrayContaining([{ Key: 'team', Value: 'ml' }, { Key: 'stage', Value: 'dev' }]));
    await client.send(new DeleteTagsCommand({ ResourceArn, TagKeys: ['team'] }));
    expect((await client.send(new ListTagsCommand({ ResourceArn }))).Tags).toEqual([{ Key: 'stage', Value: 'dev' }]);
  });

  it('serves two variants, routes by TargetVariant, changes weights, and deletes the endpoint', async () => {
    const client = sm();
    await client.send(new CreateEndpointConfigCommand({
      EndpointConfigName: 'bc-config',
      ProductionVariants: [
        { VariantName: 'Blue', ModelName: 'bc-model', InitialInstanceCount: 1, InstanceType: 'ml.m5.large', InitialVariantWeight: 1 },
        { VariantName: 'Green', ModelName: 'bc-model', InitialInstanceCount: 1, InstanceType: 'ml.m5.large', InitialVariantWeight: 1 },
      ],
    }));
    await client.send(new CreateEndpointCommand({ EndpointName: 'bc', EndpointConfigName: 'bc-config' }));
    expect((await waitUntilEndpointInService(waiter(client), { EndpointName: 'bc' })).state).toBe('SUCCESS');

    const rt = new SageMakerRuntimeClient(config());
    const row = '17.99,10.38,122.8,1001,0.1184,0.2776,0.3001,0.1471,0.2419,0.07871,1.095,0.9053,8.589,153.4,0.006399,0.04904,0.05373,0.01587,0.03003,0.006193,25.38,17.33,184.6,2019,0.1622,0.6656,0.7119,0.2654,0.4601,0.1189';
    const out = await rt.send(new InvokeEndpointCommand({
      EndpointName: 'bc', Body: new TextEncoder().encode(row), ContentType: 'text/csv', Accept: 'application/json',
      TargetVariant: 'Green', CustomAttributes: 'trace=1', InferenceId: 'req-1',
    }));
    expect(out.InvokedProductionVariant).toBe('Green');
    const body = JSON.parse(new TextDecoder().decode(out.Body)) as { predictions: Array<{ predicted_label: number }> };
    expect(body.predictions).toHaveLength(1);

    const bad = await failure(rt.send(new InvokeEndpointCommand({ EndpointName: 'bc', Body: new TextEncoder().encode('a,b'), ContentType: 'text/csv' })));
    expect(bad).toMatchObject({ name: 'ModelError', status: 424 });
    const missing = await failure(rt.send(new InvokeEndpointCommand({ EndpointName: 'nope', Body: new TextEncoder().encode(row), ContentType: 'text/csv' })));
    expect(missing).toMatchObject({ name: 'ValidationError', status: 400, message: 'Endpoint nope of account 000000000000 not found.' });

    await client.send(new UpdateEndpointWeightsAndCapacitiesCommand({
      EndpointName: 'bc', DesiredWeightsAndCapacities: [{ VariantName: 'Blue', DesiredWeight: 0 }, { VariantName: 'Green', DesiredWeight: 3, DesiredInstanceCount: 2 }],
    }));
    expect((await waitUntilEndpointInService(waiter(client), { EndpointName: 'bc' })).state).toBe('SUCCESS');
    const described = await client.send(new DescribeEndpointCommand({ EndpointName: 'bc' }));
    expect(described.ProductionVariants?.map((v) => [v.VariantName, v.CurrentWeight, v.DesiredWeight, v.CurrentInstanceCount])).toEqual([['Blue', 0, 0, 1], ['Green', 3, 3, 2]]);
    expect(described.ProductionVariants?.[0]?.DeployedImages?.[0]?.SpecifiedImage).toContain('linear-learner:1');
    const routed = await rt.send(new InvokeEndpointCommand({ EndpointName: 'bc', Body: new TextEncoder().encode(row), ContentType: 'text/csv' }));
    expect(routed.InvokedProductionVariant).toBe('Green');

    if (await boto3Available()) {
      const { stdout } = await execFileP('/usr/bin/python3', [join(import.meta.dirname, 'boto3_check.py'), server.url, ACCESS_KEY_ID, SECRET, row], { timeout: 60_000 });
      expect(JSON.parse(stdout)).toMatchObject({ status: 'InService', endpoints: ['bc'], variant: 'Green', predictions: 1, missing: 'ValidationException' });
    }

    await client.send(new CreateEndpointConfigCommand({
      EndpointConfigName: 'bc-config-2',
      ProductionVariants: [{ VariantName: 'Next', ModelName: 'bc-model', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }],
    }));
    await client.send(new UpdateEndpointCommand({
      EndpointName: 'bc',
      EndpointConfigName: 'bc-config-2',
      DeploymentConfig: {
        BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'CANARY', WaitIntervalInSeconds: 1, CanarySize: { Type: 'CAPACITY_PERCENT', Value: 50 } } },
        AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'errors:errorRate>0.5/10s' }] },
      },
    }));
    expect((await waitUntilEndpointInService(waiter(client), { EndpointName: 'bc' })).state).toBe('SUCCESS');
    expect((await client.send(new DescribeEndpointCommand({ EndpointName: 'bc' }))).EndpointConfigName).toBe('bc-config-2');
    const badAlarm = await failure(client.send(new UpdateEndpointCommand({
      EndpointName: 'bc', EndpointConfigName: 'bc-config',
      DeploymentConfig: { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 0 } }, AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'my-cloudwatch-alarm' }] } },
    })));
    expect(badAlarm).toMatchObject({ name: 'ValidationException', status: 400 });

    await client.send(new DeleteEndpointCommand({ EndpointName: 'bc' }));
    expect((await waitUntilEndpointDeleted(waiter(client), { EndpointName: 'bc' })).state).toBe('SUCCESS');
  }, 120_000);

  it('mirrors traffic to a shadow by weight ratio and captures requests per DataCaptureConfig', async () => {
    const client = sm();
    await client.send(new CreateEndpointConfigCommand({
      EndpointConfigName: 'bc-shadow-config',
      ProductionVariants: [{ VariantName: 'Prod', ModelName: 'bc-model', InitialInstanceCount: 1, InstanceType: 'ml.m5.large', InitialVariantWeight: 1 }],
      ShadowProductionVariants: [{ VariantName: 'Shadow', ModelName: 'bc-model', InitialInstanceCount: 1, InstanceType: 'ml.m5.large', InitialVariantWeight: 0.5 }],
      DataCaptureConfig: { InitialSamplingPercentage: 100, DestinationS3Uri: 's3://my-bucket/capture', CaptureOptions: [{ CaptureMode: 'InputAndOutput' }] },
    }));
    const native = (await (await server.api('/api/v1/endpoint-configs/bc-shadow-config')).json()) as { shadowVariants: Array<{ samplingPercentage: number }>; dataCapture: { destination: string; captureOptions: string[] } };
    expect(native.shadowVariants[0].samplingPercentage).toBe(50);
    expect(native.dataCapture).toMatchObject({ destination: 'capture/', captureOptions: ['Input', 'Output'] });

    await client.send(new CreateEndpointCommand({ EndpointName: 'bc-shadow', EndpointConfigName: 'bc-shadow-config' }));
    expect((await waitUntilEndpointInService(waiter(client), { EndpointName: 'bc-shadow' })).state).toBe('SUCCESS');
    const rt = new SageMakerRuntimeClient(config());
    const row = '17.99,10.38,122.8,1001,0.1184,0.2776,0.3001,0.1471,0.2419,0.07871,1.095,0.9053,8.589,153.4,0.006399,0.04904,0.05373,0.01587,0.03003,0.006193,25.38,17.33,184.6,2019,0.1622,0.6656,0.7119,0.2654,0.4601,0.1189';
    for (let i = 0; i < 20; i++) {
      const out = await rt.send(new InvokeEndpointCommand({ EndpointName: 'bc-shadow', Body: new TextEncoder().encode(row), ContentType: 'text/csv', InferenceId: `id-${i}` }));
      expect(out.InvokedProductionVariant).toBe('Prod');
    }
    const described = await client.send(new DescribeEndpointCommand({ EndpointName: 'bc-shadow' }));
    expect(described.DataCaptureConfig).toMatchObject({ EnableCapture: true, CaptureStatus: 'Started', CurrentSamplingPercentage: 100, DestinationS3Uri: 's3://stratus/capture' });
    await client.send(new DeleteEndpointCommand({ EndpointName: 'bc-shadow' }));
    expect((await waitUntilEndpointDeleted(waiter(client), { EndpointName: 'bc-shadow' })).state).toBe('SUCCESS');
    const listed = (await (await server.api('/api/v1/artifacts?prefix=capture/bc-shadow/Prod/')).json()) as { items: Array<{ key: string }> };
    expect(listed.items.length).toBeGreaterThan(0);

    const two = await failure(client.send(new CreateEndpointConfigCommand({
      EndpointConfigName: 'bad-shadow',
      ProductionVariants: [
        { VariantName: 'A', ModelName: 'bc-model', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' },
        { VariantName: 'B', ModelName: 'bc-model', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' },
      ],
      ShadowProductionVariants: [{ VariantName: 'S', ModelName: 'bc-model', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }],
    })));
    expect(two).toMatchObject({ name: 'ValidationException', status: 400 });
  }, 120_000);

  it('accepts an endpoint URL with a base path', async () => {
    const client = new SageMakerClient(config({ endpoint: `${server.url}/sm` }));
    expect((await client.send(new ListEndpointsCommand({}))).Endpoints).toEqual([]);
  });
});

describe('SageMaker errors as the SDK classes them', () => {
  it('a wrong secret is InvalidSignatureException; an unknown key UnrecognizedClientException', async () => {
    const wrong = new SageMakerClient(config({ secretAccessKey: 'not-the-secret-0123456789' }));
    expect(await failure(wrong.send(new ListModelsCommand({})))).toMatchObject({ name: 'InvalidSignatureException', status: 400 });
    const unknown = new SageMakerClient(config({ accessKeyId: 'STRXNOSUCHKEY0000000' }));
    expect(await failure(unknown.send(new ListModelsCommand({})))).toMatchObject({ name: 'UnrecognizedClientException', status: 400 });
  });

  it('an operation Stratus does not implement is UnknownOperationException', async () => {
    const e = await failure(sm().send(new CreateHyperParameterTuningJobCommand({
      HyperParameterTuningJobName: 'x',
      HyperParameterTuningJobConfig: { Strategy: 'Bayesian', ResourceLimits: { MaxParallelTrainingJobs: 1 } },
    })));
    expect(e).toMatchObject({ name: 'UnknownOperationException', status: 400 });
  });

  it('a missing required member, a bad enum value and an unknown endpoint are ValidationException', async () => {
    const client = sm();
    const missing = await failure(client.send(new DescribeEndpointCommand({} as never)));
    expect(missing).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(missing.message).toContain("Value null at 'endpointName' failed to satisfy constraint: Member must not be null");
    const badEnum = await failure(client.send(new ListEndpointsCommand({ StatusEquals: 'Bogus' as never })));
    expect(badEnum).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(badEnum.message).toContain('Member must satisfy enum value set');
    const notFound = await failure(client.send(new DescribeEndpointCommand({ EndpointName: 'nope' })));
    expect(notFound).toMatchObject({ name: 'ValidationException', message: 'Could not find endpoint "arn:aws:sagemaker:us-east-1:000000000000:endpoint/nope".' });
    const unsupported = await failure(client.send(new CreateEndpointConfigCommand({
      EndpointConfigName: 'c', ProductionVariants: [{ VariantName: 'v', ModelName: 'm', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }],
      AsyncInferenceConfig: { OutputConfig: { S3OutputPath: 's3://b/c' } },
    })));
    expect(unsupported).toMatchObject({ name: 'ValidationException' });
    expect(unsupported.message).toContain('asyncInferenceConfig');
  });

  it('a reader access key may describe and list, not create', async () => {
    const token = (await (await server.api('/api/v1/api-keys', { method: 'POST', json: { role: 'reader' } })).json()) as { token: string };
    const res = await server.api('/api/v1/access-keys', { method: 'POST', headers: { authorization: `Bearer ${token.token}` } });
    expect(res.status, await res.clone().text()).toBe(201);
    const key = (await res.json()) as { accessKeyId: string; secretAccessKey: string; role: string };
    expect(key.role).toBe('reader');
    const reader = new SageMakerClient(config({ accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey }));
    await reader.send(new ListModelsCommand({}));
    const denied = await failure(reader.send(new CreateEndpointCommand({ EndpointName: 'x', EndpointConfigName: 'y' })));
    expect(denied).toMatchObject({ name: 'AccessDeniedException', status: 400 });

    const listed = (await (await server.api('/api/v1/access-keys')).json()) as { items: Array<{ accessKeyId: string; secretAccessKey?: string }> };
    expect(listed.items.map((k) => k.accessKeyId)).toEqual(expect.arrayContaining([ACCESS_KEY_ID, key.accessKeyId]));
    expect(listed.items.every((k) => k.secretAccessKey === undefined)).toBe(true);
    await new StratusClient({ url: server.url, token: TEST_TOKEN }).accessKeys.revoke(key.accessKeyId);
    expect(await failure(reader.send(new ListModelsCommand({})))).toMatchObject({ name: 'UnrecognizedClientException' });
  });
});

async function boto3Available(): Promise<boolean> {
  return execFileP('/usr/bin/python3', ['-c', 'import boto3']).then(() => true, () => false);
}
