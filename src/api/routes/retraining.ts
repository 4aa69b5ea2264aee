import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { NameParams } from '../../contracts/common.js';
import { PipelineExecution } from '../../contracts/pipeline.js';
import {
  EndpointTimeline, RetrainingPolicy, RetrainingPolicyList, RetrainingPolicyListQuery, RetrainingPolicyRequest, RunRetrainingRequest,
} from '../../contracts/retraining.js';
import type { RetrainingService } from '../../pipelines/retraining-service.js';

/** The loop (issue 7, item 5): an endpoint's retraining policy, and its timeline. */
export const retrainingRoutes: FastifyPluginAsyncTypebox<{ retraining: RetrainingService }> = async (app, { retraining }) => {
  app.put('/endpoints/:name/retraining-policy', {
    schema: {
      summary: "Set the endpoint's retraining policy: a pipeline run on a monitoring alarm and/or a cron, given `endpoint` and `productionModel`",
      params: NameParams, body: RetrainingPolicyRequest, response: { 200: RetrainingPolicy },
    },
  }, async (req) => retraining.put(req.params.name, req.body));
  app.get('/retraining-policies', {
    schema: {
      summary: "List the endpoints' retraining policies; `?endpoint=` answers that endpoint's policy, or an empty list when it has none",
      querystring: RetrainingPolicyListQuery, response: { 200: RetrainingPolicyList },
    },
  }, async (req) => retraining.list(req.query));
  app.get('/endpoints/:name/retraining-policy', {
    schema: { summary: "The endpoint's retraining policy", params: NameParams, response: { 200: RetrainingPolicy } },
  }, async (req) => retraining.get(req.params.name));
  app.delete('/endpoints/:name/retraining-policy', {
    schema: { summary: "Remove the endpoint's retraining policy", params: NameParams, response: { 204: Type.Null() } },
  }, async (req, reply) => {
    await retraining.delete(req.params.name);
    return reply.code(204).send(null);
  });
  app.post('/endpoints/:name/retraining-policy/run', {
    schema: { summary: "Run the policy's pipeline now (parameters over the policy's)", params: NameParams, body: Type.Optional(RunRetrainingRequest), response: { 201: PipelineExecution } },
  }, async (req, reply) => reply.code(201).send(await retraining.run(req.params.name, req.body?.parameters ?? {})));
  app.get('/endpoints/:name/timeline', {
    schema: {
      summary: 'One timeline: status history, monitoring alarms, retraining executions and registry events, oldest first',
      params: NameParams, response: { 200: EndpointTimeline },
    },
  }, async (req) => retraining.timeline(req.params.name));
};
