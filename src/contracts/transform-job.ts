import { Type, type Static } from '@sinclair/typebox';
import { ListQuery, Name, PageOf, StatusTransition, Tags, Timestamp } from './common.js';
import { JobEnvironment } from './training-job.js';

/** A JSONPath subset, as SageMaker's InputFilter/OutputFilter (`$`, `$[1:]`, `$[0,2]`, `$.features`). */
const JsonPathFilter = (description: string) => Type.String({ minLength: 1, maxLength: 63, description });

export const TransformInput = Type.Object(
  {
    dataset: Type.Optional(Name),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'Default: the latest version when the job is created.' })),
    artifactKey: Type.Optional(Type.String({
      minLength: 1,
      maxLength: 1024,
      description: 'Instead of a dataset: the key of one object in the artifact store (e.g. uploads/batch/input.csv). CSV read from it has no header.',
    })),
    contentType: Type.Optional(Type.Union([Type.Literal('text/csv'), Type.Literal('application/jsonlines')], { default: 'text/csv' })),
    splitType: Type.Optional(Type.Union([Type.Literal('Line'), Type.Literal('None')], {
      default: 'Line',
      description: 'Line: one record per non-empty line. None: the whole file is one request.',
    })),
  },
  { additionalProperties: false },
);
export type TransformInput = Static<typeof TransformInput>;

export const DataProcessing = Type.Object(
  {
    inputFilter: Type.Optional(JsonPathFilter('Part of each input record sent to the model, e.g. $[1:] drops the first CSV column.')),
    outputFilter: Type.Optional(JsonPathFilter('Part of each (joined) output record written, e.g. $[0,-1].')),
    joinSource: Type.Optional(Type.Union([Type.Literal('Input'), Type.Literal('None')], {
      default: 'None',
      description: 'Input: each output record is the input record joined with its prediction (CSV: input columns then prediction columns; JSON: SageMakerOutput added to the input object).',
    })),
  },
  { additionalProperties: false },
);
export type DataProcessing = Static<typeof DataProcessing>;

export const TransformOutput = Type.Object(
  {
    assembleWith: Type.Optional(Type.Union([Type.Literal('Line'), Type.Literal('None')], {
      default: 'Line',
      description: 'Line: exactly one output line per input record, in input order. None: the model outputs concatenated.',
    })),
  },
  { additionalProperties: false },
);

export const CreateTransformJobRequest = Type.Object(
  {
    name: Name,
    model: Name,
    input: TransformInput,
    output: Type.Optional(TransformOutput),
    accept: Type.Optional(Type.Union([Type.Literal('text/csv'), Type.Literal('application/jsonlines')], {
      description: "Format of the predictions. Default: the input's content type.",
    })),
    batchStrategy: Type.Optional(Type.Union([Type.Literal('MultiRecord'), Type.Literal('SingleRecord')], { default: 'MultiRecord' })),
    maxPayloadInMB: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 6, description: 'Largest request body sent to the model.' })),
    maxRecordsPerBatch: Type.Optional(Type.Integer({
      minimum: 1,
      description: 'Stratus addition: at most this many records in one MultiRecord mini-batch (default: as many as maxPayloadInMB holds).',
    })),
    maxConcurrentTransforms: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, default: 2, description: 'Requests in flight at once.' })),
    instanceCount: Type.Optional(Type.Integer({ minimum: 1, maximum: 16, default: 1, description: 'Model replicas started for the job.' })),
    dataProcessing: Type.Optional(DataProcessing),
    maxRecordErrors: Type.Optional(Type.Integer({
      minimum: 0,
      default: 0,
      description: 'Bad records (the model answers 400) to skip and count before the job fails. 0: fail on the first. A skipped record gets an empty output line.',
    })),
    environment: Type.Optional(JobEnvironment),
    tags: Type.Optional(Tags),
  },
  { additionalProperties: false },
);
export type CreateTransformJobRequest = Static<typeof CreateTransformJobRequest>;

export const TransformJobStatus = Type.Union([Type.Literal('InProgress'), Type.Literal('Completed'), Type.Literal('Failed'), Type.Literal('Stopping'), Type.Literal('Stopped')]);
export type TransformJobStatus = Static<typeof TransformJobStatus>;

export const FailedRecord = Type.Object({
  file: Type.String({ description: 'Input file name.' }),
  line: Type.Integer({ description: '1-based line number in the input file.' }),
  message: Type.String(),
});
export type FailedRecord = Static<typeof FailedRecord>;

export const TransformProgress = Type.Object({
  recordsTotal: Type.Optional(Type.Integer({ description: 'Known once the input is split.' })),
  recordsProcessed: Type.Integer({ description: 'Records answered so far (skipped bad records included).' }),
  recordsOut: Type.Integer({ description: 'Records with a prediction.' }),
  recordsFailed: Type.Integer(),
  failedRecords: Type.Array(FailedRecord, { description: 'The first 100 bad records.' }),
  requests: Type.Integer({ description: 'Requests sent to the model.' }),
});
export type TransformProgress = Static<typeof TransformProgress>;

export const TransformJob = Type.Object({
  name: Name,
  arn: Type.String(),
  model: Type.String(),
  input: Type.Object({
    dataset: Type.Optional(Type.String()),
    version: Type.Optional(Type.Integer()),
    artifactKey: Type.Optional(Type.String()),
    contentType: Type.String(),
    splitType: Type.String(),
  }),
  output: Type.Object({ assembleWith: Type.String() }),
  accept: Type.String(),
  batchStrategy: Type.String(),
  maxPayloadInMB: Type.Integer(),
  maxRecordsPerBatch: Type.Optional(Type.Integer()),
  maxConcurrentTransforms: Type.Integer(),
  instanceCount: Type.Integer(),
  dataProcessing: Type.Object({ inputFilter: Type.String(), outputFilter: Type.String(), joinSource: Type.String() }),
  maxRecordErrors: Type.Integer(),
  environment: Type.Optional(Type.Record(Type.String(), Type.String())),
  tags: Type.Optional(Tags),
  status: TransformJobStatus,
  secondaryStatus: Type.String(),
  statusHistory: Type.Array(StatusTransition),
  failureReason: Type.Optional(Type.String()),
  progress: TransformProgress,
  outputArtifact: Type.Optional(Type.String({ description: 'URI of transform-jobs/<name>/output/<input file>.out' })),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  startedAt: Type.Optional(Timestamp),
  endedAt: Type.Optional(Timestamp),
  transformTimeSeconds: Type.Optional(Type.Number({ description: 'From the first request to the last answer.' })),
});
export type TransformJob = Static<typeof TransformJob>;

export const TransformJobSummary = Type.Object({
  name: Name,
  arn: Type.String(),
  model: Type.String(),
  status: TransformJobStatus,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  endedAt: Type.Optional(Timestamp),
  failureReason: Type.Optional(Type.String()),
});
export const TransformJobList = PageOf(TransformJobSummary);
export type TransformJobList = Static<typeof TransformJobList>;

export const TransformJobListQuery = Type.Composite([ListQuery, Type.Object({ status: Type.Optional(TransformJobStatus) })], { additionalProperties: false });
export type TransformJobListQuery = Static<typeof TransformJobListQuery>;
