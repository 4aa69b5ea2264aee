import { Type, type Static } from '@sinclair/typebox';
import { ListQuery, Name, PageOf, Tags, Timestamp } from './common.js';

export const CreateModelRequest = Type.Object(
  {
    name: Name,
    /** A Completed training job whose model artifact to serve. */
    trainingJob: Type.Optional(Name),
    /** Or a model artifact URI in the artifact store (a model.tar.gz) plus the algorithm that reads it. */
    artifactUri: Type.Optional(Type.String({ maxLength: 2048 })),
    algorithm: Type.Optional(Type.String()),
    tags: Type.Optional(Tags),
  },
  { additionalProperties: false },
);
export type CreateModelRequest = Static<typeof CreateModelRequest>;

export const Model = Type.Object({
  name: Name,
  arn: Type.String(),
  algorithm: Type.String(),
  artifactUri: Type.String(),
  trainingJob: Type.Optional(Type.String()),
  tags: Type.Optional(Tags),
  createdAt: Timestamp,
});
export type Model = Static<typeof Model>;
export const ModelList = PageOf(Model);
export type ModelList = Static<typeof ModelList>;
export const ModelListQuery = ListQuery;
