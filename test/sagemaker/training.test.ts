import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import {
  CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, CreateTrainingJobCommand, CreateTransformJobCommand, DescribeTrainingJobCommand,
  DescribeTransformJobCommand, ListTagsCommand, ListTransformJobsCommand, SageMakerClient, StopTransformJobCommand, waitUntilEndpointInService,
  waitUntilTrainingJobCompletedOrStopped, waitUntilTransformJobCompletedOrStopped, type CreateTrainingJobCommandInput,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packDirectory } from '../../src/artifacts/archive.js';
import { splitCsv } from '../helpers/data.js';
import { DATASETS, startTestServer, type TestServer } from '../helpers/server.js';

const execFileP = promisify(execFile);
const ACCESS_KEY_ID = 'STRXTESTADMINKEY0002';
const SECRET = 'test-secret-access-key-training-0123';
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'script-jobs');
const XGBOOST = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';
const LINEAR = '382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1';
const SKLEARN = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3';
const ROLE = 'arn:aws:iam::123456789012:role/SageMakerRole';
/** What the SageMaker Python SDK sends by default beside the job itself (reference §2.1). */
const SDK_DEFAULTS = {
  DebugHookConfig: { S3OutputPath: 's3://my-bucket/debug', CollectionConfigurations: [] },
  ProfilerConfig: { S3OutputPath: 's3://my-bucket/profiler', DisableProfiler: false },
  ProfilerRuleConfigurations: [{ RuleConfigurationName: 'ProfilerReport-1', RuleEvaluatorImage: '503895931360.dkr.ecr.us-east-1.amazonaws.com/sagemaker-debugger-rules:latest', RuleParameters: { rule_to_invoke: 'ProfilerReport' } }],
};

let server: TestServer;
let work: string;
let datasetS3Uri = '';
let featureRows: string[] = [];

const sm = () => new SageMakerClient({ endpoint: server.url, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET } });
const waiter = (client: SageMakerClient, maxWaitTime = 120) => ({ client, maxWaitTime, minDelay: 1, maxDelay: 1 });

async function failure(p: Promise<unknown>): Promise<{ name: string; status?: number; message: string }> {
  const e = await p.then(() => undefined, (err: unknown) => err as { name: string; message: string; $metadata?: { httpStatusCode?: number } });
  if (!e) throw new Error('expected the call to fail');
  return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
}

async function upload(path: string, body: Buffer) {
  const res = await server.api(`/api/v1/artifacts/uploads/${path}`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body });
  expect(res.status, await res.clone().text()).toBe(201);
}

/** A CreateTrainingJob request the way the SDKs send one, with the given changes. */
const job = (over: Partial<CreateTrainingJobCommandInput> & { TrainingJobName: string }): CreateTrainingJobCommandInput => ({
  RoleArn: ROLE,
  AlgorithmSpecification: { TrainingImage: XGBOOST, TrainingInputMode: 'File' },
  HyperParameters: { num_round: '10', objective: 'binary:logistic', max_depth: '3' },
  InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://my-bucket/uploads/bc/train/', S3DataDistributionType: 'FullyReplicated' } }, ContentType: 'text/csv' }],
  OutputDataConfig: { S3OutputPath: 's3://my-bucket/output' },
  ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
  StoppingCondition: { MaxRuntimeInSeconds: 600 },
  ...over,
});

