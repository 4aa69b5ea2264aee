import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthService } from '../../auth/auth-service.js';
import { PlatformError } from '../../core/errors.js';
import type { ApiKeyRecord } from '../../store/metadata-store.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: ApiKeyRecord;
  }
}

const PUBLIC = [/^\/health$/, /^\/api\/docs(\/|$)/, /^\/$/, /^\/console(\/|$)/, /^\/assets\//, /^\/favicon/];
const READ_METHODS = new Set(['GET', 'HEAD']);

function bearer(request: FastifyRequest): string | undefined {
  const h = request.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m?.[1];
}

function allowed(key: ApiKeyRecord, request: FastifyRequest): boolean {
  if (key.role === 'admin') return true;
  if (key.role === 'reader') return READ_METHODS.has(request.method);
  return false;
}

/** Every route but the public ones needs `Authorization: Bearer <token>` with a role that allows it. */
export function registerAuth(app: FastifyInstance, auth: AuthService) {
  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0];
    if (PUBLIC.some((re) => re.test(path))) return;
    const token = bearer(request);
    if (!token) throw new PlatformError('Unauthenticated', 'missing token: send Authorization: Bearer <token> (the admin token is in <STRATUS_HOME>/admin-token)');
    const key = await auth.authenticate(token);
    if (!key) throw new PlatformError('Unauthenticated', 'unknown token: check STRATUS_TOKEN or <STRATUS_HOME>/admin-token');
    if (!allowed(key, request)) throw new PlatformError('Forbidden', `a ${key.role} token may not ${request.method} ${path}`, { role: key.role });
    request.principal = key;
  });
}
