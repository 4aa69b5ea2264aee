import { errorFromResponse, isAbortError, StratusApiError, unreachableError } from './errors.js';

/** Query-string values; `undefined` ones are left out. */
export type QueryParams = Record<string, string | number | boolean | undefined>;

/** One HTTP request as the resource namespaces describe it. */
export interface RequestSpec {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  query?: QueryParams;
  /** Sent as JSON unless it is a string, bytes or a stream. */
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * Sends requests to one Stratus server with the bearer token and turns failures into
 * {@link StratusApiError}s.
 * @internal
 */
export class Transport {
  readonly baseUrl: string;
  readonly #token: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(baseUrl: string, token: string | undefined, fetchImpl: typeof fetch) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.#token = token;
    this.#fetch = fetchImpl;
  }

  /** Sends the request and parses a JSON response (`undefined` for 204). */
  async json<T>(spec: RequestSpec): Promise<T> {
    const res = await this.send(spec);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new StratusApiError(res.status, 'InvalidResponse', `expected JSON from ${spec.path}, got: ${text.slice(0, 200)}`, undefined, undefined, { cause });
    }
  }

  /** Sends the request; resolves with the response when it is 2xx, throws otherwise. */
  async send(spec: RequestSpec): Promise<Response> {
    const url = this.url(spec.path, spec.query);
    let res: Response;
    try {
      res = await this.#fetch(url, this.init(spec));
    } catch (err) {
      if (isAbortError(err) || spec.signal?.aborted) throw err;
      throw unreachableError(this.baseUrl, err);
    }
    if (!res.ok) throw await errorFromResponse(res);
    return res;
  }

  /** The absolute URL of a path, with its query string. */
  url(path: string, query: QueryParams = {}): string {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.set(k, String(v));
    const s = qs.toString();
    return `${this.baseUrl}${path}${s ? `?${s}` : ''}`;
  }

  private init(spec: RequestSpec): RequestInit {
    const headers: Record<string, string> = { accept: 'application/json', ...spec.headers };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    const init: RequestInit = { method: spec.method ?? 'GET', headers, signal: spec.signal };
    if (spec.body === undefined) return init;
    if (isRawBody(spec.body)) {
      init.body = spec.body;
      // Streams need half-duplex in Node's fetch; see https://github.com/nodejs/node/issues/46221
      if (spec.body instanceof ReadableStream) init.duplex = 'half';
    } else {
      init.body = JSON.stringify(spec.body);
      headers['content-type'] ??= 'application/json';
    }
    return init;
  }
}

function isRawBody(body: unknown): body is string | Uint8Array | ReadableStream<Uint8Array> {
  return typeof body === 'string' || body instanceof Uint8Array || body instanceof ReadableStream;
}

/** `encodeURIComponent` for each path segment given, joined with `/`. */
export const pathOf = (...segments: (string | number)[]) =>
  segments.map((s, i) => (i === 0 ? String(s) : encodeURIComponent(String(s)))).join('/');
