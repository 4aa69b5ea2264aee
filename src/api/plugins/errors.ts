import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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

/**
 * A request rejected mid-body (over the size limit, or failed while streaming) still has bytes on
 * the socket; left paused they would wedge the keep-alive connection. Drain them and close it.
 */
function discardUnreadBody(request: FastifyRequest, reply: FastifyReply) {
  reply.header('connection', 'close');
  request.raw.on('error', () => {});
  request.raw.resume();
}

/** Every error leaves as `{"error":{code,message,details,requestId}}` with the code's HTTP status. */
export function registerErrorHandling(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (request.awsProtocol) {
      // The SageMaker-compatible API: AWS's error shapes, which the SDKs turn into exception classes.
      const e = toAwsError(error, request.awsProtocol);
      if (e.status >= 500) request.log.error({ err: error }, 'request failed');
      else request.log.info({ code: e.type, msg: e.message }, 'request rejected');
      if (!request.raw.complete) discardUnreadBody(request, reply);
      return sendAwsError(reply, e, request.awsProtocol);
    }
    const e = isPlatformError(error) ? error : toPlatformError(error);
    const status = httpStatusOf(e.code);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: e.code, msg: e.message }, 'request rejected');
    if (!request.raw.complete) discardUnreadBody(request, reply);
    return reply
      .code(status)
      .type('application/json')
      .send({ error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}), requestId: request.id } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: { code: 'NotFound', message: `no route ${request.method} ${request.url.split('?')[0]}; see /api/docs`, requestId: request.id } }),
  );
}
