import { isPlatformError, httpStatusOf } from '../../core/errors.js';
import { ACCOUNT } from './context.js';
import { AwsError, toAwsError } from './errors.js';

/** Runtime request headers Stratus cannot honour: refused by name rather than ignored. */
const UNSUPPORTED_HEADERS: Record<string, string> = {
  'x-amzn-sagemaker-target-model': 'multi-model endpoints are not available',
  'x-amzn-sagemaker-target-container-hostname': 'multi-container endpoints are not available',
  'x-amzn-sagemaker-enable-explanations': 'Clarify explanations are not available',
  'x-amzn-sagemaker-inference-component': 'inference components are not available',
  'x-amzn-sagemaker-session-id': 'stateful sessions are not available',
};

/** @throws AwsError ValidationError naming an unsupported runtime header. */
export function checkRuntimeHeaders(headers: Record<string, string | string[] | undefined>) {
  for (const [h, reason] of Object.entries(UNSUPPORTED_HEADERS)) {
    if (headers[h] !== undefined) throw new AwsError('ValidationError', `Header ${h} is not supported by Stratus: ${reason}.`);
  }
}

/** Errors of the model (bad payload, unsupported content type) as the runtime's ModelError (424). */
const MODEL_FAULTS = new Set(['ValidationError', 'UnsupportedMediaType', 'NotAcceptable', 'ModelError', 'ModelTimeout']);

/** Translates an invocation error into the runtime's error shapes (reference §3.1 "Runtime errors"). */
export function runtimeError(e: unknown, endpoint: string): AwsError {
  if (isPlatformError(e) && e.code === 'NotFound' && (e.details as { kind?: string } | undefined)?.kind === 'endpoint') {
    return new AwsError('ValidationError', `Endpoint ${endpoint} of account ${ACCOUNT} not found.`);
  }
  if (isPlatformError(e) && e.code === 'ValidationError' && (e.details as { variant?: string } | undefined)?.variant !== undefined) {
    return new AwsError('ValidationError', `${e.message} (X-Amzn-SageMaker-Target-Variant).`);
  }
  if (isPlatformError(e) && MODEL_FAULTS.has(e.code)) {
    const original = httpStatusOf(e.code);
    const kind = original >= 500 ? 'server' : 'client';
    return new AwsError('ModelError', `Received ${kind} error (${original}) from primary with message "${e.message}". See the endpoint's log in Stratus for more information.`, 424, {
      OriginalStatusCode: original,
      OriginalMessage: e.message,
      LogStreamArn: `arn:aws:logs:local:${ACCOUNT}:log-group:/aws/sagemaker/Endpoints/${endpoint}`,
    });
  }
  return toAwsError(e, 'rest-json');
}
