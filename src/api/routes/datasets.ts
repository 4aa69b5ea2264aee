import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { NameParams } from '../../contracts/common.js';
import { Dataset, DatasetList, DatasetListQuery, DatasetVersion, DatasetVersionParams, UploadDatasetQuery } from '../../contracts/dataset.js';
import type { DatasetService } from '../../data/dataset-service.js';

const UPLOAD_TYPES = ['text/csv', 'application/octet-stream', 'application/x-parquet', 'application/vnd.apache.parquet', 'application/jsonlines', 'application/x-ndjson'];

/** Datasets: the upload body is the raw file, streamed to the artifact store. */
export const datasetRoutes: FastifyPluginAsyncTypebox<{ datasets: DatasetService }> = async (app, { datasets }) => {
  app.addContentTypeParser(UPLOAD_TYPES, (_req, payload, done) => done(null, payload));

  app.post('/datasets/:name', {
    schema: {
      summary: 'Upload a file as the next version of a dataset',
      params: NameParams,
      querystring: UploadDatasetQuery,
      consumes: UPLOAD_TYPES,
      response: { 201: DatasetVersion },
    },
  }, async (req, reply) => {
    const version = await datasets.upload(req.params.name, req.body as Readable, {
      format: req.query.format,
      header: req.query.header,
      contentType: req.headers['content-type'],
    });
    return reply.code(201).send(version);
  });

  app.get('/datasets', { schema: { summary: 'List datasets', querystring: DatasetListQuery, response: { 200: DatasetList } } }, async (req) =>
    datasets.list(req.query),
  );

  app.get('/datasets/:name', { schema: { summary: 'Describe a dataset', params: NameParams, response: { 200: Dataset } } }, async (req) =>
    datasets.get(req.params.name),
  );

  app.get('/datasets/:name/versions/:version', {
    schema: { summary: 'Describe one version of a dataset', params: DatasetVersionParams, response: { 200: DatasetVersion } },
  }, async (req) => datasets.describeVersion(req.params.name, req.params.version));

  app.delete('/datasets/:name', { schema: { summary: 'Delete a dataset and all its versions', params: NameParams, response: { 204: Type.Null() } } }, async (req, reply) => {
    await datasets.delete(req.params.name);
    return reply.code(204).send(null);
  });
};