beforeAll(async () => {
  server = await startTestServer({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET, fileRoots: FIXTURES });
  work = await mkdtemp(join(tmpdir(), 'sm-training-'));
  const split = await splitCsv(join(DATASETS, 'breast_cancer.csv'), work);
  await upload('bc/train/train.csv', await readFile(split.train));
  await upload('bc/validation.csv', await readFile(split.validation));
  // The validation split as a native dataset too: its version's s3Uri is a channel S3Uri.
  const res = await server.api('/api/v1/datasets/bc-validation', {
    method: 'POST', headers: { 'content-type': 'text/csv' }, body: Readable.toWeb(createReadStream(split.validation)) as ReadableStream, duplex: 'half',
  } as RequestInit);
  expect(res.status, await res.clone().text()).toBe(201);
  datasetS3Uri = ((await res.json()) as { s3Uri: string }).s3Uri;
  // Batch input: features only (the label column dropped), no header.
  featureRows = split.validationRows.slice(0, 25).map((r) => r.slice(1).join(','));
  await upload('batch/input.csv', Buffer.from(featureRows.join('\n') + '\n'));
  const chunks: Buffer[] = [];
  for await (const c of packDirectory(join(FIXTURES, 'sklearn'))) chunks.push(c as Buffer);
  await upload('sm/sklearn/sourcedir.tar.gz', Buffer.concat(chunks));
}, 60_000);
afterAll(async () => {
  await server?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('CreateTrainingJob through the JS SDK', () => {
  it('shows a dataset version as an s3:// URI', () => {
    expect(datasetS3Uri).toMatch(/^s3:\/\/stratus\/datasets\/bc-validation\/[^/]+\.csv$/);
  });

  it('trains the built-in XGBoost image from S3 URIs, echoes the request, and serves the model through an endpoint', async () => {
    const client = sm();
    const created = await client.send(new CreateTrainingJobCommand(job({
      TrainingJobName: 'sm-xgb',
      InputDataConfig: [
        { ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://my-bucket/uploads/bc/train/', S3DataDistributionType: 'FullyReplicated' } }, ContentType: 'text/csv' },
        { ChannelName: 'validation', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: datasetS3Uri } }, ContentType: 'csv' },
      ],
      Tags: [{ Key: 'team', Value: 'ml' }],
      ...SDK_DEFAULTS,
    })));
    expect(created.TrainingJobArn).toBe('arn:aws:sagemaker:us-east-1:000000000000:training-job/sm-xgb');
    expect((await waitUntilTrainingJobCompletedOrStopped(waiter(client), { TrainingJobName: 'sm-xgb' })).state).toBe('SUCCESS');
    const d = await client.send(new DescribeTrainingJobCommand({ TrainingJobName: 'sm-xgb' }));
    expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
    expect(d.FinalMetricDataList?.map((m) => m.MetricName)).toEqual(expect.arrayContaining(['validation:logloss']));
    expect(d.ModelArtifacts?.S3ModelArtifacts).toBe('s3://stratus/training-jobs/sm-xgb/output/model.tar.gz');
    expect(d.AlgorithmSpecification).toMatchObject({ TrainingImage: XGBOOST, TrainingInputMode: 'File' });
    expect(d.HyperParameters).toEqual({ num_round: '10', objective: 'binary:logistic', max_depth: '3' });
    expect(d.InputDataConfig?.[1]?.DataSource?.S3DataSource?.S3Uri).toBe(datasetS3Uri);
    expect(d.OutputDataConfig).toEqual({ S3OutputPath: 's3://my-bucket/output' });
    expect(d.ResourceConfig).toEqual({ InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 });
    expect(d.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 600 });
    expect(d.RoleArn).toBe(ROLE);
    expect(d.DebugHookConfig?.S3OutputPath).toBe('s3://my-bucket/debug');
    expect(d.ProfilerRuleConfigurations?.[0]?.RuleConfigurationName).toBe('ProfilerReport-1');
    expect((await client.send(new ListTagsCommand({ ResourceArn: created.TrainingJobArn }))).Tags).toEqual([{ Key: 'team', Value: 'ml' }]);

    // The native view shows where the channel came from.
    const native = (await (await server.api('/api/v1/training-jobs/sm-xgb')).json()) as { inputs: Array<Record<string, unknown>> };
    expect(native.inputs).toEqual([
      { channel: 'train', artifactPrefix: 'uploads/bc/train/', contentType: 'text/csv', distribution: 'FullyReplicated' },
      { channel: 'validation', dataset: 'bc-validation', version: 1, contentType: 'text/csv' },
    ]);

    await client.send(new CreateModelCommand({ ModelName: 'sm-xgb-model', PrimaryContainer: { Image: XGBOOST, ModelDataUrl: d.ModelArtifacts!.S3ModelArtifacts! }, ExecutionRoleArn: ROLE }));
    await client.send(new CreateEndpointConfigCommand({
      EndpointConfigName: 'sm-xgb-config', ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'sm-xgb-model', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }],
    }));
    await client.send(new CreateEndpointCommand({ EndpointName: 'sm-xgb', EndpointConfigName: 'sm-xgb-config' }));
    expect((await waitUntilEndpointInService(waiter(client), { EndpointName: 'sm-xgb' })).state).toBe('SUCCESS');
    const rt = new SageMakerRuntimeClient({ endpoint: server.url, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET } });
    const out = await rt.send(new InvokeEndpointCommand({ EndpointName: 'sm-xgb', Body: new TextEncoder().encode(featureRows.slice(0, 3).join('\n')), ContentType: 'text/csv' }));
    const scores = new TextDecoder().decode(out.Body).trim().split(/[\n,]/).map(Number);
    expect(scores).toHaveLength(3);
    for (const s of scores) expect(s).toBeGreaterThanOrEqual(0);
  }, 180_000);

  it('trains the built-in linear-learner image from S3 URIs', async () => {
    const client = sm();
    await client.send(new CreateTrainingJobCommand(job({
      TrainingJobName: 'sm-linear',
      AlgorithmSpecification: { TrainingImage: LINEAR, TrainingInputMode: 'File' },
      HyperParameters: { predictor_type: 'binary_classifier', epochs: '5', mini_batch_size: '100' },
      InputDataConfig: [
        { ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://my-bucket/uploads/bc/train' } }, ContentType: 'text/csv' },
        { ChannelName: 'validation', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://my-bucket/uploads/bc/validation.csv' } }, ContentType: 'text/csv' },
      ],
    })));
    expect((await waitUntilTrainingJobCompletedOrStopped(waiter(client), { TrainingJobName: 'sm-linear' })).state).toBe('SUCCESS');
    const d = await client.send(new DescribeTrainingJobCommand({ TrainingJobName: 'sm-linear' }));
    expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
    expect(d.FinalMetricDataList?.some((m) => m.MetricName?.startsWith('validation:'))).toBe(true);
    expect(d.AlgorithmSpecification?.TrainingImage).toBe(LINEAR);
  }, 120_000);

  it('runs a scikit-learn script the way the SageMaker Python SDK submits it (JSON-encoded hyperparameters)', async () => {
    const client = sm();
    await client.send(new CreateTrainingJobCommand(job({
      TrainingJobName: 'sm-sklearn',
      AlgorithmSpecification: { TrainingImage: SKLEARN, TrainingInputMode: 'File', MetricDefinitions: [{ Name: 'test:accuracy', Regex: 'accuracy=([0-9.]+)' }], EnableSageMakerMetricsTimeSeries: true },
      HyperParameters: {
        C: '0.5',
        'max-iter': '200',
        sagemaker_program: '"train.py"',
        sagemaker_submit_directory: '"s3://my-bucket/uploads/sm/sklearn/sourcedir.tar.gz"',
        sagemaker_container_log_level: '20',
        sagemaker_job_name: '"sm-sklearn"',
        sagemaker_region: '"us-east-1"',
      },
      Environment: { MY_SETTING: 'on' },
      CheckpointConfig: { S3Uri: 's3://my-bucket/checkpoints/sm-sklearn/' },
      ...SDK_DEFAULTS,
    })));
    expect((await waitUntilTrainingJobCompletedOrStopped(waiter(client), { TrainingJobName: 'sm-sklearn' })).state).toBe('SUCCESS');
    const d = await client.send(new DescribeTrainingJobCommand({ TrainingJobName: 'sm-sklearn' }));
    expect(d.TrainingJobStatus, d.FailureReason).toBe('Completed');
    expect(d.FinalMetricDataList?.find((m) => m.MetricName === 'test:accuracy')?.Value).toBeGreaterThan(0.9);
    expect(d.HyperParameters?.sagemaker_program).toBe('"train.py"');
    expect(d.CheckpointConfig).toEqual({ S3Uri: 's3://my-bucket/checkpoints/sm-sklearn/' });
    const native = (await (await server.api('/api/v1/training-jobs/sm-sklearn')).json()) as Record<string, any>;
    expect(native.script).toMatchObject({ entryPoint: 'train.py', source: expect.stringMatching(/uploads\/sm\/sklearn\/sourcedir\.tar\.gz$/) });
    expect(native.checkpointConfig).toEqual({ localPath: 'checkpoints', artifactPrefix: 'checkpoints/sm-sklearn' });
    const log = await (await server.api('/api/v1/training-jobs/sm-sklearn/logs')).text();
    expect(log).toContain('hyperparameters: C=0.5 max_iter=200');
  }, 120_000);
});

