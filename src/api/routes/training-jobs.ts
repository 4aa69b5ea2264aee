import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NameParams } from '../../contracts/common.js';
import {
  AlgorithmList, CreateTrainingJobRequest, LogMetricsRequest, LogMetricsResult, LogParamsRequest, LogParamsResult, LogsQuery, MetricSeries, MetricsQuery,
  TrainingJob, TrainingJobList, TrainingJobListQuery,
} from '../../contracts/training-job.js';
import { checkRawMetricValues } from '../../training/run-logging.js';
import { FeatureImportance, FeatureImportanceQuery } from '../../contracts/model.js';
import { BUILTIN_ALGORITHMS } from '../../algorithms/registry.js';
import type { ModelService } from '../../serving/model-service.js';
import type { TrainingService } from '../../training/training-service.js';
import { streamLog } from './log-stream.js';

export const trainingJobRoutes: FastifyPluginAsyncTypebox<{ training: TrainingService; models: ModelService }> = async (app, { training, models }) => {
  app.get('/algorithms', { schema: { summary: 'Built-in algorithms and their hyperparameters', response: { 200: AlgorithmList } } }, async () => ({
    items: Object.values(BUILTIN_ALGORITHMS).map((a) => ({
      name: a.name,
      description: a.description,
      hyperparameters: [...a.hyperparameters],
      metricDefinitions: [...a.metricDefinitions],
      channels: { required: [...a.channels.required], optional: [...a.channels.optional] },
    })),
  }));

  app.post('/training-jobs', { schema: { summary: 'Create a training job', body: CreateTrainingJobRequest, response: { 201: TrainingJob } } }, async (req, reply) =>
    reply.code(201).send(await training.create(req.body)),
  );

  app.get('/training-jobs', { schema: { summary: 'List training jobs', querystring: TrainingJobListQuery, response: { 200: TrainingJobList } } }, async (req) =>
    training.list(req.query),
  );

  app.get('/training-jobs/:name', { schema: { summary: 'Describe a training job', params: NameParams, response: { 200: TrainingJob } } }, async (req) =>
    training.get(req.params.name),
  );

  app.post('/training-jobs/:name/stop', { schema: { summary: 'Stop a training job', params: NameParams, response: { 202: TrainingJob } } }, async (req, reply) =>
    reply.code(202).send(await training.stop(req.params.name)),
  );

  app.get('/training-jobs/:name/metrics', {
    schema: { summary: 'Metric time series of a training job', params: NameParams, querystring: MetricsQuery, response: { 200: MetricSeries } },
  }, async (req) => training.metrics(req.params.name, req.query.name));

  app.post('/training-jobs/:name/metrics', {
    schema: {
      summary: "Log metric points of a running job (its own STRATUS_JOB_TOKEN may); they join the job's metric series",
      params: NameParams,
      body: LogMetricsRequest,
      response: { 201: LogMetricsResult },
    },
    preValidation: async (req) => checkRawMetricValues(req.body),
  }, async (req, reply) => reply.code(201).send(await training.logMetrics(req.params.name, req.body)));

  app.post('/training-jobs/:name/params', {
    schema: {
      summary: 'Log params of a running job, beside its hyperparameters (its own STRATUS_JOB_TOKEN may)',
      params: NameParams,
      body: LogParamsRequest,
      response: { 201: LogParamsResult },
    },
  }, async (req, reply) => reply.code(201).send(await training.logParams(req.params.name, req.body)));

  app.get('/training-jobs/:name/feature-importance', {
    schema: {
      summary: "Per-feature importance of a Completed job's model, most important first",
      params: NameParams,
      querystring: FeatureImportanceQuery,
      response: { 200: FeatureImportance },
    },
  }, async (req) => models.trainingJobFeatureImportance(req.params.name, req.query.type));

  app.get('/training-jobs/:name/logs', {
    schema: {
      summary: 'Logs of a training job; with follow=true a server-sent event stream until the job ends',
      params: NameParams,
      querystring: LogsQuery,
      produces: ['text/plain', 'text/event-stream'],
    },
  }, async (req, reply) => {
    if (!req.query.follow) return reply.type('text/plain; charset=utf-8').send(await training.readLog(req.params.name));
    await streamLog(req, reply, training, req.params.name);
    return reply;
  });
};
