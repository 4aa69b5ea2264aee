import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NameParams } from '../../contracts/common.js';
import { CreateTransformJobRequest, TransformJob, TransformJobList, TransformJobListQuery } from '../../contracts/transform-job.js';
import type { TransformService } from '../../transform/transform-service.js';

export const transformJobRoutes: FastifyPluginAsyncTypebox<{ transforms: TransformService }> = async (app, { transforms }) => {
  app.post('/transform-jobs', {
    schema: { summary: 'Create a batch transform job: a model over a dataset version', body: CreateTransformJobRequest, response: { 201: TransformJob } },
  }, async (req, reply) => reply.code(201).send(await transforms.create(req.body)));

  app.get('/transform-jobs', { schema: { summary: 'List transform jobs', querystring: TransformJobListQuery, response: { 200: TransformJobList } } }, async (req) =>
    transforms.list(req.query),
  );

  app.get('/transform-jobs/:name', { schema: { summary: 'Describe a transform job, with its progress', params: NameParams, response: { 200: TransformJob } } }, async (req) =>
    transforms.get(req.params.name),
  );

  app.post('/transform-jobs/:name/stop', { schema: { summary: 'Stop a transform job', params: NameParams, response: { 202: TransformJob } } }, async (req, reply) =>
    reply.code(202).send(await transforms.stop(req.params.name)),
  );
};