describe('script sources given as file:// (fileRoots)', () => {
  it('packs a folder under fileRoots into the artifact store and runs it', async () => {
    const client = sm();
    await client.send(new CreateTrainingJobCommand(job({
      TrainingJobName: 'sm-sklearn-local',
      AlgorithmSpecification: { TrainingImage: 'local/sagemaker-scikit-learn:latest', TrainingInputMode: 'File' },
      HyperParameters: { sagemaker_program: '"train.py"', sagemaker_submit_directory: JSON.stringify(`file://${join(FIXTURES, 'sklearn')}`) },
    })));
    expect((await waitUntilTrainingJobCompletedOrStopped(waiter(client), { TrainingJobName: 'sm-sklearn-local' })).state).toBe('SUCCESS');
    const native = (await (await server.api('/api/v1/training-jobs/sm-sklearn-local')).json()) as Record<string, any>;
    expect(native.status).toBe('Completed');
    expect(native.script.source).toMatch(/uploads\/sources\/sm-sklearn-local\/sourcedir\.tar\.gz$/);
  }, 120_000);
});

describe('artifact inputs through the native API', () => {
  const post = (path: string, json: unknown) => server.api(path, { method: 'POST', json });
  const errorOf = async (res: Response) => ({ status: res.status, ...((await res.json()) as { error: { code: string; message: string; details?: { field?: string } } }).error });

  it('a channel takes exactly one of dataset and artifactPrefix, and the prefix must hold objects', async () => {
    const base = { algorithm: 'xgboost', hyperparameters: { num_round: 2 } };
    const both = await errorOf(await post('/api/v1/training-jobs', { ...base, name: 'n-1', inputs: [{ channel: 'train', dataset: 'bc-validation', artifactPrefix: 'uploads/bc/train/' }] }));
    expect(both).toMatchObject({ status: 400, code: 'ValidationError', details: { field: 'inputs[0].artifactPrefix' } });
    const neither = await errorOf(await post('/api/v1/training-jobs', { ...base, name: 'n-2', inputs: [{ channel: 'train' }] }));
    expect(neither).toMatchObject({ status: 400, details: { field: 'inputs[0].dataset' } });
    const empty = await errorOf(await post('/api/v1/training-jobs', { ...base, name: 'n-3', inputs: [{ channel: 'train', artifactPrefix: 'uploads/none/' }] }));
    expect(empty).toMatchObject({ status: 400, details: { field: 'inputs[0].artifactPrefix' } });
    expect(empty.message).toContain('holds no objects');
    const escape = await errorOf(await post('/api/v1/training-jobs', { ...base, name: 'n-4', inputs: [{ channel: 'train', artifactPrefix: '../etc/' }] }));
    expect(escape).toMatchObject({ status: 400, details: { field: 'inputs[0].artifactPrefix' } });
  });

  it('a transform job reads one artifact by key', async () => {
    const missing = await errorOf(await post('/api/v1/transform-jobs', { name: 'n-t1', model: 'sm-xgb-model', input: { artifactKey: 'uploads/batch/none.csv' } }));
    expect(missing).toMatchObject({ status: 400, details: { field: 'input.artifactKey' } });
    const both = await errorOf(await post('/api/v1/transform-jobs', { name: 'n-t2', model: 'sm-xgb-model', input: { artifactKey: 'uploads/batch/input.csv', dataset: 'bc-validation' } }));
    expect(both).toMatchObject({ status: 400, details: { field: 'input.artifactKey' } });
    const res = await post('/api/v1/transform-jobs', { name: 'n-t3', model: 'sm-xgb-model', input: { artifactKey: 'uploads/batch/input.csv' } });
    expect(res.status, await res.clone().text()).toBe(201);
    expect(((await res.json()) as { input: unknown }).input).toEqual({ artifactKey: 'uploads/batch/input.csv', contentType: 'text/csv', splitType: 'Line' });
  });
});

