import { Type, type Static } from '@sinclair/typebox';
import { ListQuery, Name, PageOf, Timestamp } from './common.js';

export const DatasetFormat = Type.Union([Type.Literal('csv'), Type.Literal('parquet'), Type.Literal('jsonl')]);
export type DatasetFormat = Static<typeof DatasetFormat>;

export const Histogram = Type.Object({ binEdges: Type.Array(Type.Number()), counts: Type.Array(Type.Integer()) });

export const DatasetColumn = Type.Object({
  name: Type.String(),
  type: Type.String({ description: 'integer | float | string | boolean | date | timestamp' }),
  count: Type.Integer(),
  nullCount: Type.Integer(),
  distinctCount: Type.Optional(Type.Integer()),
  min: Type.Optional(Type.Union([Type.Number(), Type.String(), Type.Null()])),
  max: Type.Optional(Type.Union([Type.Number(), Type.String(), Type.Null()])),
  mean: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  std: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  quantiles: Type.Optional(Type.Record(Type.String(), Type.Union([Type.Number(), Type.Null()]))),
  histogram: Type.Optional(Histogram),
  topValues: Type.Optional(Type.Array(Type.Object({ value: Type.String(), count: Type.Integer() }))),
});
export type DatasetColumn = Static<typeof DatasetColumn>;

export const DatasetVersion = Type.Object({
  dataset: Name,
  version: Type.Integer({ minimum: 1 }),
  uri: Type.String(),
  s3Uri: Type.String({
    description: "The version's file as the SageMaker-compatible API names it (s3://stratus/<artifact key>): give it as S3Uri of a training channel or transform input.",
  }),
  format: DatasetFormat,
  sizeBytes: Type.Integer(),
  header: Type.Boolean(),
  rows: Type.Integer(),
  columns: Type.Array(DatasetColumn),
  createdAt: Timestamp,
});
export type DatasetVersion = Static<typeof DatasetVersion>;

export const Dataset = Type.Object({
  name: Name,
  arn: Type.String(),
  latestVersion: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  /** The latest version, described (rows, columns, statistics). */
  latest: Type.Optional(DatasetVersion),
  versions: Type.Optional(Type.Array(Type.Omit(DatasetVersion, ['columns']))),
});
export type Dataset = Static<typeof Dataset>;

export const DatasetList = PageOf(Type.Omit(Dataset, ['latest', 'versions']));
export type DatasetList = Static<typeof DatasetList>;

/** Query of an upload: the body is the raw file. */
export const UploadDatasetQuery = Type.Object(
  {
    format: Type.Optional(DatasetFormat),
    header: Type.Optional(Type.Union([Type.Boolean(), Type.Literal('auto')], { default: 'auto' })),
  },
  { additionalProperties: false },
);
export type UploadDatasetQuery = Static<typeof UploadDatasetQuery>;

export const DatasetVersionParams = Type.Object({ name: Name, version: Type.Integer({ minimum: 1 }) });
export const DatasetListQuery = ListQuery;
