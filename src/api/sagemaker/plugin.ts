import type { FastifyPluginAsync } from 'fastify';
import type { Platform } from '../../platform.js';
import type { OpContext } from './context.js';
import { AwsError } from './errors.js';
import { OPERATIONS } from './operations.js';
import { check } from './shape.js';

/**
 * The internal path of the control plane. `buildApp`'s `rewriteUrl` sends every POST that
 * carries `X-Amz-Target` here, whatever base path the SDK's endpoint URL had (`/`, `/sm`,
 * `/sm/`); SigV4 is verified on the URL as received (`request.originalUrl`).
 */
export const CONTROL_PLANE_PATH = '/_aws/sagemaker';

const TARGET_RE = /^SageMaker\.([A-Za-z]+)$/;

/** Reads `X-Amz-Target`. @throws AwsError UnknownOperationException */
function operationOf(target: string | string[] | undefined) {
  const m = typeof target === 'string' ? TARGET_RE.exec(target) : null;
  const op = m && Object.hasOwn(OPERATIONS, m[1]) ? OPERATIONS[m[1]] : undefined;
  if (!m || !op) {
    // The message names the operation so a user sees what is missing (docs list what exists).
    throw new AwsError('UnknownOperationException', `Operation ${m ? m[1] : String(target)} is not supported by Stratus; see docs/sagemaker-compatibility.md for the supported operations.`);
  }
  return { name: m[1], op };
}

function parseBody(body: unknown): Record<string, unknown> {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : '';
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AwsError('SerializationException', 'The request body is not valid JSON.');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new AwsError('SerializationException', 'The request body must be a JSON object.');
  return parsed as Record<string, unknown>;
}

/** The SageMaker control plane on the AWS JSON 1.1 protocol. Auth (SigV4) runs before, in the auth plugin. */
export const sagemakerRoutes: FastifyPluginAsync<{ platform: Platform; bodyLimit: number }> = async (app, { platform, bodyLimit }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));

  app.post(CONTROL_PLANE_PATH, { schema: { hide: true }, bodyLimit }, async (request, reply) => {
    const { name, op } = operationOf(request.headers['x-amz-target']);
    const aws = request.aws;
    if (!aws) throw new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
    if (!op.readOnly && aws.key.role !== 'admin') {
      throw new AwsError('AccessDeniedException', `User: ${aws.key.accessKeyId} is not authorized to perform: sagemaker:${name} (a ${aws.key.role} access key may call Describe* and List* operations only).`);
    }
    const input = parseBody(request.body);
    check(op.input, input, '');
    const ctx: OpContext = { platform, region: aws.region, role: aws.key.role };
    const output = await op.run(input, ctx);
    return reply.code(200).header('x-amzn-RequestId', request.id).type('application/x-amz-json-1.1').send(JSON.stringify(output));
  });
};
