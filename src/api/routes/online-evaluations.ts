import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { NameParams } from '../../contracts/common.js';
import {
  CreateOnlineEvaluationRequest, OnlineEvaluation, OnlineEvaluationGroundTruth, OnlineEvaluationReport, PromoteOnlineEvaluationRequest,
} from '../../contracts/online-evaluation.js';
import type { OnlineEvaluationService } from '../../monitoring/online-evaluation.js';

/** Online evaluations of a candidate variant against production (issue 7, item 7). */
export const onlineEvaluationRoutes: FastifyPluginAsyncTypebox<{ online: OnlineEvaluationService }> = async (app, { online }) => {
  app.post('/online-evaluations', {
    schema: { summary: 'Start comparing a shadow or weighted variant with production over live traffic; with decision.automatic, promote it or keep the baseline when the period ends', body: CreateOnlineEvaluationRequest, response: { 201: OnlineEvaluation } },
  }, async (req, reply) => reply.code(201).send(await online.create(req.body)));
  app.get('/online-evaluations', { schema: { summary: 'Online evaluations', response: { 200: Type.Object({ items: Type.Array(OnlineEvaluation) }) } } }, async () => online.list());
  app.get('/online-evaluations/:name', { schema: { summary: 'An online evaluation', params: NameParams, response: { 200: OnlineEvaluation } } }, async (req) => online.get(req.params.name));
  app.delete('/online-evaluations/:name', { schema: { summary: 'Delete an online evaluation and its labels', params: NameParams, response: { 204: Type.Null() } } }, async (req, reply) => {
    await online.delete(req.params.name);
    return reply.code(204).send(null);
  });
  app.post('/online-evaluations/:name/ground-truth', {
    schema: { summary: 'Upload labels by inference id', params: NameParams, body: OnlineEvaluationGroundTruth, response: { 201: Type.Object({ accepted: Type.Integer() }) } },
  }, async (req, reply) => reply.code(201).send(await online.putGroundTruth(req.params.name, req.body)));
  app.get('/online-evaluations/:name/report', {
    schema: { summary: "Both variants' metrics side by side, with a test: two-proportion z on accuracy (classification), bootstrap of MAE (regression)", params: NameParams, response: { 200: OnlineEvaluationReport } },
  }, async (req) => online.report(req.params.name));
  app.post('/online-evaluations/:name/promote', {
    schema: {
      summary: "Make the candidate the endpoint's only production variant (blue/green, with the deployment policy) when significantly better, or when forced",
      params: NameParams, body: Type.Optional(PromoteOnlineEvaluationRequest), response: { 202: OnlineEvaluation },
    },
  }, async (req, reply) => reply.code(202).send(await online.promote(req.params.name, req.body ?? {})));
};
