import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CreateModelCommand, CreateModelPackageCommand, CreateModelPackageGroupCommand, DeleteModelPackageGroupCommand, DescribeModelCommand, DescribeModelPackageCommand,
  DescribeModelPackageGroupCommand, ListModelPackageGroupsCommand, ListModelPackagesCommand, SageMakerClient, UpdateModelPackageCommand, waitUntilTrainingJobCompletedOrStopped,
  type CreateModelPackageCommandInput,
} from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, startTestServer, type TestServer } from '../helpers/server.js';

/*
 * The model registry through the SageMaker JS SDK: groups, versioned packages, approval (seen
 * through the native API too, with its reason and event history), CreateModel from a package,
 * and SageMaker's errors.
 */

const ACCESS_KEY_ID = 'STRXTESTADMINKEY0002';
const SECRET = 'test-secret-access-key-registry-0123';
const IMAGE = '382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1';
const GROUP = 'bc-classifier';
const ARN_PREFIX = 'arn:aws:sagemaker:us-east-1:000000000000';
let server: TestServer;
let modelDataUrl = '';

const sm = () =>
  new SageMakerClient({ endpoint: server.url, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET } });

async function failure(p: Promise<unknown>): Promise<{ name: string; status?: number; message: string }> {
  const e = await p.then(() => undefined, (err: unknown) => err as { name: string; message: string; $metadata?: { httpStatusCode?: number } });
  if (!e) throw new Error('expected the call to fail');
  return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
}

async function native<T>(path: string): Promise<T> {
  const res = await server.api(`/api/v1${path}`);
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

const packageInput = (over: Partial<CreateModelPackageCommandInput> = {}): CreateModelPackageCommandInput => ({
  ModelPackageGroupName: GROUP,
  InferenceSpecification: { Containers: [{ Image: IMAGE, ModelDataUrl: modelDataUrl }], SupportedContentTypes: ['text/csv'], SupportedResponseMIMETypes: ['text/csv'] },
  ...over,
});

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
  const waited = await waitUntilTrainingJobCompletedOrStopped({ client: sm(), maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { TrainingJobName: 'bc-linear' });
  expect(waited.state).toBe('SUCCESS');
  // Any bucket name maps to the artifact store's root.
  modelDataUrl = 's3://my-bucket/training-jobs/bc-linear/output/model.tar.gz';
}, 150_000);
afterAll(() => server?.stop());

