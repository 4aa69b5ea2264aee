/** Stable error codes of the API, each mapped to one HTTP status (see `httpStatusOf`). */
export type ErrorCode =
  | 'ValidationError'
  | 'Unauthenticated'
  | 'Forbidden'
  | 'NotFound'
  | 'NotAcceptable'
  | 'ResourceInUse'
  | 'FailedPrecondition'
  | 'PayloadTooLarge'
  | 'UnsupportedMediaType'
  | 'ModelError'
  | 'ModelTimeout'
  | 'LimitExceeded'
  | 'Internal'
  | 'Unavailable';

const HTTP_STATUS: Record<ErrorCode, number> = {
  ValidationError: 400,
  Unauthenticated: 401,
  Forbidden: 403,
  NotFound: 404,
  NotAcceptable: 406,
  ResourceInUse: 409,
  FailedPrecondition: 409,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  ModelError: 424,
  /** The model did not answer within `invocationTimeoutMs`. */
  ModelTimeout: 504,
  LimitExceeded: 429,
  Internal: 500,
  Unavailable: 503,
};

export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

/**
 * The one error type of the platform. `message` may reach clients: put secrets only in `cause`,
 * which is logged but never serialized.
 */
export class PlatformError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export const isPlatformError = (e: unknown): e is PlatformError => e instanceof PlatformError;

export const validationError = (message: string, details?: Record<string, unknown>) =>
  new PlatformError('ValidationError', message, details);

export const notFound = (kind: string, name: string) =>
  new PlatformError('NotFound', `${kind} '${name}' does not exist`, { kind, name });

export const alreadyExists = (kind: string, name: string) =>
  new PlatformError('ResourceInUse', `${kind} '${name}' already exists; choose another name or delete it first`, {
    kind,
    name,
  });

export const failedPrecondition = (message: string, details?: Record<string, unknown>) =>
  new PlatformError('FailedPrecondition', message, details);

/** A bad value in tabular input, named by 1-based row and column, as users count them. */
export const badCell = (row: number, column: number, message: string) =>
  new PlatformError('ValidationError', `row ${row}, column ${column}: ${message}`, { row, column });
