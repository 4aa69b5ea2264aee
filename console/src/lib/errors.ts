import { StratusApiError } from './api.js';

/** An error in plain words: what happened, and what to do about it. */
export interface Explained { title: string; message: string; todo: string; code?: string; requestId?: string; field?: string }

const TODO: Record<string, string> = {
  ValidationError: 'Correct the value named above and try again.',
  Unauthenticated: 'Sign in again with a valid token (the admin token is in .stratus/admin-token on the server).',
  Forbidden: 'Your token may only read. Ask an admin for an admin token to make changes.',
  NotFound: 'It may have been deleted or renamed. Go back to the list and pick another one.',
  ResourceInUse: 'Something else uses it or it is busy. Wait for it to finish, or free it first, then retry.',
  AlreadyExists: 'Pick another name, or open the existing one.',
  FailedPrecondition: 'It is not in a state that allows this yet. Wait for it to finish, then retry.',
  LimitExceeded: 'Too many requests or too much at once. Wait a moment and retry.',
  PayloadTooLarge: 'Send a smaller file or body, or ask the operator to raise the server limit.',
  UnsupportedMediaType: 'Send a supported format (CSV, JSON, JSON lines or Parquet).',
  ModelError: 'The model could not answer this input. Check that the body has the right number of columns and no label.',
  Unavailable: 'The service is starting or overloaded. Wait a few seconds and retry.',
  Unreachable: 'Check that the Stratus server is running (npm start) and reload the page.',
  Internal: 'This is a server fault. Retry; if it persists, look at the server log with the request id below.',
};

const TITLE: Record<string, string> = {
  ValidationError: 'That request was not valid',
  Unauthenticated: 'You are not signed in',
  Forbidden: 'Not allowed',
  NotFound: 'Not found',
  ResourceInUse: 'In use',
  AlreadyExists: 'Already exists',
  FailedPrecondition: 'Not ready for that',
  Unreachable: 'Cannot reach the server',
  Internal: 'Server error',
};

/** Turns anything thrown into words for a person. */
export function explain(err: unknown): Explained {
  if (err instanceof StratusApiError) {
    const field = typeof err.details?.field === 'string' ? err.details.field : undefined;
    return {
      title: TITLE[err.code] ?? (err.status ? `Request failed (${err.status} ${err.code})` : err.code),
      message: err.message,
      todo: TODO[err.code] ?? (err.status >= 500 ? TODO.Internal : 'Check the values and try again.'),
      code: err.code,
      requestId: err.requestId,
      field,
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { title: 'Something went wrong', message, todo: 'Reload the page. If it happens again, report it with what you did.' };
}
