import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { AccessKeySecret, AccessKeyService } from '../../auth/access-key-service.js';
import { jobScope, type AuthService } from '../../auth/auth-service.js';
import { headerMap, isSigV4, parseAuthorization, requestTime, SigV4Error, verifySignature, type SigV4Authorization } from '../../auth/sigv4.js';
import { PlatformError } from '../../core/errors.js';
import type { ApiKeyRecord } from '../../store/metadata-store.js';
import { AwsError, type AwsProtocol } from '../sagemaker/errors.js';
import { CONTROL_PLANE_PATH } from '../sagemaker/plugin.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: ApiKeyRecord;
    /** Set for requests of the SageMaker-compatible API: errors leave in AWS's shapes. */
    awsProtocol?: AwsProtocol;
    /** The SigV4 caller (its signature is verified in preHandler, once the body is read). */
    aws?: AwsCaller;
  }
}

const PUBLIC = [/^\/health$/, /^\/api\/docs(\/|$)/, /^\/$/, /^\/console(\/|$)/, /^\/assets\//, /^\/favicon/];
const READ_METHODS = new Set(['GET', 'HEAD']);
/** What a job token may post to: its own job's metrics and params. */
const JOB_WRITE = /^\/api\/v1\/training-jobs\/([^/]+)\/(metrics|params)$/;
const RUNTIME_PATH = /^\/endpoints\/[^/]+\/invocations$/;
/** The signing name of both SageMaker clients (control plane and runtime). */
const SERVICE = 'sagemaker';

function bearer(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(authorization);
  return m?.[1];
}

function allowed(key: ApiKeyRecord, method: string, path: string): boolean {
  if (key.role === 'admin') return true;
  // A reader may create access keys: they get its own (reader) role.
  if (key.role === 'reader') return READ_METHODS.has(method) || (method === 'POST' && path === '/api/v1/access-keys');
  // A training job's own token (STRATUS_JOB_TOKEN): that job's metrics and params, nothing else.
  if (key.role === 'job') {
    const m = JOB_WRITE.exec(path);
    return method === 'POST' && m !== null && key.scope === jobScope(m[1]);
  }
  return false;
}

/** The AWS protocol of a request: the control plane always, the runtime path when SigV4-signed. */
export function awsProtocolOf(path: string, authorization: string | undefined): AwsProtocol | undefined {
  if (path === CONTROL_PLANE_PATH) return 'json';
  if (RUNTIME_PATH.test(path) && isSigV4(authorization)) return 'rest-json';
  return undefined;
}

/** A SigV4 caller whose key, scope and clock checked out; the signature waits for the body. */
export interface AwsCaller {
  key: AccessKeySecret;
  region: string;
  auth: SigV4Authorization;
}

/**
 * First half of SigV4: header, key, clock (the signature needs the body: `verifySignedBody`).
 * @throws SigV4Error or AwsError, to be sent in the protocol's error shape.
 */
export async function checkSigV4Caller(headers: IncomingHttpHeaders, rawHeaders: string[], protocol: AwsProtocol, accessKeys: AccessKeyService): Promise<AwsCaller> {
  const auth = parseAuthorization(headers.authorization);
  if (auth.service !== SERVICE) throw new SigV4Error('InvalidSignatureException', `Credential should be scoped to correct service: '${SERVICE}'.`);
  const key = await accessKeys.lookup(auth.accessKeyId);
  if (!key) throw new SigV4Error('UnrecognizedClientException', 'The security token included in the request is invalid.');
  if (headers['x-amz-security-token'] !== undefined) {
    // Stratus issues no temporary credentials, so no session token can be valid.
    throw new SigV4Error('UnrecognizedClientException', 'The security token included in the request is invalid: Stratus access keys take no session token (unset AWS_SESSION_TOKEN).');
  }
  requestTime(headerMap(rawHeaders), auth, new Date());
  if (protocol === 'rest-json' && key.role !== 'admin') {
    throw new AwsError('AccessDeniedException', `User: ${key.accessKeyId} is not authorized to perform: sagemaker:InvokeEndpoint (a ${key.role} access key may call Describe* and List* operations only).`);
  }
  return { key, region: auth.region, auth };
}

/** Second half of SigV4: the signature over the raw body bytes, once buffered. */
export function verifySignedBody(caller: AwsCaller, request: { method: string; url: string; rawHeaders: string[] }, body: Buffer | undefined): void {
  verifySignature({ ...request, body }, caller.auth, caller.key.secret);
}

/**
 * The key behind `Authorization: Bearer <token>`, if its role may `method` `path`.
 * @throws PlatformError Unauthenticated (no or unknown token) or Forbidden.
 */
export async function authenticateBearer(auth: AuthService, authorization: string | undefined, method: string, path: string): Promise<ApiKeyRecord> {
  const token = bearer(authorization);
  if (!token) throw new PlatformError('Unauthenticated', 'missing token: send Authorization: Bearer <token> (the admin token is in <STRATUS_HOME>/admin-token)');
  const key = await auth.authenticate(token);
  if (!key) throw new PlatformError('Unauthenticated', 'unknown token: check STRATUS_TOKEN or <STRATUS_HOME>/admin-token');
  if (!allowed(key, method, path)) throw new PlatformError('Forbidden', `a ${key.role} token may not ${method} ${path}`, { role: key.role });
  return key;
}

/**
 * Every route but the public ones needs `Authorization: Bearer <token>` with a role that allows
 * it; the SageMaker-compatible API (control plane, and the runtime path when signed) needs AWS
 * SigV4 with a Stratus access key instead. (The invocation fast path, api/invocation-fast-path.ts,
 * runs the same checks for the requests it takes.)
 */
export function registerAuth(app: FastifyInstance, auth: AuthService, accessKeys: AccessKeyService, opts: { publicPaths?: RegExp[] } = {}) {
  const publicPaths = [...PUBLIC, ...(opts.publicPaths ?? [])];
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0];
    const protocol = awsProtocolOf(path, request.headers.authorization);
    if (protocol) {
      request.awsProtocol = protocol;
      reply.header('x-amzn-RequestId', request.id);
      request.aws = await checkSigV4Caller(request.headers, request.raw.rawHeaders, protocol, accessKeys);
      return;
    }
    if (publicPaths.some((re) => re.test(path))) return;
    request.principal = await authenticateBearer(auth, request.headers.authorization, request.method, path);
  });
  // SigV4 signs the raw body bytes: verified once the route's parser has buffered them.
  app.addHook('preHandler', async (request) => {
    if (!request.aws) return;
    const body = Buffer.isBuffer(request.body) ? request.body : undefined;
    verifySignedBody(request.aws, { method: request.method, url: request.originalUrl, rawHeaders: request.raw.rawHeaders }, body);
  });
}
