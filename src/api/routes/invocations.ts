import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { INVOKED_VARIANT_HEADER, TARGET_VARIANT_HEADER } from '../../contracts/endpoint.js';
import { NameParams } from '../../contracts/common.js';
import { INFERENCE_ID_HEADER } from '../../contracts/endpoint-metrics.js';
import type { EndpointService } from '../../serving/endpoint-service.js';
import type { AwsProtocol } from '../sagemaker/errors.js';
import { checkRuntimeHeaders, runtimeError } from '../sagemaker/runtime.js';

/** The invocation headers Stratus reads, with the limits SageMaker sets on them. */
export const InvocationHeaders = Type.Object({
  [TARGET_VARIANT_HEADER]: Type.Optional(Type.String({ maxLength: 63 })),
  /** Kept as `eventMetadata.inferenceId` in captured records (SageMaker's InferenceId: 1–64 characters). */
  [INFERENCE_ID_HEADER]: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
});

/**
 * One invocation, whichever way it arrived (this route, or the fast path in
 * api/invocation-fast-path.ts): the endpoint's answer and the variant that gave it. On the
 * SageMaker runtime path (`protocol` 'rest-json') unsupported headers are refused and errors
 * take the runtime's shapes (ModelError…).
 * @param startedAt `performance.now()` at the request's arrival: the overhead latency starts there.
 */
export function answerInvocation(endpoints: EndpointService, name: string, body: Buffer, headers: IncomingHttpHeaders, protocol: AwsProtocol | undefined, startedAt: number) {
  const req = { body, contentType: headers['content-type'], accept: headers.accept };
  const target = headers[TARGET_VARIANT_HEADER] as string | undefined;
  const opts = { startedAt, inferenceId: headers[INFERENCE_ID_HEADER] as string | undefined };
  // Not async: the endpoint's own promise goes back, with no extra await on the hot path.
  if (protocol !== 'rest-json') return endpoints.invoke(name, req, target, opts);
  // Signed by the SageMaker runtime client: its headers and error shapes (docs/sagemaker-compatibility.md).
  try {
    checkRuntimeHeaders(headers);
  } catch (e) {
    return Promise.reject(e);
  }
  return endpoints.invoke(name, req, target, opts).catch((e: unknown) => Promise.reject(runtimeError(e, name)));
}

const withCharset = new Map<string, string>();

/**
 * The Content-Type an answer leaves with: the replica's, plus `; charset=utf-8` on a JSON media
 * type that names no charset (what Fastify adds to JSON text).
 */
export function answerContentType(contentType: string): string {
  let out = withCharset.get(contentType);
  if (out === undefined) {
    const semi = contentType.indexOf(';');
    const media = semi < 0 ? contentType : contentType.slice(0, semi);
    out = media.includes('json') && !/;\s*charset=/i.test(contentType) ? `${contentType.trimEnd()}; charset=utf-8` : contentType;
    // Replicas answer with a handful of types; a server that invents new ones is not cached.
    if (withCharset.size < 256) withCharset.set(contentType, out);
  }
  return out;
}

/**
 * The inference path (SageMaker runtime's `POST /endpoints/{name}/invocations`). Bodies of any
 * type arrive as bytes; the replica decides what it accepts (415 otherwise). Well-formed requests
 * over the network are answered by the fast path before they reach Fastify; this route answers
 * the rest (and `inject`) the same way, and documents the path.
 */
export const invocationRoutes: FastifyPluginAsyncTypebox<{ endpoints: EndpointService; bodyLimit: number }> = async (app, { endpoints, bodyLimit }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));

  app.post('/endpoints/:name/invocations', {
    bodyLimit,
    schema: {
      summary: "Get predictions from an endpoint (built-in and ONNX models: text/csv, application/json, application/jsonlines; your inference code: whatever it accepts)",
      params: NameParams,
      headers: InvocationHeaders,
    },
  }, async (req, reply) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    // reply.elapsedTime counts from the request's arrival: the overhead latency starts there.
    const startedAt = performance.now() - reply.elapsedTime;
    const result = await answerInvocation(endpoints, req.params.name, body, req.headers, req.awsProtocol, startedAt);
    return reply.header(INVOKED_VARIANT_HEADER, result.variant).type(answerContentType(result.contentType)).send(result.body);
  });
};
