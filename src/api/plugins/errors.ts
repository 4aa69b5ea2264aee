import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { httpStatusOf, isPlatformError, PlatformError, type ErrorCode } from '../../core/errors.js';
import { sendAwsError, toAwsError } from '../sagemaker/errors.js';

/** Fastify's own error codes, translated once into ours. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PayloadTooLarge',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UnsupportedMediaType',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'ValidationError',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'ValidationError',
  FST_ERR_CTP_INVALID_JSON_BODY: 'ValidationError',
  FST_ERR_VALIDATION: 'ValidationError',
};

function toPlatformError(e: FastifyError): PlatformError {
  if (e.validation) {
    const first = e.validation[0];
    const where = e.validationContext ?? 'body';
    const field = `${where}${first?.instancePath ? first.instancePath.replaceAll('/', '.') : ''}`;
    const extra = first?.params && 'additionalProperty' in first.params ? ` '${String(first.params.additionalProperty)}'` : '';
    return new PlatformError('ValidationError', `${field} ${first?.message ?? 'is invalid'}${extra}`, { field, errors: e.validation });
  }
  const code = (e.code && FASTIFY_CODES[e.code]) ?? (e.statusCode && e.statusCode < 500 ? 'ValidationError' : undefined);
  if (code === 'UnsupportedMediaType') return new PlatformError(code, `${e.message}; send a supported Content-Type`);
  if (code === 'PayloadTooLarge') return new PlatformError(code, `${e.message}; send a smaller body (split the batch) or raise the server's limit`);
  if (code) return new PlatformError(code, e.message);
  return new PlatformError('Internal', 'internal error; see the server log', undefined, { cause: e });
}

/** Any error as ours: Fastify's own errors translated once, anything unknown an Internal error. */
export function asPlatformError(error: unknown): PlatformError {
  return isPlatformError(error) ? error : toPlatformError(error as FastifyError);
}

/** The one error body: `{"error":{code,message,details,requestId}}`. */
export const errorBody = (e: PlatformError, requestId: string) => ({
  error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}), requestId },
});

/** Server faults are logged as errors with their cause; rejected requests at info. */
export function logFailure(log: FastifyBaseLogger, status: number, cause: unknown, code: string, message: string) {
  if (status >= 500) log.error({ err: cause }, 'request failed');
  else log.info({ code, msg: message }, 'request rejected');
}

/**
 * A request rejected mid-body (over the size limit, or failed while streaming) still has bytes on
 * the socket; left paused they would wedge the keep-alive connection. Drain them and close it.
 */
export function discardUnreadBody(req: IncomingMessage, res: ServerResponse) {
  res.setHeader('connection', 'close');
  req.on('error', () => {});
  req.resume();
}

/** Every error leaves as `{"error":{code,message,details,requestId}}` with the code's HTTP status. */
export function registerErrorHandling(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (request.awsProtocol) {
      // The SageMaker-compatible API: AWS's error shapes, which the SDKs turn into exception classes.
      const e = toAwsError(error, request.awsProtocol);
      logFailure(request.log, e.status, error, e.type, e.message);
      if (!request.raw.complete) discardUnreadBody(request.raw, reply.raw);
      return sendAwsError(reply, e, request.awsProtocol);
    }
    const e = asPlatformError(error);
    const status = httpStatusOf(e.code);
    logFailure(request.log, status, error, e.code, e.message);
    if (!request.raw.complete) discardUnreadBody(request.raw, reply.raw);
    return reply.code(status).type('application/json').send(errorBody(e, request.id));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: { code: 'NotFound', message: `no route ${request.method} ${request.url.split('?')[0]}; see /api/docs`, requestId: request.id } }),
  );
}
