import { Type, type Static } from '@sinclair/typebox';
import { PageOf, Timestamp } from './common.js';

/** Where users may write in the artifact store; everything else (job outputs, datasets) is read-only. */
export const UPLOADS_PREFIX = 'uploads/';
/** Longest path accepted under `uploads/` (the store's keys go to 1024 characters). */
export const MAX_UPLOAD_PATH_LENGTH = 1000;

/** One object of the artifact store. */
export const Artifact = Type.Object({
  /** Relative POSIX key inside the store, e.g. `uploads/models/model.tar.gz`. */
  key: Type.String(),
  /** Full URI, as `POST /api/v1/models` takes it in `artifactUri`. */
  uri: Type.String(),
  sizeBytes: Type.Integer({ minimum: 0 }),
  modifiedAt: Timestamp,
});
export type Artifact = Static<typeof Artifact>;

export const ArtifactList = PageOf(Artifact);
export type ArtifactList = Static<typeof ArtifactList>;

export const ArtifactListQuery = Type.Object(
  {
    /** Only keys starting with this string (`uploads/`, `training-jobs/bc-1/`, `uploads/mod`). */
    prefix: Type.Optional(Type.String({ maxLength: 1024 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    nextToken: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  { additionalProperties: false },
);
export type ArtifactListQuery = Static<typeof ArtifactListQuery>;

/** The rest of the URL after `/artifacts/` or `/artifacts/uploads/`: a key or an upload path. */
export const ArtifactPathParams = Type.Object({ '*': Type.String({ maxLength: 2048 }) });
export type ArtifactPathParams = Static<typeof ArtifactPathParams>;
