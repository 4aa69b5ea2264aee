import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/*
 * AWS Signature Version 4 verification for static access keys, as the AWS SDKs sign requests
 * (docs/sagemaker-compatibility.md, "Authentication"). Pure functions over the request as
 * received: method, raw URL, raw header list and raw body bytes.
 */

/** The error codes the AWS SDKs know for authentication failures. */
export type SigV4ErrorCode =
  | 'MissingAuthenticationTokenException'
  | 'IncompleteSignatureException'
  | 'InvalidSignatureException'
  | 'UnrecognizedClientException';

export class SigV4Error extends Error {
  constructor(readonly code: SigV4ErrorCode, message: string) {
    super(message);
    this.name = 'SigV4Error';
  }
}

export interface SignedRequest {
  method: string;
  /** The request target as received: raw path plus query string. */
  url: string;
  /** Node's `rawHeaders`: name, value, name, value… as they arrived. */
  rawHeaders: readonly string[];
  /** The raw body; undefined or empty for none. */
  body: Buffer | undefined;
}

export interface SigV4Authorization {
  accessKeyId: string;
  /** yyyymmdd of the credential scope. */
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const AUTH_RE = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;
const AMZ_DATE_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
/** How far the request time may be from the server's clock (AWS: 15 minutes). */
export const MAX_SKEW_MS = 15 * 60 * 1000;
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** Whether a request carries a SigV4 Authorization header (as opposed to a bearer token). */
export const isSigV4 = (authorization: string | undefined) => authorization?.startsWith(`${ALGORITHM} `) ?? false;

/** @throws SigV4Error MissingAuthenticationTokenException / IncompleteSignatureException */
export function parseAuthorization(header: string | undefined): SigV4Authorization {
  if (!header) throw new SigV4Error('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const m = AUTH_RE.exec(header.trim());
  if (!m) {
    throw new SigV4Error('IncompleteSignatureException', `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters of the ${ALGORITHM} algorithm.`);
  }
  return { accessKeyId: m[1], date: m[2], region: m[3], service: m[4], signedHeaders: m[5].split(';'), signature: m[6] };
}

/** Header values by lowercase name; repeated headers joined with ',' as SigV4 requires. */
export function headerMap(rawHeaders: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    const value = rawHeaders[i + 1].trim().replace(/\s+/g, ' ');
    map.set(name, map.has(name) ? `${map.get(name)},${value}` : value);
  }
  return map;
}

const fmt = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

/**
 * The request time from `x-amz-date` (or `date`), checked against the scope date and `now`.
 * @throws SigV4Error InvalidSignatureException when outside MAX_SKEW_MS or not matching the scope.
 */
export function requestTime(headers: Map<string, string>, auth: SigV4Authorization, now: Date): Date {
  const raw = headers.get('x-amz-date');
  let time: Date | undefined;
  let stamp = raw;
  if (raw) {
    const m = AMZ_DATE_RE.exec(raw);
    if (m) time = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  } else if (headers.get('date')) {
    time = new Date(headers.get('date')!);
    stamp = time && !Number.isNaN(time.getTime()) ? fmt(time) : undefined;
  }
  if (!time || Number.isNaN(time.getTime()) || !stamp) {
    throw new SigV4Error('IncompleteSignatureException', 'Authorization header requires existence of either a \'X-Amz-Date\' or a \'Date\' header.');
  }
  if (stamp.slice(0, 8) !== auth.date) {
    throw new SigV4Error('InvalidSignatureException', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.date}' != '${stamp.slice(0, 8)}', from '${stamp}'.`);
  }
  const skew = time.getTime() - now.getTime();
  if (skew < -MAX_SKEW_MS) {
    throw new SigV4Error('InvalidSignatureException', `Signature expired: ${stamp} is now earlier than ${fmt(new Date(now.getTime() - MAX_SKEW_MS))} (${fmt(now)} - 15 min.)`);
  }
  if (skew > MAX_SKEW_MS) {
    throw new SigV4Error('InvalidSignatureException', `Signature not yet current: ${stamp} is still later than ${fmt(new Date(now.getTime() + MAX_SKEW_MS))} (${fmt(now)} + 15 min.)`);
  }
  return time;
}

/** RFC 3986 percent-encoding: everything but A-Z a-z 0-9 - _ . ~ */
export function encodeRfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalQuery(query: string): string {
  if (!query) return '';
  const pairs = query.split('&').filter(Boolean).map((p) => {
    const i = p.indexOf('=');
    const [k, v] = i < 0 ? [p, ''] : [p.slice(0, i), p.slice(i + 1)];
    const dec = (x: string) => decodeURIComponent(x.replace(/\+/g, ' '));
    return [encodeRfc3986(dec(k)), encodeRfc3986(dec(v))] as const;
  });
  pairs.sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** The canonical request of SigV4 (non-S3 rules: the path is encoded once more, per segment). */
export function canonicalRequest(req: SignedRequest, headers: Map<string, string>, signedHeaders: string[], payloadHash: string): string {
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const query = q < 0 ? '' : req.url.slice(q + 1);
  const uri = path.split('/').map(encodeRfc3986).join('/') || '/';
  const canonicalHeaders = signedHeaders.map((h) => `${h}:${headers.get(h) ?? ''}\n`).join('');
  return [req.method.toUpperCase(), uri, canonicalQuery(query), canonicalHeaders, signedHeaders.join(';'), payloadHash].join('\n');
}

/** The payload hash the signature covers; checks a declared x-amz-content-sha256. */
function payloadHash(req: SignedRequest, headers: Map<string, string>): string {
  const declared = headers.get('x-amz-content-sha256');
  if (declared === UNSIGNED_PAYLOAD) return UNSIGNED_PAYLOAD;
  const actual = sha256(req.body ?? Buffer.alloc(0));
  if (declared !== undefined && declared !== actual) {
    throw new SigV4Error('InvalidSignatureException', "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  return actual;
}

/**
 * Verifies the signature of `req` with `secret`. Call `requestTime` first for the clock check.
 * @throws SigV4Error InvalidSignatureException / IncompleteSignatureException
 */
export function verifySignature(req: SignedRequest, auth: SigV4Authorization, secret: string): void {
  const headers = headerMap(req.rawHeaders);
  const signed = auth.signedHeaders;
  if (!signed.includes('host')) throw new SigV4Error('InvalidSignatureException', "'Host' must be a 'SignedHeader' in the AWS Authorization.");
  if (!signed.includes('x-amz-date') && !signed.includes('date')) {
    throw new SigV4Error('InvalidSignatureException', "'X-Amz-Date' or 'Date' must be a 'SignedHeader' in the AWS Authorization.");
  }
  if (headers.has('x-amz-security-token') && !signed.includes('x-amz-security-token')) {
    throw new SigV4Error('InvalidSignatureException', "'X-Amz-Security-Token' must be a 'SignedHeader' in the AWS Authorization.");
  }
  const stamp = headers.get('x-amz-date') ?? fmt(new Date(headers.get('date') ?? ''));
  const canonical = canonicalRequest(req, headers, signed, payloadHash(req, headers));
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = [ALGORITHM, stamp, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, auth.date), auth.region), auth.service), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign, 'utf8').digest();
  const given = Buffer.from(auth.signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new SigV4Error(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  }
}