describe('transform jobs through the JS SDK', () => {
  it('runs a batch transform over an uploaded CSV and waits for it', async () => {
    const client = sm();
    const created = await client.send(new CreateTransformJobCommand({
      TransformJobName: 'sm-batch',
      ModelName: 'sm-xgb-model',
      BatchStrategy: 'MultiRecord',
      MaxPayloadInMB: 1,
      MaxConcurrentTransforms: 2,
      TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://my-bucket/uploads/batch/input.csv' } }, ContentType: 'text/csv', SplitType: 'Line' },
      TransformOutput: { S3OutputPath: 's3://my-bucket/batch-out', AssembleWith: 'Line', Accept: 'text/csv' },
      TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
      DataProcessing: { JoinSource: 'None' },
      Tags: [{ Key: 'kind', Value: 'batch' }],
    }));
    expect(created.TransformJobArn).toBe('arn:aws:sagemaker:us-east-1:000000000000:transform-job/sm-batch');
    expect((await waitUntilTransformJobCompletedOrStopped(waiter(client), { TransformJobName: 'sm-batch' })).state).toBe('SUCCESS');
    const d = await client.send(new DescribeTransformJobCommand({ TransformJobName: 'sm-batch' }));
    expect(d).toMatchObject({ TransformJobStatus: 'Completed', ModelName: 'sm-xgb-model', BatchStrategy: 'MultiRecord', MaxPayloadInMB: 1 });
    expect(d.TransformOutput?.S3OutputPath).toBe('s3://my-bucket/batch-out');
    expect(d.TransformResources).toEqual({ InstanceType: 'ml.m5.large', InstanceCount: 1 });
    expect(d.TransformEndTime).toBeInstanceOf(Date);
    const out = await (await server.api('/api/v1/artifacts/transform-jobs/sm-batch/output/input.csv.out')).text();
    expect(out.trim().split('\n')).toHaveLength(featureRows.length);
    const listed = await client.send(new ListTransformJobsCommand({ StatusEquals: 'Completed' }));
    expect(listed.TransformJobSummaries?.map((j) => j.TransformJobName)).toContain('sm-batch');
    const stop = await failure(client.send(new StopTransformJobCommand({ TransformJobName: 'sm-batch' })));
    expect(stop).toMatchObject({ name: 'ValidationException' });
    const missing = await failure(client.send(new DescribeTransformJobCommand({ TransformJobName: 'nope' })));
    expect(missing).toMatchObject({ name: 'ValidationException', message: 'Could not find requested job with name nope' });
  }, 120_000);

  it('refuses a transform input that holds nothing and a model that does not exist', async () => {
    const client = sm();
    const base = {
      TransformJobName: 'sm-batch-bad', ModelName: 'sm-xgb-model',
      TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix' as const, S3Uri: 's3://b/uploads/nothing-here/' } } },
      TransformOutput: { S3OutputPath: 's3://b/out' }, TransformResources: { InstanceType: 'ml.m5.large' as const, InstanceCount: 1 },
    };
    expect((await failure(client.send(new CreateTransformJobCommand(base)))).message).toContain('No S3 objects found under S3 URL');
    expect((await failure(client.send(new CreateTransformJobCommand({ ...base, ModelName: 'nope' })))).message).toContain('Could not find model');
  });
});

