import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NameParams } from '../../contracts/common.js';
import { CreateEvaluationJobRequest, EvaluationJob, EvaluationJobList, EvaluationJobListQuery, EvaluationReport } from '../../contracts/evaluation-job.js';
import type { EvaluationService } from '../../evaluation/evaluation-service.js';

export const evaluationJobRoutes: FastifyPluginAsyncTypebox<{ evaluations: EvaluationService }> = async (app, { evaluations }) => {
  app.post('/evaluation-jobs', {
    schema: { summary: 'Create an evaluation job: a model (hold-out) or a training spec (hold-out or k-fold) scored on a dataset version', body: CreateEvaluationJobRequest, response: { 201: EvaluationJob } },
  }, async (req, reply) => reply.code(201).send(await evaluations.create(req.body)));

  app.get('/evaluation-jobs', { schema: { summary: 'List evaluation jobs', querystring: EvaluationJobListQuery, response: { 200: EvaluationJobList } } }, async (req) =>
    evaluations.list(req.query),
  );

  app.get('/evaluation-jobs/:name', { schema: { summary: 'Describe an evaluation job, with its summary metrics', params: NameParams, response: { 200: EvaluationJob } } }, async (req) =>
    evaluations.get(req.params.name),
  );

  app.get('/evaluation-jobs/:name/report', { schema: { summary: 'The full report of a Completed evaluation job', params: NameParams, response: { 200: EvaluationReport } } }, async (req) =>
    evaluations.report(req.params.name),
  );

  app.post('/evaluation-jobs/:name/stop', { schema: { summary: 'Stop an evaluation job (and its training jobs)', params: NameParams, response: { 202: EvaluationJob } } }, async (req, reply) =>
    reply.code(202).send(await evaluations.stop(req.params.name)),
  );
};
