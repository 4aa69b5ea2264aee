/** Codes the SDK itself assigns when no API error body is available. */
export type ClientErrorCode = 'Unreachable' | 'Timeout' | 'Aborted' | 'InvalidResponse';

const CODE_BY_STATUS: Record<number, string> = {
  400: 'ValidationError',
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'NotFound',
  406: 'NotAcceptable',
  409: 'ResourceInUse',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  424: 'ModelError',
  429: 'LimitExceeded',
  503: 'Unavailable',
  504: 'ModelTimeout',
};

/**
 * An error from the Stratus API, or from reaching it.
 *
 * `status` is the HTTP status, or 0 when no response arrived (then `code` is a {@link ClientErrorCode}).
 */
export class StratusApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly requestId?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StratusApiError';
  }
}

/** Builds the error for a non-2xx response from its body, JSON or not. */
export async function errorFromResponse(res: Response): Promise<StratusApiError> {
  const text = await res.text().catch(() => '');
  const body = parseErrorBody(text);
  if (body) return new StratusApiError(res.status, body.code, body.message, body.details, body.requestId);
  const code = CODE_BY_STATUS[res.status] ?? (res.status >= 500 ? 'InternalError' : 'HttpError');
  const excerpt = text.trim().slice(0, 200);
  const message = `HTTP ${res.status} ${res.statusText}${excerpt ? `: ${excerpt}` : ''}`;
  return new StratusApiError(res.status, code, message);
}

interface ParsedErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
  requestId?: string;
}

function parseErrorBody(text: string): ParsedErrorBody | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const error = isRecord(parsed) ? parsed.error : undefined;
  if (!isRecord(error) || typeof error.code !== 'string' || typeof error.message !== 'string') return undefined;
  return {
    code: error.code,
    message: error.message,
    details: isRecord(error.details) ? error.details : undefined,
    requestId: typeof error.requestId === 'string' ? error.requestId : undefined,
  };
}

/** The error for a request that got no response: the server is down, or the URL is wrong. */
export function unreachableError(url: string, cause: unknown): StratusApiError {
  const reason = networkReason(cause);
  return new StratusApiError(
    0,
    'Unreachable',
    `cannot reach Stratus at ${url}: is the server running? start it with \`npm start\``,
    reason ? { reason } : undefined,
    undefined,
    { cause },
  );
}

// fetch hides the socket error (ECONNREFUSED, ENOTFOUND…) one or two levels down in `cause`.
function networkReason(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; isRecord(e) && depth < 4; e = e.cause, depth++) {
    if (typeof e.code === 'string') return e.code;
  }
  return err instanceof Error ? err.message : undefined;
}

/** True for the error an aborted fetch or stream read throws. */
export function isAbortError(err: unknown): boolean {
  return isRecord(err) && (err.name === 'AbortError' || err.code === 'ABORT_ERR');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