describe('CreateTrainingJob errors', () => {
  const cases: Array<[string, CreateTrainingJobCommandInput, string]> = [
    ['a missing RoleArn', { ...job({ TrainingJobName: 'bad-1' }), RoleArn: undefined }, "Value null at 'roleArn'"],
    ['a missing AlgorithmSpecification', { ...job({ TrainingJobName: 'bad-2' }), AlgorithmSpecification: undefined }, "Value null at 'algorithmSpecification'"],
    ['an https:// S3Uri', job({ TrainingJobName: 'bad-3', InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 'https://example.com/x' } } }] }), 'must be an s3://'],
    ['an empty prefix', job({ TrainingJobName: 'bad-4', InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://b/uploads/none/' } } }] }), 'No S3 objects found under S3 URL "s3://b/uploads/none/"'],
    ['a manifest file', job({ TrainingJobName: 'bad-5', InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'ManifestFile', S3Uri: 's3://b/uploads/bc/train/' } } }] }), "'inputDataConfig.1.member.dataSource.s3DataSource.s3DataType' ManifestFile is not supported"],
    ['two instances on the local executor', job({ TrainingJobName: 'bad-6', ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 2, VolumeSizeInGB: 10 } }), "'resourceConfig.instanceCount' 2 is not supported by this server: it trains on one machine (executor 'local'). Multi-instance training needs the Slurm executor"],
    ['no instances', job({ TrainingJobName: 'bad-6b', ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 0, VolumeSizeInGB: 10 } }), "at 'resourceConfig.instanceCount' failed to satisfy constraint: Member must have value greater than or equal to 1"],
    ['an unknown instance type', job({ TrainingJobName: 'bad-7', ResourceConfig: { InstanceType: 'ml.p4d.24xlarge', InstanceCount: 1, VolumeSizeInGB: 10 } }), "at 'resourceConfig.instanceType'"],
    ['an unknown image', job({ TrainingJobName: 'bad-8', AlgorithmSpecification: { TrainingImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/my-own:latest', TrainingInputMode: 'File' } }), 'is not a built-in algorithm Stratus serves'],
    ['a hyperparameter the algorithm refuses', job({ TrainingJobName: 'bad-9', HyperParameters: { num_round: 'many' } }), 'num_round'],
    ['a script without its source', job({ TrainingJobName: 'bad-10', AlgorithmSpecification: { TrainingImage: SKLEARN, TrainingInputMode: 'File' }, HyperParameters: { sagemaker_program: '"train.py"' } }), 'sagemaker_submit_directory'],
    ['a file:// source outside fileRoots', job({ TrainingJobName: 'bad-11', AlgorithmSpecification: { TrainingImage: SKLEARN, TrainingInputMode: 'File' }, HyperParameters: { sagemaker_program: '"train.py"', sagemaker_submit_directory: '"file:///tmp"' } }), 'is outside the allowed folders'],
    ['a script on a built-in image', job({ TrainingJobName: 'bad-12', AlgorithmSpecification: { TrainingImage: LINEAR, TrainingInputMode: 'File' }, HyperParameters: { sagemaker_program: '"train.py"', sagemaker_submit_directory: '"s3://b/uploads/sm/sklearn/sourcedir.tar.gz"' } }), 'built-in algorithm image'],
    ['Pipe mode', job({ TrainingJobName: 'bad-13', AlgorithmSpecification: { TrainingImage: XGBOOST, TrainingInputMode: 'Pipe' } }), "'algorithmSpecification.trainingInputMode' Pipe"],
    ['a retry strategy', job({ TrainingJobName: 'bad-14', RetryStrategy: { MaximumRetryAttempts: 2 } }), "'retryStrategy' is not supported"],
    ['a checkpoint outside checkpoints/', job({ TrainingJobName: 'bad-15', CheckpointConfig: { S3Uri: 's3://b/datasets/x' } }), 'checkpointConfig.s3Uri'],
    ['a reserved environment variable', job({ TrainingJobName: 'bad-16', Environment: { SM_MODEL_DIR: '/x' } }), 'SM_MODEL_DIR'],
  ];
  it.each(cases)('%s is a ValidationException', async (_label, input, message) => {
    const e = await failure(sm().send(new CreateTrainingJobCommand(input)));
    expect(e).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(e.message).toContain(message);
    expect((await (await server.api(`/api/v1/training-jobs/${input.TrainingJobName}`)).status)).toBe(404);
  });

  it('a duplicate name is ResourceInUse', async () => {
    const e = await failure(sm().send(new CreateTrainingJobCommand(job({ TrainingJobName: 'sm-xgb' }))));
    expect(e).toMatchObject({ name: 'ResourceInUse', status: 400 });
    expect(e.message).toBe('Training job names must be unique within an AWS account and region, and a training job with this name already exists (arn:aws:sagemaker:us-east-1:000000000000:training-job/sm-xgb)');
  });
});

describe('CreateTrainingJob through boto3', () => {
  it('trains, waits and describes with boto3', async () => {
    if (!(await execFileP('/usr/bin/python3', ['-c', 'import boto3']).then(() => true, () => false))) return;
    const { stdout } = await execFileP('/usr/bin/python3', [join(import.meta.dirname, 'boto3_training_check.py'), server.url, ACCESS_KEY_ID, SECRET, XGBOOST], { timeout: 90_000 });
    expect(JSON.parse(stdout)).toEqual({
      arn: 'arn:aws:sagemaker:us-east-1:000000000000:training-job/sm-boto3',
      status: 'Completed',
      artifacts: 's3://stratus/training-jobs/sm-boto3/output/model.tar.gz',
      hasTrainMetric: true,
      duplicate: 'ResourceInUse',
      missing: 'ValidationException',
    });
  }, 120_000);
});