describe('the model registry through the SageMaker JS SDK', () => {
  it('creates, describes and lists model package groups', async () => {
    const client = sm();
    const created = await client.send(new CreateModelPackageGroupCommand({
      ModelPackageGroupName: GROUP, ModelPackageGroupDescription: 'Breast cancer classifier', Tags: [{ Key: 'team', Value: 'ml' }],
    }));
    expect(created.ModelPackageGroupArn).toBe(`${ARN_PREFIX}:model-package-group/${GROUP}`);
    const dup = await failure(client.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: GROUP })));
    expect(dup).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(dup.message).toContain('Cannot create already existing model package group');

    const byName = await client.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: GROUP }));
    expect(byName).toMatchObject({ ModelPackageGroupName: GROUP, ModelPackageGroupDescription: 'Breast cancer classifier', ModelPackageGroupStatus: 'Completed' });
    expect(byName.CreationTime).toBeInstanceOf(Date);
    const byArn = await client.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: created.ModelPackageGroupArn }));
    expect(byArn.ModelPackageGroupName).toBe(GROUP);

    await client.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: 'other-group' }));
    const listed = await client.send(new ListModelPackageGroupsCommand({ SortBy: 'Name', SortOrder: 'Ascending' }));
    expect(listed.ModelPackageGroupSummaryList?.map((g) => g.ModelPackageGroupName)).toEqual([GROUP, 'other-group']);
    const filtered = await client.send(new ListModelPackageGroupsCommand({ NameContains: 'CLASSIF' }));
    expect(filtered.ModelPackageGroupSummaryList?.map((g) => g.ModelPackageGroupName)).toEqual([GROUP]);
    const paged = await client.send(new ListModelPackageGroupsCommand({ MaxResults: 1, SortBy: 'Name', SortOrder: 'Ascending' }));
    expect(paged.ModelPackageGroupSummaryList).toHaveLength(1);
    const next = await client.send(new ListModelPackageGroupsCommand({ MaxResults: 1, SortBy: 'Name', SortOrder: 'Ascending', NextToken: paged.NextToken }));
    expect(next.ModelPackageGroupSummaryList?.map((g) => g.ModelPackageGroupName)).toEqual(['other-group']);
    expect(next.NextToken).toBeUndefined();
    await client.send(new DeleteModelPackageGroupCommand({ ModelPackageGroupName: 'other-group' }));
  });

  it('registers two versions, lists them filtered and sorted, and approves one with a description', async () => {
    const client = sm();
    const v1 = await client.send(new CreateModelPackageCommand(packageInput({
      ModelPackageDescription: 'first candidate',
      CustomerMetadataProperties: { owner: 'alice', stage: 'dev' },
      ModelMetrics: { ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: 's3://my-bucket/metrics/v1.json' } } },
      MetadataProperties: { CommitId: 'abc123' },
      Tags: [{ Key: 'run', Value: '1' }],
    })));
    expect(v1.ModelPackageArn).toBe(`${ARN_PREFIX}:model-package/${GROUP}/1`);
    const v2 = await client.send(new CreateModelPackageCommand(packageInput({ ModelPackageDescription: 'second candidate', ModelApprovalStatus: 'PendingManualApproval' })));
    expect(v2.ModelPackageArn).toBe(`${ARN_PREFIX}:model-package/${GROUP}/2`);

    const versions = async (input: Record<string, unknown>) =>
      (await client.send(new ListModelPackagesCommand({ ModelPackageGroupName: GROUP, ...input }))).ModelPackageSummaryList?.map((p) => p.ModelPackageVersion);
    expect(await versions({})).toEqual([2, 1]); // CreationTime Descending by default
    expect(await versions({ SortBy: 'CreationTime', SortOrder: 'Ascending' })).toEqual([1, 2]);
    expect(await versions({ SortBy: 'Name', SortOrder: 'Descending' })).toEqual([2, 1]);
    expect(await versions({ ModelApprovalStatus: 'Approved' })).toEqual([]);

    const summary = (await client.send(new ListModelPackagesCommand({ ModelPackageGroupName: GROUP, SortOrder: 'Ascending' }))).ModelPackageSummaryList![0];
    expect(summary).toMatchObject({
      ModelPackageName: GROUP, ModelPackageGroupName: GROUP, ModelPackageVersion: 1, ModelPackageArn: v1.ModelPackageArn, ModelPackageDescription: 'first candidate',
      ModelPackageStatus: 'Completed', ModelApprovalStatus: 'PendingManualApproval',
    });

    const updated = await client.send(new UpdateModelPackageCommand({
      ModelPackageArn: v1.ModelPackageArn, ModelApprovalStatus: 'Approved', ApprovalDescription: 'AUC 0.97 on hold-out',
    }));
    expect(updated.ModelPackageArn).toBe(v1.ModelPackageArn);
    expect(await versions({ ModelApprovalStatus: 'Approved' })).toEqual([1]);
    expect(await versions({ ModelApprovalStatus: 'PendingManualApproval' })).toEqual([2]);

    const d = await client.send(new DescribeModelPackageCommand({ ModelPackageName: v1.ModelPackageArn }));
    expect(d).toMatchObject({
      ModelPackageName: GROUP, ModelPackageGroupName: GROUP, ModelPackageVersion: 1, ModelPackageArn: v1.ModelPackageArn, ModelPackageDescription: 'first candidate',
      ModelPackageStatus: 'Completed', ModelPackageStatusDetails: { ValidationStatuses: [] },
      ModelApprovalStatus: 'Approved', ApprovalDescription: 'AUC 0.97 on hold-out',
      InferenceSpecification: { Containers: [{ Image: IMAGE, ModelDataUrl: modelDataUrl }], SupportedContentTypes: ['text/csv'], SupportedResponseMIMETypes: ['text/csv'] },
      CustomerMetadataProperties: { owner: 'alice', stage: 'dev' },
      ModelMetrics: { ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: 's3://my-bucket/metrics/v1.json' } } },
      MetadataProperties: { CommitId: 'abc123' },
    });
    expect(d.CreationTime).toBeInstanceOf(Date);
    expect(d.LastModifiedTime!.getTime()).toBeGreaterThanOrEqual(d.CreationTime!.getTime());
    // By name: <group>/<version>.
    expect((await client.send(new DescribeModelPackageCommand({ ModelPackageName: `${GROUP}/2` }))).ModelApprovalStatus).toBe('PendingManualApproval');

    // The native registry holds the same versions: the approval with its reason, lineage, events.
    const native1 = await native<Record<string, any>>(`/model-package-groups/${GROUP}/versions/1`);
    expect(native1).toMatchObject({ approvalStatus: 'Approved', algorithm: 'linear-learner', trainingJob: 'bc-linear', description: 'first candidate' });
    expect(native1.approval).toMatchObject({ reason: 'AUC 0.97 on hold-out', by: 'sagemaker-api:admin' });
    expect(native1.datasets).toEqual([expect.objectContaining({ name: 'bc-train' })]);
    const events = await native<{ items: Array<{ type: string; version?: number; detail: Record<string, unknown> }> }>(`/model-package-groups/${GROUP}/events`);
    expect(events.items.map((e) => [e.type, e.version])).toEqual([['group_created', undefined], ['registered', 1], ['registered', 2], ['approval_changed', 1]]);
    expect(JSON.stringify(events.items[3].detail)).toContain('AUC 0.97 on hold-out');
  });

  it('updates customer metadata and rejects with a reason', async () => {
    const client = sm();
    const arn = `${ARN_PREFIX}:model-package/${GROUP}/1`;
    await client.send(new UpdateModelPackageCommand({ ModelPackageArn: arn, CustomerMetadataProperties: { reviewer: 'bob' }, CustomerMetadataPropertiesToRemove: ['stage'] }));
    const d = await client.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
    expect(d.CustomerMetadataProperties).toEqual({ owner: 'alice', reviewer: 'bob' });
    expect(d.ModelApprovalStatus).toBe('Approved');

    await client.send(new UpdateModelPackageCommand({ ModelPackageArn: `${ARN_PREFIX}:model-package/${GROUP}/2`, ModelApprovalStatus: 'Rejected', ApprovalDescription: 'worse recall' }));
    const native2 = await native<Record<string, any>>(`/model-package-groups/${GROUP}/versions/2`);
    expect(native2).toMatchObject({ approvalStatus: 'Rejected', approval: { reason: 'worse recall' } });
  });

  it('answers a retried CreateModelPackage (same ClientToken) with the version it created', async () => {
    const client = sm();
    const first = await client.send(new CreateModelPackageCommand(packageInput({ ClientToken: 'retry-token-1' })));
    const again = await client.send(new CreateModelPackageCommand(packageInput({ ClientToken: 'retry-token-1' })));
    expect(again.ModelPackageArn).toBe(first.ModelPackageArn);
    expect(first.ModelPackageArn).toBe(`${ARN_PREFIX}:model-package/${GROUP}/3`);
  });

  it('creates a SageMaker model from a model package', async () => {
    const client = sm();
    await client.send(new CreateModelCommand({ ModelName: 'bc-from-package', PrimaryContainer: { ModelPackageName: `${ARN_PREFIX}:model-package/${GROUP}/1` } }));
    const model = await client.send(new DescribeModelCommand({ ModelName: 'bc-from-package' }));
    expect(model.PrimaryContainer?.ModelPackageName).toBe(`${ARN_PREFIX}:model-package/${GROUP}/1`);
    const nativeModel = await native<{ algorithm: string; artifactUri: string }>('/models/bc-from-package');
    const version = await native<{ artifactUri: string }>(`/model-package-groups/${GROUP}/versions/1`);
    expect(nativeModel).toMatchObject({ algorithm: 'linear-learner', artifactUri: version.artifactUri });

    const both = await failure(client.send(new CreateModelCommand({ ModelName: 'bc-both', PrimaryContainer: { ModelPackageName: `${GROUP}/1`, Image: IMAGE } })));
    expect(both).toMatchObject({ name: 'ValidationException' });
    expect(both.message).toContain('cannot be given with');
    const missing = await failure(client.send(new CreateModelCommand({ ModelName: 'bc-missing', PrimaryContainer: { ModelPackageName: `${GROUP}/99` } })));
    expect(missing.message).toBe(`ModelPackage ${ARN_PREFIX}:model-package/${GROUP}/99 does not exist.`);
    const neither = await failure(client.send(new CreateModelCommand({ ModelName: 'bc-neither', PrimaryContainer: {} })));
    expect(neither.message).toContain("Value null at 'primaryContainer.image'");
  });

  it('answers SageMaker errors for what is missing, invalid or not supported', async () => {
    const client = sm();
    const noGroup = await failure(client.send(new CreateModelPackageCommand(packageInput({ ModelPackageGroupName: 'no-such-group' }))));
    expect(noGroup).toMatchObject({ name: 'ValidationException', status: 400, message: `ModelPackageGroup ${ARN_PREFIX}:model-package-group/no-such-group does not exist.` });
    const badEnum = await failure(client.send(new CreateModelPackageCommand(packageInput({ ModelApprovalStatus: 'Maybe' as never }))));
    expect(badEnum.name).toBe('ValidationException');
    expect(badEnum.message).toBe("1 validation error detected: Value 'Maybe' at 'modelApprovalStatus' failed to satisfy constraint: Member must satisfy enum value set: [Approved, Rejected, PendingManualApproval]");
    const badUpdate = await failure(client.send(new UpdateModelPackageCommand({ ModelPackageArn: `${ARN_PREFIX}:model-package/${GROUP}/1`, ModelApprovalStatus: 'approved' as never })));
    expect(badUpdate.message).toContain("at 'modelApprovalStatus' failed to satisfy constraint");
    const unversioned = await failure(client.send(new CreateModelPackageCommand({ ModelPackageName: 'loose', InferenceSpecification: packageInput().InferenceSpecification })));
    expect(unversioned.name).toBe('ValidationException');
    expect(unversioned.message).toContain('Unversioned model packages');
    expect(unversioned.message).toContain('not supported');
    const image = await failure(client.send(new CreateModelPackageCommand(packageInput({ InferenceSpecification: { Containers: [{ Image: 'me/my-container:1', ModelDataUrl: modelDataUrl }] } }))));
    expect(image.message).toContain("'inferenceSpecification.containers.1.member.image' names image \"me/my-container:1\"");
    const noData = await failure(client.send(new CreateModelPackageCommand(packageInput({ InferenceSpecification: { Containers: [{ Image: IMAGE, ModelDataUrl: 's3://b/nothing/model.tar.gz' }] } }))));
    expect(noData.message).toContain('Could not find model data at s3://b/nothing/model.tar.gz');
    const validation = await failure(client.send(new CreateModelPackageCommand(packageInput({ ValidationSpecification: { ValidationRole: 'arn:aws:iam::123456789012:role/R', ValidationProfiles: [] } }))));
    expect(validation.message).toContain("'validationSpecification' is not supported by Stratus");
    const missingVersion = await failure(client.send(new DescribeModelPackageCommand({ ModelPackageName: `${GROUP}/42` })));
    expect(missingVersion).toMatchObject({ name: 'ValidationException', message: `ModelPackage ${ARN_PREFIX}:model-package/${GROUP}/42 does not exist.` });
    const bareName = await failure(client.send(new DescribeModelPackageCommand({ ModelPackageName: GROUP })));
    expect(bareName.name).toBe('ValidationException');
    const descriptionOnly = await failure(client.send(new UpdateModelPackageCommand({ ModelPackageArn: `${ARN_PREFIX}:model-package/${GROUP}/1`, ApprovalDescription: 'why' })));
    expect(descriptionOnly.message).toContain('give ModelApprovalStatus');
    const missingGroup = await failure(client.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: 'nope' })));
    expect(missingGroup.message).toBe(`ModelPackageGroup ${ARN_PREFIX}:model-package-group/nope does not exist.`);
  });

  it('lists versioned packages across groups only when asked (SageMaker lists unversioned ones by default)', async () => {
    const client = sm();
    expect((await client.send(new ListModelPackagesCommand({}))).ModelPackageSummaryList).toEqual([]);
    const both = await client.send(new ListModelPackagesCommand({ ModelPackageType: 'Both', SortOrder: 'Ascending', MaxResults: 2 }));
    expect(both.ModelPackageSummaryList?.map((p) => p.ModelPackageVersion)).toEqual([1, 2]);
    const rest = await client.send(new ListModelPackagesCommand({ ModelPackageType: 'Both', SortOrder: 'Ascending', MaxResults: 2, NextToken: both.NextToken }));
    expect(rest.ModelPackageSummaryList?.map((p) => p.ModelPackageVersion)).toEqual([3]);
    expect((await client.send(new ListModelPackagesCommand({ ModelPackageGroupName: 'no-such-group' }))).ModelPackageSummaryList).toEqual([]);
  });

  it('deletes a group with its versions', async () => {
    const client = sm();
    await client.send(new DeleteModelPackageGroupCommand({ ModelPackageGroupName: `${ARN_PREFIX}:model-package-group/${GROUP}` }));
    const gone = await failure(client.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: GROUP })));
    expect(gone.name).toBe('ValidationException');
    expect((await failure(client.send(new DescribeModelPackageCommand({ ModelPackageName: `${GROUP}/1` })))).name).toBe('ValidationException');
    expect((await failure(client.send(new DeleteModelPackageGroupCommand({ ModelPackageGroupName: GROUP })))).message).toContain('does not exist');
    // A new group of the same name starts again at version 1, without the old documents.
    await client.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: GROUP }));
    const v = await client.send(new CreateModelPackageCommand(packageInput()));
    expect(v.ModelPackageArn).toBe(`${ARN_PREFIX}:model-package/${GROUP}/1`);
    const d = await client.send(new DescribeModelPackageCommand({ ModelPackageName: v.ModelPackageArn }));
    expect(d.CustomerMetadataProperties).toBeUndefined();
    expect(d.ApprovalDescription).toBeUndefined();
  });
});
