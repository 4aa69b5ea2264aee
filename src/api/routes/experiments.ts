import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  CompareRunsQuery, Experiment, ExperimentList, ExperimentListQuery, ExperimentParams, RunComparison, RunList, RunListQuery,
} from '../../contracts/experiment.js';
import type { ExperimentService } from '../../experiments/experiment-service.js';

/** Experiments and their runs (every training job is a run); metric history is `GET /training-jobs/:name/metrics`. */
export const experimentRoutes: FastifyPluginAsyncTypebox<{ experiments: ExperimentService }> = async (app, { experiments }) => {
  app.get('/experiments', {
    schema: { summary: 'List experiments by name, with run counts and last activity', querystring: ExperimentListQuery, response: { 200: ExperimentList } },
  }, async (req) => experiments.list(req.query));

  app.get('/experiments/:name', {
    schema: { summary: 'Describe an experiment', params: ExperimentParams, response: { 200: Experiment } },
  }, async (req) => experiments.get(req.params.name));

  app.get('/experiments/:name/runs', {
    schema: {
      summary: "An experiment's runs: params, final metrics, tags, inputs, models; sorted by a metric, a param, createdAt or name",
      params: ExperimentParams,
      querystring: RunListQuery,
      response: { 200: RunList },
    },
  }, async (req) => experiments.runs(req.params.name, req.query));

  app.get('/experiments/:name/compare', {
    schema: {
      summary: 'Params and final metrics of some runs side by side, with the ones that differ flagged',
      params: ExperimentParams,
      querystring: CompareRunsQuery,
      response: { 200: RunComparison },
    },
  }, async (req) => experiments.compare(req.params.name, req.query.runs.split(',')));
};
