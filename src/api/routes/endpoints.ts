import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { NameParams } from '../../contracts/common.js';
import { CreateEndpointRequest, Endpoint, EndpointList, EndpointListQuery, UpdateEndpointRequest, UpdateWeightsRequest } from '../../contracts/endpoint.js';
import type { EndpointService } from '../../serving/endpoint-service.js';

export const endpointRoutes: FastifyPluginAsyncTypebox<{ endpoints: EndpointService }> = async (app, { endpoints }) => {
  app.post('/endpoints', { schema: { summary: 'Create an endpoint from an endpoint config', body: CreateEndpointRequest, response: { 201: Endpoint } } }, async (req, reply) =>
    reply.code(201).send(await endpoints.create(req.body)),
  );
  app.get('/endpoints', { schema: { summary: 'List endpoints', querystring: EndpointListQuery, response: { 200: EndpointList } } }, async (req) => endpoints.list(req.query));
  app.get('/endpoints/:name', { schema: { summary: 'Describe an endpoint', params: NameParams, response: { 200: Endpoint } } }, async (req) => endpoints.get(req.params.name));
  app.put('/endpoints/:name', {
    schema: {
      summary: 'Move an endpoint to another config (blue/green with all-at-once, canary or linear traffic shifting and alarm rollback; no dropped requests)',
      params: NameParams, body: UpdateEndpointRequest, response: { 200: Endpoint },
    },
  }, async (req) => endpoints.update(req.params.name, req.body.config, req.body.deployment));
  app.post('/endpoints/:name/weights', {
    schema: { summary: 'Change variant weights and instance counts', params: NameParams, body: UpdateWeightsRequest, response: { 200: Endpoint } },
  }, async (req) => endpoints.updateWeights(req.params.name, req.body));
  app.delete('/endpoints/:name', { schema: { summary: 'Delete an endpoint', params: NameParams, response: { 204: Type.Null() } } }, async (req, reply) => {
    await endpoints.delete(req.params.name);
    return reply.code(204).send(null);
  });
};
