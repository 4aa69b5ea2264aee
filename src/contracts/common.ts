import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { NAME_PATTERN } from '../core/ids.js';

export const Name = Type.String({ pattern: NAME_PATTERN, minLength: 1, maxLength: 63, description: 'Letters, digits and hyphens; starts with a letter or digit; at most 63 characters.' });
export const Timestamp = Type.String({ format: 'date-time' });
export const Tags = Type.Record(Type.String({ minLength: 1, maxLength: 128 }), Type.String({ maxLength: 256 }), { maxProperties: 50 });

export const StatusTransition = Type.Object({
  status: Type.String(),
  startTime: Timestamp,
  endTime: Type.Optional(Timestamp),
  message: Type.Optional(Type.String()),
});
export type StatusTransition = Static<typeof StatusTransition>;

export const NameParams = Type.Object({ name: Name }, { additionalProperties: false });
export type NameParams = Static<typeof NameParams>;

export const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    nextToken: Type.Optional(Type.String({ maxLength: 8192 })),
    nameContains: Type.Optional(Type.String({ maxLength: 63 })),
  },
  { additionalProperties: false },
);

/** A page of resources: `items` plus an opaque `nextToken` when more exist. */
export const PageOf = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextToken: Type.Optional(Type.String()) });

/** The one error body of the API. */
export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    requestId: Type.Optional(Type.String()),
  }),
});
export type ErrorBody = Static<typeof ErrorBody>;

export const Empty = Type.Object({});
