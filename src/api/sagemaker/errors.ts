import type { FastifyReply } from 'fastify';
import { SigV4Error } from '../../auth/sigv4.js';
import { isPlatformError, type ErrorCode } from '../../core/errors.js';

/** Which AWS wire protocol a request speaks: the control plane (JSON 1.1) or the runtime (REST-JSON). */
export type AwsProtocol = 'json' | 'rest-json';

/**
 * An error as the AWS SDKs parse it: `__type` names the exception class the SDK throws
 * (`err.name` in JS, `Error.Code` in boto3); the HTTP status only tells client from server faults.
 */
export class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
    /** Extra members of the modeled error (e.g. ModelError's OriginalStatusCode). */
    readonly members: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AwsError';
  }
}

export const validationException = (message: string) => new AwsError('ValidationException', message);

/** Real SageMaker's message for a constraint failure, which SDK users grep for. */
export const constraintError = (value: unknown, path: string, constraint: string) =>
  validationException(`1 validation error detected: Value '${typeof value === 'string' ? value : JSON.stringify(value)}' at '${path}' failed to satisfy constraint: ${constraint}`);

/** Our codes, when a service error reaches the control plane untranslated. */
const CONTROL_PLANE: Record<ErrorCode, [string, number]> = {
  ValidationError: ['ValidationException', 400],
  Unauthenticated: ['UnrecognizedClientException', 400],
  Forbidden: ['AccessDeniedException', 400],
  NotFound: ['ValidationException', 400],
  NotAcceptable: ['ValidationException', 400],
  ResourceInUse: ['ResourceInUse', 400],
  FailedPrecondition: ['ValidationException', 400],
  PayloadTooLarge: ['ValidationException', 400],
  UnsupportedMediaType: ['ValidationException', 400],
  ModelError: ['ValidationException', 400],
  ModelTimeout: ['ValidationException', 400],
  LimitExceeded: ['ResourceLimitExceeded', 400],
  Internal: ['InternalFailure', 500],
  Unavailable: ['ServiceUnavailable', 503],
} as Record<ErrorCode, [string, number]>;

/** And on the runtime (its modeled errors: ValidationError, ModelError, ServiceUnavailable, InternalFailure…). */
const RUNTIME: Partial<Record<ErrorCode, [string, number]>> = {
  ValidationError: ['ValidationError', 400],
  NotFound: ['ValidationError', 400],
  NotAcceptable: ['ValidationError', 400],
  UnsupportedMediaType: ['ValidationError', 400],
  PayloadTooLarge: ['ValidationError', 400],
  FailedPrecondition: ['ValidationError', 400],
  ResourceInUse: ['ValidationError', 400],
  Unauthenticated: ['UnrecognizedClientException', 400],
  Forbidden: ['AccessDeniedException', 400],
  LimitExceeded: ['ThrottlingException', 400],
  Unavailable: ['ServiceUnavailable', 503],
  Internal: ['InternalFailure', 500],
};

const SIGV4_STATUS: Record<SigV4Error['code'], number> = {
  MissingAuthenticationTokenException: 403,
  IncompleteSignatureException: 400,
  InvalidSignatureException: 400,
  UnrecognizedClientException: 400,
};

/** Fastify's own errors (bad JSON, body too large, …) by their code. */
function fastifyError(e: { code?: string; statusCode?: number; message: string }, protocol: AwsProtocol): AwsError | undefined {
  if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return new AwsError('SerializationException', e.message);
  if (e.statusCode && e.statusCode < 500) return new AwsError(protocol === 'json' ? 'ValidationException' : 'ValidationError', e.message);
  return undefined;
}

/** Translates any error into the AWS error of the protocol. Unknown errors become InternalFailure. */
export function toAwsError(e: unknown, protocol: AwsProtocol): AwsError {
  if (e instanceof AwsError) return e;
  if (e instanceof SigV4Error) return new AwsError(e.code, e.message, SIGV4_STATUS[e.code]);
  if (isPlatformError(e)) {
    const [type, status] = (protocol === 'json' ? CONTROL_PLANE[e.code] : RUNTIME[e.code]) ?? ['InternalFailure', 500];
    if (e.code === 'ModelError' && protocol === 'rest-json') return modelError(e.message, e.details);
    return new AwsError(type, status >= 500 && e.code === 'Internal' ? 'Internal error; see the server log.' : e.message, status);
  }
  if (e && typeof e === 'object' && 'message' in e) {
    const translated = fastifyError(e as { code?: string; statusCode?: number; message: string }, protocol);
    if (translated) return translated;
  }
  return new AwsError('InternalFailure', 'Internal error; see the server log.', 500);
}

/** The runtime's ModelError (424): the model answered with an error. */
function modelError(message: string, details: Record<string, unknown> | undefined): AwsError {
  const original = typeof details?.status === 'number' ? details.status : 400;
  const kind = original >= 500 ? 'server' : 'client';
  return new AwsError('ModelError', `Received ${kind} error (${original}) from primary with message "${message}". See the endpoint's log in Stratus for more information.`, 424, {
    OriginalStatusCode: original,
    OriginalMessage: message,
  });
}

/**
 * `e` the way both SDKs parse it: `__type` in the body (boto3 ignores the header on JSON 1.1),
 * `x-amzn-ErrorType` too (the runtime's REST-JSON reads it), and `message`.
 */
export function awsErrorResponse(e: AwsError, protocol: AwsProtocol, requestId: string): { status: number; headers: Record<string, string>; body: string } {
  return {
    status: e.status,
    headers: {
      'x-amzn-errortype': e.type,
      'x-amzn-requestid': requestId,
      'content-type': protocol === 'json' ? 'application/x-amz-json-1.1; charset=utf-8' : 'application/json; charset=utf-8',
    },
    body: JSON.stringify({ __type: e.type, message: e.message, ...e.members }),
  };
}

export function sendAwsError(reply: FastifyReply, e: AwsError, protocol: AwsProtocol) {
  const r = awsErrorResponse(e, protocol, reply.request.id);
  return reply.code(r.status).headers(r.headers).send(r.body);
}
