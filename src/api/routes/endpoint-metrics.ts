import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { NameParams } from '../../contracts/common.js';
import { EndpointMetrics, EndpointMetricsQuery, ShadowComparisonReport } from '../../contracts/endpoint-metrics.js';
import { withNodeLabel } from '../../serving/endpoint-metrics.js';
import type { EndpointService } from '../../serving/endpoint-service.js';

/** Per-variant time series and the shadow comparison of an endpoint (under /api/v1). */
export const endpointMetricsRoutes: FastifyPluginAsyncTypebox<{ endpoints: EndpointService }> = async (app, { endpoints }) => {
  app.get('/endpoints/:name/metrics', {
    schema: { summary: 'Invocations, errors and latency percentiles per variant over time', params: NameParams, querystring: EndpointMetricsQuery, response: { 200: EndpointMetrics } },
  }, async (req) => endpoints.metricsOf(req.params.name, req.query.period ?? 60, req.query.window ?? 3600));
  app.get('/endpoints/:name/shadow-comparison', {
    schema: { summary: "How shadow variants' predictions, latency and errors compare with production", params: NameParams, response: { 200: ShadowComparisonReport } },
  }, async (req) => endpoints.shadowComparison(req.params.name));
};

/**
 * Prometheus text exposition at `GET /metrics` (root, not versioned). Needs an admin or reader
 * token unless the server runs with `metricsPublic` (STRATUS_METRICS_PUBLIC=true). With several
 * API nodes (`node` given) the counts are this node's, each sample labelled `node="<id>"`.
 */
export const prometheusRoutes: FastifyPluginAsyncTypebox<{ endpoints: EndpointService; node?: { readonly id: string } }> = async (app, { endpoints, node }) => {
  app.get('/metrics', {
    schema: { summary: 'Prometheus metrics (text exposition format 0.0.4)', response: { 200: Type.String() } },
  }, async (_req, reply) => {
    const text = endpoints.prometheusText();
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(node ? withNodeLabel(text, node.id) : text);
  });
};
