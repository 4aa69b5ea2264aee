import { Type, type Static } from '@sinclair/typebox';
import { ListQuery, Name, PageOf, Tags, Timestamp } from './common.js';
import { ModelRuntime } from './model.js';

export const ApprovalStatus = Type.Union([Type.Literal('PendingManualApproval'), Type.Literal('Approved'), Type.Literal('Rejected')]);
export type ApprovalStatus = Static<typeof ApprovalStatus>;

export const CreateModelPackageGroupRequest = Type.Object(
  { name: Name, description: Type.Optional(Type.String({ maxLength: 1024 })), tags: Type.Optional(Tags) },
  { additionalProperties: false },
);
export type CreateModelPackageGroupRequest = Static<typeof CreateModelPackageGroupRequest>;

export const ModelPackageGroup = Type.Object({
  name: Type.String(),
  arn: Type.String(),
  description: Type.Optional(Type.String()),
  tags: Type.Optional(Type.Record(Type.String(), Type.String())),
  latestVersion: Type.Integer({ description: '0 until a version is registered.' }),
  aliases: Type.Record(Type.String(), Type.Integer(), { description: 'alias → version' }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type ModelPackageGroup = Static<typeof ModelPackageGroup>;
export const ModelPackageGroupList = PageOf(Type.Omit(ModelPackageGroup, ['aliases']));

const Approval = Type.Object({ by: Type.String(), at: Timestamp, reason: Type.Optional(Type.String()) });

export const RegisterModelPackageRequest = Type.Object(
  {
    model: Type.Optional(Type.String({ maxLength: 63, description: 'A model of this platform: its artifact, runtime and training job become the version’s. Give this or artifactUri.' })),
    artifactUri: Type.Optional(Type.String({ maxLength: 2048 })),
    runtime: Type.Optional(ModelRuntime),
    algorithm: Type.Optional(Type.String({ maxLength: 64 })),
    trainingJob: Type.Optional(Type.String({ maxLength: 63 })),
    evaluationJob: Type.Optional(Type.String({ maxLength: 63, description: 'A Completed evaluation job: its report and metrics are linked to the version.' })),
    datasets: Type.Optional(Type.Array(Type.Object({ name: Type.String({ maxLength: 63 }), version: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }), { maxItems: 20 })),
    metrics: Type.Optional(Type.Record(Type.String({ maxLength: 255 }), Type.Number(), { maxProperties: 200 })),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    approvalStatus: Type.Optional(ApprovalStatus),
  },
  { additionalProperties: false },
);
export type RegisterModelPackageRequest = Static<typeof RegisterModelPackageRequest>;

export const ModelPackage = Type.Object({
  group: Type.String(),
  version: Type.Integer(),
  arn: Type.String(),
  model: Type.Optional(Type.String()),
  artifactUri: Type.String(),
  runtime: Type.Optional(Type.String()),
  algorithm: Type.Optional(Type.String()),
  trainingJob: Type.Optional(Type.String()),
  evaluationJob: Type.Optional(Type.String()),
  evaluationReportUri: Type.Optional(Type.String()),
  datasets: Type.Array(Type.Object({ name: Type.String(), version: Type.Optional(Type.Integer()) })),
  metrics: Type.Record(Type.String(), Type.Number()),
  description: Type.Optional(Type.String()),
  approvalStatus: ApprovalStatus,
  approval: Type.Optional(Approval),
  aliases: Type.Array(Type.String()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type ModelPackage = Static<typeof ModelPackage>;
export const ModelPackageList = PageOf(ModelPackage);
export const ModelPackageListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    nextToken: Type.Optional(Type.String({ maxLength: 1024 })),
    approvalStatus: Type.Optional(ApprovalStatus),
  },
  { additionalProperties: false },
);

export const GroupParams = Type.Object({ group: Name }, { additionalProperties: false });
export const VersionParams = Type.Object({ group: Name, version: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
export const AliasParams = Type.Object({ group: Name, alias: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$' }) }, { additionalProperties: false });

export const UpdateApprovalRequest = Type.Object(
  { approvalStatus: ApprovalStatus, reason: Type.Optional(Type.String({ maxLength: 1024 })) },
  { additionalProperties: false },
);
export const SetAliasRequest = Type.Object({ version: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
export const AliasResult = Type.Object({ group: Type.String(), alias: Type.String(), version: Type.Integer(), previous: Type.Optional(Type.Integer()) });

export const RegistryEvent = Type.Object({
  seq: Type.Integer(),
  at: Timestamp,
  type: Type.String({ description: 'group_created, registered, approval_changed, alias_moved, alias_deleted, deployed' }),
  version: Type.Optional(Type.Integer()),
  actor: Type.Optional(Type.String()),
  detail: Type.Record(Type.String(), Type.Unknown()),
});
export const RegistryEventList = Type.Object({ items: Type.Array(RegistryEvent) });
export const RegistryEventQuery = Type.Object(
  { type: Type.Optional(Type.String({ maxLength: 32 })), since: Type.Optional(Type.Integer({ minimum: 0 })) },
  { additionalProperties: false },
);

export const ServedVersionsQuery = Type.Object({ at: Type.Optional(Type.String({ format: 'date-time', description: 'Default: now.' })) }, { additionalProperties: false });
export const ServedVersions = Type.Object({
  endpoint: Type.String(),
  at: Timestamp,
  config: Type.Optional(Type.String({ description: 'The endpoint config in force at that time; absent before the first deployment or after deletion.' })),
  since: Type.Optional(Timestamp),
  variants: Type.Array(Type.Object({
    variant: Type.String(),
    model: Type.String(),
    shadow: Type.Optional(Type.Boolean()),
    versions: Type.Array(Type.Object({ group: Type.String(), version: Type.Integer() })),
  })),
});
export type ServedVersions = Static<typeof ServedVersions>;

export const LineageQuery = Type.Object(
  { model: Type.Optional(Type.String({ maxLength: 63 })), trainingJob: Type.Optional(Type.String({ maxLength: 63 })), evaluationJob: Type.Optional(Type.String({ maxLength: 63 })) },
  { additionalProperties: false },
);
export const LineageResult = Type.Object({ items: Type.Array(Type.Object({ group: Type.String(), version: Type.Integer(), model: Type.Optional(Type.String()), trainingJob: Type.Optional(Type.String()), evaluationJob: Type.Optional(Type.String()), approvalStatus: ApprovalStatus })) });

export const GroupListQuery = ListQuery;
