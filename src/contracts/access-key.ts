import { Type, type Static } from '@sinclair/typebox';
import { Timestamp } from './common.js';

/** An AWS-style access key id (20 characters for generated keys). */
export const AccessKeyId = Type.String({ pattern: '^[A-Za-z0-9]{16,128}$' });

export const AccessKey = Type.Object({
  accessKeyId: AccessKeyId,
  role: Type.String({ description: 'admin: every SageMaker operation; reader: Describe* and List* only' }),
  createdAt: Timestamp,
});
export type AccessKey = Static<typeof AccessKey>;

/** A new key pair: the secret is returned this once and cannot be read again. */
export const NewAccessKey = Type.Composite([AccessKey, Type.Object({ secretAccessKey: Type.String() })]);
export type NewAccessKey = Static<typeof NewAccessKey>;

export const AccessKeyList = Type.Object({ items: Type.Array(AccessKey) });
export type AccessKeyList = Static<typeof AccessKeyList>;

export const AccessKeyParams = Type.Object({ id: AccessKeyId }, { additionalProperties: false });
