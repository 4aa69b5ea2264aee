import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { validationException } from './errors.js';

/**
 * Checks a native request built from a SageMaker one against the native contract, as the native
 * route would (the services trust their callers to have done so).
 * @throws ValidationException naming the native field and the SageMaker member it came from.
 */
export function checkNative(schema: TSchema, value: unknown, what: string): void {
  const first = Value.Errors(schema, value).First();
  if (!first) return;
  const field = first.path.replace(/^\//, '').replaceAll('/', '.') || '(request)';
  throw validationException(`${what}: the value at '${field}' of the request Stratus derived from it ${first.message.toLowerCase()}.`);
}
