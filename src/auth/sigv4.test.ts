import { describe, expect, it } from 'vitest';
import { headerMap, parseAuthorization, requestTime, SigV4Error, verifySignature, type SignedRequest } from './sigv4.js';

// The JS v3 DescribeEndpoint capture of the reference (docs: sagemaker-api.md §1.1.2).
const SECRET = 'probeSecretKey/0123456789abcdefEXAMPLE';
const BODY = Buffer.from('{"EndpointName":"my-endpoint"}');
const AUTH =
  'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLEPROBE/20261125/us-east-1/sagemaker/aws4_request, SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target;x-amz-user-agent, Signature=40fc0bec3e7117b054447aa62b6c900586a45002ba76db8323358d26bfff35e8';
const RAW_HEADERS = [
  'content-type', 'application/x-amz-json-1.1',
  'x-amz-target', 'SageMaker.DescribeEndpoint',
  'content-length', '30',
  'x-amz-user-agent', 'aws-sdk-js/3.1141.0',
  'user-agent', 'aws-sdk-js/3.1141.0 ua/2.1 os/linux#6.18.44-fc-v657 lang/js md/nodejs#20.20.2 api/sagemaker#3.1141.0 m/N,E,e',
  'host', '127.0.0.1:4599',
  'amz-sdk-invocation-id', '8040c5bc-58ef-4c6f-85d2-f8e6460af9c5',
  'amz-sdk-request', 'attempt=1; max=1',
  'x-amz-date', '20261125T201537Z',
  'x-amz-content-sha256', '630c70603c02eb84b16e881e7a580a946a072f523d8d83086dc473f50edf967f',
  'authorization', AUTH,
  'Connection', 'keep-alive',
];
const request = (over: Partial<SignedRequest> = {}): SignedRequest => ({ method: 'POST', url: '/', rawHeaders: RAW_HEADERS, body: BODY, ...over });
const NOW = new Date(Date.UTC(2026, 10, 25, 20, 15, 40));

const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof SigV4Error ? e.code : e;
  }
  return 'no error';
};

describe('SigV4 verification', () => {
  const auth = parseAuthorization(AUTH);

  it('parses the Authorization header', () => {
    expect(auth).toMatchObject({ accessKeyId: 'AKIDEXAMPLEPROBE', date: '20261125', region: 'us-east-1', service: 'sagemaker' });
    expect(auth.signedHeaders).toContain('x-amz-target');
  });

  it('accepts a request the JS SDK signed (known answer)', () => {
    expect(() => verifySignature(request(), auth, SECRET)).not.toThrow();
  });

  it('rejects a wrong secret, a tampered body and a tampered target', () => {
    expect(codeOf(() => verifySignature(request(), auth, SECRET + 'x'))).toBe('InvalidSignatureException');
    expect(codeOf(() => verifySignature(request({ body: Buffer.from('{"EndpointName":"my-endpoinT"}') }), auth, SECRET))).toBe('InvalidSignatureException');
    const tampered = RAW_HEADERS.map((v) => (v === 'SageMaker.DescribeEndpoint' ? 'SageMaker.DeleteEndpoint' : v));
    expect(codeOf(() => verifySignature(request({ rawHeaders: tampered }), auth, SECRET))).toBe('InvalidSignatureException');
  });

  it('checks the clock: 15 minutes either way, and the scope date', () => {
    const headers = headerMap(RAW_HEADERS);
    expect(requestTime(headers, auth, NOW).toISOString()).toBe('2026-11-25T20:15:37.000Z');
    expect(codeOf(() => requestTime(headers, auth, new Date(NOW.getTime() + 16 * 60_000)))).toBe('InvalidSignatureException');
    expect(codeOf(() => requestTime(headers, auth, new Date(NOW.getTime() - 16 * 60_000)))).toBe('InvalidSignatureException');
    expect(codeOf(() => requestTime(headers, { ...auth, date: '20261124' }, NOW))).toBe('InvalidSignatureException');
  });

  it('names a missing or malformed Authorization header', () => {
    expect(codeOf(() => parseAuthorization(undefined))).toBe('MissingAuthenticationTokenException');
    expect(codeOf(() => parseAuthorization('AWS4-HMAC-SHA256 Credential=x'))).toBe('IncompleteSignatureException');
  });

  it('requires host to be signed', () => {
    const noHost = { ...auth, signedHeaders: auth.signedHeaders.filter((h) => h !== 'host') };
    expect(codeOf(() => verifySignature(request(), noHost, SECRET))).toBe('InvalidSignatureException');
  });
});
