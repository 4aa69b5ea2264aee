import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ListQuery, NameParams } from '../../contracts/common.js';
import { CreateEndpointConfigRequest, EndpointConfig, EndpointConfigList } from '../../contracts/endpoint.js';
import { CreateModelRequest, FeatureImportance, FeatureImportanceQuery, ModelExportQuery, Model, ModelList } from '../../contracts/model.js';
import type { ModelService } from '../../serving/model-service.js';

export const modelRoutes: FastifyPluginAsyncTypebox<{ models: ModelService }> = async (app, { models }) => {
  app.post('/models', { schema: { summary: 'Create a model from a completed training job, or from an uploaded artifact: artifactUri + algorithm (built-in), or + runtime onnx, container (your server) or python (inference.py handlers)', body: CreateModelRequest, response: { 201: Model } } }, async (req, reply) =>
    reply.code(201).send(await models.createModel(req.body)),
  );
  app.get('/models', { schema: { summary: 'List models', querystring: ListQuery, response: { 200: ModelList } } }, async (req) => models.listModels(req.query));
  app.get('/models/:name', { schema: { summary: 'Describe a model', params: NameParams, response: { 200: Model } } }, async (req) => models.getModel(req.params.name));
  app.get('/models/:name/feature-importance', {
    schema: {
      summary: "Per-feature importance of a model, most important first (algorithms that have it, e.g. xgboost)",
      params: NameParams,
      querystring: FeatureImportanceQuery,
      response: { 200: FeatureImportance },
    },
  }, async (req) => models.featureImportance(req.params.name, req.query.type));
  app.get('/models/:name/export', {
    schema: {
      summary: 'Download the model in a portable format (xgboost: onnx, xgboost-json)',
      params: NameParams,
      querystring: ModelExportQuery,
      produces: ['application/octet-stream', 'application/json'],
    },
  }, async (req, reply) => {
    const out = await models.exportModel(req.params.name, req.query.format);
    return reply.type(out.contentType).header('content-disposition', `attachment; filename="${out.fileName}"`).send(Buffer.from(out.body));
  });
  app.delete('/models/:name', { schema: { summary: 'Delete a model', params: NameParams, response: { 204: Type.Null() } } }, async (req, reply) => {
    await models.deleteModel(req.params.name);
    return reply.code(204).send(null);
  });

  app.post('/endpoint-configs', {
    schema: { summary: 'Create an endpoint config (production variants)', body: CreateEndpointConfigRequest, response: { 201: EndpointConfig } },
  }, async (req, reply) => reply.code(201).send(await models.createConfig(req.body)));
  app.get('/endpoint-configs', { schema: { summary: 'List endpoint configs', querystring: ListQuery, response: { 200: EndpointConfigList } } }, async (req) =>
    models.listConfigs(req.query),
  );
  app.get('/endpoint-configs/:name', { schema: { summary: 'Describe an endpoint config', params: NameParams, response: { 200: EndpointConfig } } }, async (req) =>
    models.getConfig(req.params.name),
  );
  app.delete('/endpoint-configs/:name', { schema: { summary: 'Delete an endpoint config', params: NameParams, response: { 204: Type.Null() } } }, async (req, reply) => {
    await models.deleteConfig(req.params.name);
    return reply.code(204).send(null);
  });
};
