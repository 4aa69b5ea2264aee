import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { NameParams } from '../../contracts/common.js';
import { ScalingEventList, ScalingEventQuery, ScalingPolicy, ScalingPolicyList, ScalingPolicyRequest, VariantParams } from '../../contracts/deployment.js';
import type { Autoscaler } from '../../serving/autoscaler.js';

/** Autoscaling of endpoint variants: target-tracking policies and the log of scaling decisions. */
export const endpointScalingRoutes: FastifyPluginAsyncTypebox<{ autoscaler: Autoscaler }> = async (app, { autoscaler }) => {
  app.put('/endpoints/:name/variants/:variant/scaling', {
    schema: {
      summary: "Set a variant's autoscaling policy (target invocations per instance per minute, min/max instances, cooldowns)",
      params: VariantParams, body: ScalingPolicyRequest, response: { 200: ScalingPolicy },
    },
  }, async (req) => autoscaler.putPolicy(req.params.name, req.params.variant, req.body));
  app.get('/endpoints/:name/scaling', {
    schema: { summary: "The endpoint's autoscaling policies", params: NameParams, response: { 200: ScalingPolicyList } },
  }, async (req) => autoscaler.policies(req.params.name));
  app.delete('/endpoints/:name/variants/:variant/scaling', {
    schema: { summary: "Remove a variant's autoscaling policy (its instance count stays where it is)", params: VariantParams, response: { 204: Type.Null() } },
  }, async (req, reply) => {
    await autoscaler.deletePolicy(req.params.name, req.params.variant);
    return reply.code(204).send(null);
  });
  app.get('/endpoints/:name/scaling-events', {
    schema: { summary: 'Autoscaling decisions, newest first', params: NameParams, querystring: ScalingEventQuery, response: { 200: ScalingEventList } },
  }, async (req) => autoscaler.events(req.params.name, req.query));
};
