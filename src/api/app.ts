import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { newRequestId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { Platform } from '../platform.js';
import { InvocationFastPath, serverWithFastPath } from './invocation-fast-path.js';
import { registerAuth } from './plugins/auth.js';
import { registerErrorHandling } from './plugins/errors.js';
import { CONTROL_PLANE_PATH, sagemakerRoutes } from './sagemaker/plugin.js';
import { accessKeyRoutes } from './routes/access-keys.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { consoleRoutes } from './routes/console.js';
import { artifactRoutes } from './routes/artifacts.js';
import { clusterRoutes } from './routes/cluster.js';
import { datasetRoutes } from './routes/datasets.js';
import { endpointMetricsRoutes, prometheusRoutes } from './routes/endpoint-metrics.js';
import { endpointRoutes } from './routes/endpoints.js';
import { endpointScalingRoutes } from './routes/endpoint-scaling.js';
import { evaluationJobRoutes } from './routes/evaluation-jobs.js';
import { monitoringRoutes } from './routes/monitoring.js';
import { experimentRoutes } from './routes/experiments.js';
import { invocationRoutes } from './routes/invocations.js';
import { modelRegistryRoutes } from './routes/model-registry.js';
import { modelRoutes } from './routes/models.js';
import { pipelineRoutes } from './routes/pipelines.js';
import { retrainingRoutes } from './routes/retraining.js';
import { onlineEvaluationRoutes } from './routes/online-evaluations.js';
import { trainingJobRoutes } from './routes/training-jobs.js';
import { transformJobRoutes } from './routes/transform-jobs.js';

/** Builds the HTTP app over a platform: REST under /api/v1, inference under /endpoints, docs at /api/docs. */
export async function buildApp(platform: Platform, log: Logger): Promise<FastifyInstance> {
  const { endpoints, auth, accessKeys, config } = platform;
  const fastPath = new InvocationFastPath({ endpoints, auth, accessKeys, bodyLimit: config.maxInvocationBytes, log });
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // Per-request log lines would cost more than an inference; errors are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => newRequestId(),
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, useDefaults: true } },
    // The SageMaker control plane is any POST with X-Amz-Target, at whatever base path the SDK's
    // endpoint URL has; SigV4 is checked against the URL as received (request.originalUrl).
    rewriteUrl: (req) => (req.method === 'POST' && req.headers['x-amz-target'] !== undefined ? CONTROL_PLANE_PATH : (req.url ?? '/')),
    // Invocations are answered on the raw server before Fastify routes them (invocation-fast-path.ts).
    serverFactory: (handler, opts) => serverWithFastPath(fastPath, handler, opts),
  });
  app.addHook('preClose', (done) => {
    fastPath.close();
    done();
  });

  registerErrorHandling(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Stratus API', version: '1', description: 'Datasets, training jobs, models and endpoints.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });
  registerAuth(app, platform.auth, platform.accessKeys, { publicPaths: platform.config.metricsPublic ? [/^\/metrics$/] : [] });

  app.get('/health', { schema: { hide: true } }, async (_req, reply) => {
    if (!platform.ready) return reply.code(503).send({ status: 'starting' });
    return { status: 'ok', node: platform.cluster.id, leader: platform.cluster.leader };
  });

  await app.register(
    async (v1) => {
      await v1.register(datasetRoutes, { datasets: platform.datasets });
      await v1.register(artifactRoutes, { artifacts: platform.artifactService });
      await v1.register(trainingJobRoutes, { training: platform.training, models: platform.models });
      await v1.register(experimentRoutes, { experiments: platform.experiments });
      await v1.register(modelRoutes, { models: platform.models });
      await v1.register(endpointRoutes, { endpoints: platform.endpoints });
      await v1.register(endpointScalingRoutes, { autoscaler: platform.autoscaler });
      await v1.register(endpointMetricsRoutes, { endpoints: platform.endpoints });
      await v1.register(transformJobRoutes, { transforms: platform.transforms });
      await v1.register(evaluationJobRoutes, { evaluations: platform.evaluations });
      await v1.register(monitoringRoutes, { monitoring: platform.monitoring });
      await v1.register(modelRegistryRoutes, { registry: platform.registry });
      await v1.register(pipelineRoutes, { pipelines: platform.pipelines });
      await v1.register(retrainingRoutes, { retraining: platform.retraining });
      await v1.register(onlineEvaluationRoutes, { online: platform.onlineEvaluations });
      await v1.register(apiKeyRoutes, { auth: platform.auth });
      await v1.register(accessKeyRoutes, { accessKeys: platform.accessKeys });
      await v1.register(clusterRoutes, { cluster: platform.cluster, config: platform.config });
      await v1.register(invocationRoutes, { endpoints: platform.endpoints, bodyLimit: platform.config.maxInvocationBytes });
    },
    { prefix: '/api/v1' },
  );
  await app.register(invocationRoutes, { endpoints: platform.endpoints, bodyLimit: platform.config.maxInvocationBytes });
  await app.register(prometheusRoutes, { endpoints: platform.endpoints, ...(platform.cluster.clustered ? { node: platform.cluster } : {}) });
  // SageMaker requests are small JSON documents; 6 MiB is the runtime's own limit.
  await app.register(sagemakerRoutes, { platform, bodyLimit: 6 * 1024 * 1024 });
  await app.register(consoleRoutes);
  return app;
}
