import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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
    /** The verified SigV4 caller (set once the signature checks out). */
    aws?: { key: AccessKeySecret; region: string; auth: SigV4Authorization };
  }
}

const PUBLIC = [/^\/health$/, /^\/api\/docs(\/|$)/, /^\/$/, /^\/console(\/|$)/, /^\/assets\//, /^\/favicon/];
const READ_METHODS = new Set(['GET', 'HEAD']);
/** What a job token may post to: its own job's metrics and params. */
const JOB_WRITE = /^\/api\/v1\/training-jobs\/([^/]+)\/(metrics|params)$/;
const RUNTIME_PATH = /^\/endpoints\/[^/]+\/invocations$/;
/** The signing name of both SageMaker clients (control plane and runtime). */
const SERVICE = 'sagemaker';

function bearer(request: FastifyRequest): string | undefined {
  const h = request.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m?.[1];
}

function allowed(key: ApiKeyRecord, request: FastifyRequest, path: string): boolean {
  if (key.role === 'admin') return true;
  // A reader may create access keys: they get its own (reader) role.
  if (key.role === 'reader') return READ_METHODS.has(request.method) || (request.method === 'POST' && path === '/api/v1/access-keys');
  // A training job's own token (STRATUS_JOB_TOKEN): that job's metrics and params, nothing else.
  if (key.role === 'job') {
    const m = JOB_WRITE.exec(path);
    return request.method === 'POST' && m !== null && key.scope === jobScope(m[1]);
  }
  return false;
}

/** The AWS protocol of a request: the control plane always, the runtime path when SigV4-signed. */
function awsProtocolOf(request: FastifyRequest, path: string): AwsProtocol | undefined {
  if (path === CONTROL_PLANE_PATH) return 'json';
  if (RUNTIME_PATH.test(path) && isSigV4(request.headers.authorization)) return 'rest-json';
  return undefined;
}

/** First half of SigV4: header, key, clock. The signature needs the body, checked in preHandler. */
async function startSigV4(request: FastifyRequest, reply: FastifyReply, protocol: AwsProtocol, accessKeys: AccessKeyService) {
  request.awsProtocol = protocol;
  reply.header('x-amzn-RequestId', request.id);
  const auth = parseAuthorization(request.headers.authorization);
  if (auth.service !== SERVICE) throw new SigV4Error('InvalidSignatureException', `Credential should be scoped to correct service: '${SERVICE}'.`);
  const key = await accessKeys.lookup(auth.accessKeyId);
  if (!key) throw new SigV4Error('UnrecognizedClientException', 'The security token included in the request is invalid.');
  if (request.headers['x-amz-security-token'] !== undefined) {
    // Stratus issues no temporary credentials, so no session token can be valid.
    throw new SigV4Error('UnrecognizedClientException', 'The security token included in the request is invalid: Stratus access keys take no session token (unset AWS_SESSION_TOKEN).');
  }
  requestTime(headerMap(request.raw.rawHeaders), auth, new Date());
  if (protocol === 'rest-json' && key.role !== 'admin') {
    throw new AwsError('AccessDeniedException', `User: ${key.accessKeyId} is not authorized to perform: sagemaker:InvokeEndpoint (a ${key.role} access key may call Describe* and List* operations only).`);
  }
  request.aws = { key, region: auth.region, auth };
}

/**
 * Every route but the public ones needs `Authorization: Bearer <token>` with a role that allows
 * it; the SageMaker-compatible API (control plane, and the runtime path when signed) needs AWS
 * SigV4 with a Stratus access key instead.
 */
export function registerAuth(app: FastifyInstance, auth: AuthService, accessKeys: AccessKeyService, opts: { publicPaths?: RegExp[] } = {}) {
  const publicPaths = [...PUBLIC, ...(opts.publicPaths ?? [])];
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0];
    const protocol = awsProtocolOf(request, path);
    if (protocol) return startSigV4(request, reply, protocol, accessKeys);
    if (publicPaths.some((re) => re.test(path))) return;
    const token = bearer(request);
    if (!token) throw new PlatformError('Unauthenticated', 'missing token: send Authorization: Bearer <token> (the admin token is in <STRATUS_HOME>/admin-token)');
    const key = await auth.authenticate(token);
    if (!key) throw new PlatformError('Unauthenticated', 'unknown token: check STRATUS_TOKEN or <STRATUS_HOME>/admin-token');
    if (!allowed(key, request, path)) throw new PlatformError('Forbidden', `a ${key.role} token may not ${request.method} ${path}`, { role: key.role });
    request.principal = key;
  });
  // SigV4 signs the raw body bytes: verified once the route's parser has buffered them.
  app.addHook('preHandler', async (request) => {
    if (!request.aws) return;
    const body = Buffer.isBuffer(request.body) ? request.body : undefined;
    verifySignature({ method: request.method, url: request.originalUrl, rawHeaders: request.raw.rawHeaders, body }, request.aws.auth, request.aws.key.secret);
  });
}
