import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { INVOKED_VARIANT_HEADER, TARGET_VARIANT_HEADER } from '../../contracts/endpoint.js';
import { NameParams } from '../../contracts/common.js';
import { INFERENCE_ID_HEADER } from '../../contracts/endpoint-metrics.js';
import type { EndpointService } from '../../serving/endpoint-service.js';
import { checkRuntimeHeaders, runtimeError } from '../sagemaker/runtime.js';

/**
 * The inference path (SageMaker runtime's `POST /endpoints/{name}/invocations`). Bodies of any
 * type arrive as bytes; the replica decides what it accepts (415 otherwise).
 */
export const invocationRoutes: FastifyPluginAsyncTypebox<{ endpoints: EndpointService; bodyLimit: number }> = async (app, { endpoints, bodyLimit }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));

  app.post('/endpoints/:name/invocations', {
    bodyLimit,
    schema: {
      summary: "Get predictions from an endpoint (built-in and ONNX models: text/csv, application/json, application/jsonlines; your inference code: whatever it accepts)",
      params: NameParams,
      headers: Type.Object({
        [TARGET_VARIANT_HEADER]: Type.Optional(Type.String({ maxLength: 63 })),
        /** Kept as `eventMetadata.inferenceId` in captured records (SageMaker's InferenceId: 1–64 characters). */
        [INFERENCE_ID_HEADER]: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
      }),
    },
  }, async (req, reply) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    // reply.elapsedTime counts from the request's arrival: the overhead latency starts there.
    const startedAt = performance.now() - reply.elapsedTime;
    const invoke = () => endpoints.invoke(
      req.params.name,
      { body, contentType: req.headers['content-type'], accept: req.headers.accept },
      req.headers[TARGET_VARIANT_HEADER] as string | undefined,
      { startedAt, inferenceId: req.headers[INFERENCE_ID_HEADER] as string | undefined },
    );
    let result: Awaited<ReturnType<typeof invoke>>;
    if (req.awsProtocol === 'rest-json') {
      // Signed by the SageMaker runtime client: its headers and error shapes (docs/sagemaker-compatibility.md).
      checkRuntimeHeaders(req.headers);
      result = await invoke().catch((e: unknown) => Promise.reject(runtimeError(e, req.params.name)));
    } else {
      result = await invoke();
    }
    return reply.header(INVOKED_VARIANT_HEADER, result.variant).type(result.contentType).send(result.body);
  });
};
