import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { errorCodes, type FastifyServerOptions } from 'fastify';
import type { AccessKeyService } from '../auth/access-key-service.js';
import type { AuthService } from '../auth/auth-service.js';
import { NameParams } from '../contracts/common.js';
import { httpStatusOf } from '../core/errors.js';
import { newRequestId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { EndpointService } from '../serving/endpoint-service.js';
import { authenticateBearer, awsProtocolOf, checkSigV4Caller, verifySignedBody, type AwsCaller } from './plugins/auth.js';
import { asPlatformError, discardUnreadBody, errorBody, logFailure } from './plugins/errors.js';
import { answerContentType, answerInvocation, InvocationHeaders } from './routes/invocations.js';
import { awsErrorResponse, toAwsError, type AwsProtocol } from './sagemaker/errors.js';

/** `/endpoints/<name>/invocations` or `/api/v1/endpoints/<name>/invocations`, a query string allowed; the name as NameParams allows it. */
const INVOCATION_URL = new RegExp(`^(?:/api/v1)?/endpoints/(${NameParams.properties.name.pattern!.slice(1, -1)})/invocations(?:\\?|$)`);
const headersFit = TypeCompiler.Compile(InvocationHeaders);
const EMPTY = Buffer.alloc(0);

export interface InvocationFastPathDeps {
  endpoints: EndpointService;
  auth: AuthService;
  accessKeys: AccessKeyService;
  /** Config `maxInvocationBytes`: a larger body is refused with 413. */
  bodyLimit: number;
  log: Logger;
}

/**
 * The invocation route on the raw HTTP server, ahead of Fastify's router: the main thread caps
 * an endpoint's throughput, and Fastify's routing, hooks and reply objects were about a quarter
 * of its time per invocation. It takes only well-formed invocation requests (URL, name and
 * headers as the route's schemas allow) and answers them exactly as the Fastify route would,
 * through the same pieces: `authenticateBearer` / `checkSigV4Caller`, `answerInvocation`, and
 * the same error bodies. Anything else, and every request once the server is closing, goes to
 * Fastify. Fastify's global hooks do not run for the requests taken here: a hook that must see
 * invocations belongs in this class too.
 */
export class InvocationFastPath {
  #closing = false;

  constructor(private readonly deps: InvocationFastPathDeps) {}

  /** From now on every request goes to Fastify (which answers 503 while it closes). */
  close(): void {
    this.#closing = true;
  }

  /** Serves `req` and returns true when it is a well-formed invocation; false leaves it to Fastify. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST' || this.#closing || req.headers['x-amz-target'] !== undefined) return false;
    const url = req.url ?? '';
    const m = INVOCATION_URL.exec(url);
    if (!m || !headersFit.Check(req.headers)) return false;
    const q = url.indexOf('?');
    this.#serve(req, res, m[1], q < 0 ? url : url.slice(0, q)).catch((e: unknown) => {
      this.deps.log.error({ err: e }, 'invocation failed while answering');
      res.destroy();
    });
    return true;
  }

  async #serve(req: IncomingMessage, res: ServerResponse, name: string, path: string): Promise<void> {
    const startedAt = performance.now();
    const protocol = awsProtocolOf(path, req.headers.authorization);
    // Requests of the SageMaker runtime client carry their id in every answer; others only in errors.
    const requestId = protocol ? newRequestId() : undefined;
    try {
      let caller: AwsCaller | undefined;
      if (protocol) caller = await checkSigV4Caller(req.headers, req.rawHeaders, protocol, this.deps.accessKeys);
      else await authenticateBearer(this.deps.auth, req.headers.authorization, 'POST', path);
      const body = await readBody(req, this.deps.bodyLimit);
      if (caller) verifySignedBody(caller, { method: 'POST', url: req.url ?? path, rawHeaders: req.rawHeaders }, body);
      const result = await answerInvocation(this.deps.endpoints, name, body, req.headers, protocol, startedAt);
      const out = result.body;
      const headers = [
        'content-type', answerContentType(result.contentType),
        'content-length', String(typeof out === 'string' ? Buffer.byteLength(out) : out.byteLength),
        'x-amzn-invoked-production-variant', result.variant,
      ];
      if (requestId) headers.push('x-amzn-requestid', requestId);
      res.writeHead(200, headers).end(out);
    } catch (e) {
      this.#fail(req, res, e, protocol, requestId);
    }
  }

  /** The error as the Fastify error handler sends it (plugins/errors.ts). */
  #fail(req: IncomingMessage, res: ServerResponse, error: unknown, protocol: AwsProtocol | undefined, awsRequestId: string | undefined) {
    if (res.headersSent || res.destroyed) return;
    const requestId = awsRequestId ?? newRequestId();
    const log = this.deps.log.child({ reqId: requestId });
    if (!req.complete) discardUnreadBody(req, res);
    if (protocol) {
      const e = toAwsError(error, protocol);
      logFailure(log, e.status, error, e.type, e.message);
      const r = awsErrorResponse(e, protocol, requestId);
      res.writeHead(r.status, { ...r.headers, 'content-length': Buffer.byteLength(r.body) }).end(r.body);
      return;
    }
    const e = asPlatformError(error);
    const status = httpStatusOf(e.code);
    logFailure(log, status, error, e.code, e.message);
    const body = JSON.stringify(errorBody(e, requestId));
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
  }
}

/**
 * The body, up to `limit` bytes.
 * @throws Fastify's FST_ERR_CTP_BODY_TOO_LARGE past the limit (so both routes report it alike).
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
  // Inline listeners, never removed (the request ends with them): named closures would cost a
  // defineProperty each under tsx, on the hottest path of the server.
  return new Promise((resolve, reject) => {
    let first: Buffer | undefined;
    let chunks: Buffer[] | undefined;
    let size = 0;
    let settled = false;
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limit) {
        settled = true;
        reject(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
      } else if (!first) first = chunk;
      else (chunks ??= [first]).push(chunk);
    });
    req.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(chunks ? Buffer.concat(chunks, size) : (first ?? EMPTY));
    });
    req.on('close', () => {
      if (settled) return;
      settled = true;
      reject(new Error('the client closed the connection before the body ended'));
    });
    req.on('error', (e: Error) => {
      if (settled) return;
      settled = true;
      reject(e);
    });
  });
}

/**
 * The HTTP server under Fastify (its `serverFactory`): each request is offered to the fast path,
 * then to Fastify. Fastify's server settings are applied as Fastify applies them to its own.
 */
export function serverWithFastPath(fastPath: InvocationFastPath, fastify: (req: IncomingMessage, res: ServerResponse) => void, opts: FastifyServerOptions): Server {
  const server = createServer((req, res) => {
    if (!fastPath.handle(req, res)) fastify(req, res);
  });
  server.keepAliveTimeout = opts.keepAliveTimeout!;
  server.requestTimeout = opts.requestTimeout!;
  server.setTimeout(opts.connectionTimeout!);
  if (opts.maxRequestsPerSocket! > 0) server.maxRequestsPerSocket = opts.maxRequestsPerSocket!;
  return server;
}
