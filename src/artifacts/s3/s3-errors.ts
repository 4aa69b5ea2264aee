import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { isPlatformError, notFound, PlatformError } from '../../core/errors.js';

/** S3 error names that mean "the store cannot be used as configured" (credentials, permissions). */
const AUTH_ERRORS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'Forbidden',
  'InvalidToken',
  'ExpiredToken',
  'AuthorizationHeaderMalformed',
  'CredentialsProviderError',
]);
const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'TimeoutError']);

interface S3Like {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** True for S3's "no such object" in either form: NoSuchKey (GET) or a bodiless 404 (HEAD). */
export function isS3NotFound(e: unknown): boolean {
  const err = e as S3Like | undefined;
  return err?.name === 'NoSuchKey' || err?.name === 'NotFound' || (err?.$metadata?.httpStatusCode === 404 && err.name !== 'NoSuchBucket');
}

/**
 * Translates an S3 SDK error into the platform's errors, once, at the seam: a missing object is
 * NotFound; a missing bucket, refused credentials or an unreachable endpoint is Unavailable with
 * a message naming the setting to check (the store is misconfigured, which is not the API
 * caller's fault). The SDK error stays in `cause` (logged, never serialized); messages name no
 * secret. Platform errors (PayloadTooLarge from the byte limit) and aborts pass through.
 */
export function translateS3Error(e: unknown, where: { key?: string; bucket: string }): unknown {
  if (isPlatformError(e)) return e;
  const err = e as S3Like | undefined;
  const name = err?.name ?? '';
  if (name === 'AbortError') return e;
  if (where.key !== undefined && isS3NotFound(e)) return notFound('artifact', where.key);
  const status = err?.$metadata?.httpStatusCode;
  if (name === 'NoSuchBucket') {
    return unavailable(`S3 bucket '${where.bucket}' does not exist; create it, or fix STRATUS_ARTIFACT_URL`, name, e);
  }
  if (AUTH_ERRORS.has(name) || status === 403 || status === 401) {
    // A HEAD answer has no body, so the SDK names its error 'Unknown' or after the status.
    const code = name && !['Error', 'Unknown', 'Forbidden'].includes(name) ? name : `HTTP ${status ?? '403'}`;
    return unavailable(
      `the S3 artifact store refused the request (${code}) for bucket '${where.bucket}': check the S3 credentials ` +
        '(STRATUS_S3_ACCESS_KEY_ID / STRATUS_S3_SECRET_ACCESS_KEY, or the AWS default credential chain) and their permissions',
      code,
      e,
    );
  }
  const network = err?.code ?? name;
  if (NETWORK_ERRORS.has(network)) {
    return unavailable(`cannot reach the S3 endpoint (${network}); check STRATUS_S3_ENDPOINT`, network, e);
  }
  return e;
}

const unavailable = (message: string, s3Code: string, cause: unknown) =>
  new PlatformError('Unavailable', message, { s3Code }, { cause });

/**
 * DeleteObjects must carry an integrity header. The SDK now sends a CRC32 checksum only, which
 * AWS accepts but S3-compatible servers such as Swift's s3api refuse ("Missing required header
 * for this request: Content-MD5"); Content-MD5 is accepted everywhere.
 */
export function addContentMd5ToDeleteObjects(client: S3Client): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as { headers?: Record<string, string>; body?: unknown } | undefined;
      if (context.commandName === 'DeleteObjectsCommand' && request?.headers && (typeof request.body === 'string' || request.body instanceof Uint8Array)) {
        request.headers['content-md5'] = createHash('md5').update(request.body).digest('base64');
      }
      return next(args);
    },
    { step: 'build', name: 'stratusContentMd5ForDeleteObjects' },
  );
}
