import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { parse as parseYaml } from 'yaml';
import { ListQuery, NameParams } from '../../contracts/common.js';
import {
  ExecutionParams, Pipeline, PipelineDefinition, PipelineExecution, PipelineExecutionList, PipelineExecutionListQuery, PipelineList, PipelineQuery,
  StartPipelineExecutionRequest, UpdatePipelineRequest,
} from '../../contracts/pipeline.js';
import { PlatformError } from '../../core/errors.js';
import type { PipelineService } from '../../pipelines/pipeline-service.js';

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

export const pipelineRoutes: FastifyPluginAsyncTypebox<{ pipelines: PipelineService }> = async (app, { pipelines }) => {
  // Definitions may be sent as YAML too (same document as the JSON); encapsulated to these routes.
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseYaml(body as string) as unknown);
    } catch (e) {
      done(new PlatformError('ValidationError', `the body is not valid YAML: ${(e as Error).message.split('\n')[0]}`), undefined);
    }
  });

  app.post('/pipelines', {
    schema: { summary: 'Create a pipeline (JSON or YAML): parameters, typed steps, schedule and triggers', body: PipelineDefinition, response: { 201: Pipeline } },
  }, async (req, reply) => reply.code(201).send(await pipelines.create(req.body)));

  app.put('/pipelines/:name', {
    schema: { summary: "Add the next version of a pipeline's definition", params: NameParams, body: UpdatePipelineRequest, response: { 200: Pipeline } },
  }, async (req) => pipelines.update(req.params.name, req.body));

  app.get('/pipelines', { schema: { summary: 'List pipelines', querystring: ListQuery, response: { 200: PipelineList } } }, async (req) => pipelines.list(req.query));

  app.get('/pipelines/:name', {
    schema: { summary: 'Describe a pipeline: its latest (or ?version=) definition', params: NameParams, querystring: PipelineQuery, response: { 200: Pipeline } },
  }, async (req) => pipelines.get(req.params.name, req.query.version));

  app.delete('/pipelines/:name', { schema: { summary: 'Delete a pipeline with its versions and executions', params: NameParams } }, async (req, reply) => {
    await pipelines.delete(req.params.name);
    return reply.code(204).send();
  });

  app.post('/pipelines/:name/executions', {
    schema: { summary: 'Start an execution with parameters', params: NameParams, body: StartPipelineExecutionRequest, response: { 201: PipelineExecution } },
  }, async (req, reply) => reply.code(201).send(await pipelines.start(req.params.name, req.body ?? {})));

  app.get('/pipelines/:name/executions', {
    schema: { summary: "List a pipeline's executions", params: NameParams, querystring: PipelineExecutionListQuery, response: { 200: PipelineExecutionList } },
  }, async (req) => pipelines.listExecutions({ ...req.query, pipeline: req.params.name }));

  app.get('/pipeline-executions', {
    schema: { summary: 'List pipeline executions', querystring: PipelineExecutionListQuery, response: { 200: PipelineExecutionList } },
  }, async (req) => pipelines.listExecutions(req.query));

  app.get('/pipeline-executions/:id', {
    schema: { summary: 'Describe an execution: parameters, per-step status, timing, outputs, failure reasons and the resources each step created', params: ExecutionParams, response: { 200: PipelineExecution } },
  }, async (req) => pipelines.getExecution(req.params.id));

  app.get('/pipeline-executions/:id/steps/:step/logs', {
    schema: {
      summary: "A step's log: the logs of the jobs it ran (a processing script, a training job), live while they run",
      params: Type.Object({ id: Type.String({ maxLength: 128 }), step: Type.String({ maxLength: 64 }) }, { additionalProperties: false }),
      produces: ['text/plain'],
    },
  }, async (req, reply) => reply.type('text/plain; charset=utf-8').send(await pipelines.stepLog(req.params.id, req.params.step)));

  app.post('/pipeline-executions/:id/stop', {
    schema: { summary: 'Stop an execution (and the jobs its running steps started)', params: ExecutionParams, response: { 202: PipelineExecution } },
  }, async (req, reply) => reply.code(202).send(await pipelines.stopExecution(req.params.id)));
};
