import { AwsError, constraintError, validationException } from './errors.js';

/*
 * Input shapes of the SageMaker operations, checked the way SageMaker does (the JS SDK validates
 * nothing, boto3 little): required members, lengths, patterns, enums, ranges, with SageMaker's
 * own message format. Members Stratus does not implement are refused by name (`unsupported`),
 * never dropped, and so are members no shape declares.
 */

interface Common {
  required?: boolean;
  /** Present → ValidationException naming the member and this reason. */
  unsupported?: string;
}
export type Shape = Common &
  (
    | { t: 'string'; min?: number; max?: number; pattern?: string; enum?: readonly string[] }
    | { t: 'int' | 'float'; min?: number; max?: number }
    | { t: 'bool' }
    | { t: 'timestamp' }
    | { t: 'list'; of: Shape; min?: number; max?: number }
    | { t: 'map'; key?: Shape; value: Shape; max?: number }
    | { t: 'struct'; members: Record<string, Shape> }
    /** Accepted and echoed as given, not interpreted (documented as such). */
    | { t: 'opaque' }
  );

type StringOptions = Common & { min?: number; max?: number; pattern?: string; enum?: readonly string[] };
type NumberOptions = Common & { min?: number; max?: number };
export const str = (o: StringOptions = {}): Shape => ({ t: 'string', ...o });
export const int = (o: NumberOptions = {}): Shape => ({ t: 'int', ...o });
export const float = (o: NumberOptions = {}): Shape => ({ t: 'float', ...o });
export const bool = (o: Common = {}): Shape => ({ t: 'bool', ...o });
export const timestamp = (o: Common = {}): Shape => ({ t: 'timestamp', ...o });
export const list = (of: Shape, o: Common & { min?: number; max?: number } = {}): Shape => ({ t: 'list', of, ...o });
export const map = (value: Shape, o: Common & { key?: Shape; max?: number } = {}): Shape => ({ t: 'map', value, ...o });
export const struct = (members: Record<string, Shape>, o: Common = {}): Shape => ({ t: 'struct', members, ...o });
export const opaque = (o: Common = {}): Shape => ({ t: 'opaque', ...o });
export const req = (s: Shape): Shape => ({ ...s, required: true });
export const unsupported = (reason: string): Shape => ({ t: 'opaque', unsupported: reason });

/** Common member shapes (sagemaker-shapes.md). */
export const NAME = '^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$';
export const MODEL_NAME = '^[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?$';
export const name = (o: Common = {}) => str({ max: 63, pattern: NAME, ...o });
export const listInput = (sortBy: readonly string[], extra: Record<string, Shape> = {}) => ({
  SortBy: str({ enum: sortBy }),
  SortOrder: str({ enum: ['Ascending', 'Descending'] }),
  NextToken: str({ max: 8192 }),
  MaxResults: int({ min: 1, max: 100 }),
  NameContains: str({ max: 63, pattern: '^[a-zA-Z0-9\\-]+$' }),
  CreationTimeBefore: timestamp(),
  CreationTimeAfter: timestamp(),
  ...extra,
});
const TAG_TEXT = '^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$';
export const tags = list(struct({ Key: req(str({ min: 1, max: 128, pattern: TAG_TEXT })), Value: req(str({ max: 256, pattern: TAG_TEXT })) }), { max: 50 });

const camel = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
const describeType = (v: unknown) => (Array.isArray(v) ? 'list' : v === null ? 'null' : typeof v);

function typeError(path: string, expected: string, value: unknown): AwsError {
  return new AwsError('SerializationException', `Expected ${expected} at '${path}', got ${describeType(value)}.`);
}

/** Checks `value` against `shape`; `path` is SageMaker's camelCase member path. @throws AwsError */
export function check(shape: Shape, value: unknown, path: string): void {
  if (value === undefined || value === null) {
    if (shape.required) throw validationException(`1 validation error detected: Value null at '${path}' failed to satisfy constraint: Member must not be null`);
    return;
  }
  if (shape.unsupported) throw validationException(`'${path}' is not supported by Stratus: ${shape.unsupported}. Remove it from the request.`);
  switch (shape.t) {
    case 'string': {
      if (typeof value !== 'string') throw typeError(path, 'a string', value);
      if (shape.min !== undefined && value.length < shape.min) throw constraintError(value, path, `Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && value.length > shape.max) throw constraintError(value, path, `Member must have length less than or equal to ${shape.max}`);
      if (shape.pattern && !new RegExp(shape.pattern, 'u').test(value)) throw constraintError(value, path, `Member must satisfy regular expression pattern: ${shape.pattern}`);
      if (shape.enum && !shape.enum.includes(value)) throw constraintError(value, path, `Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
      return;
    }
    case 'int':
    case 'float': {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw typeError(path, 'a number', value);
      if (shape.t === 'int' && !Number.isInteger(value)) throw typeError(path, 'an integer', value);
      if (shape.min !== undefined && value < shape.min) throw constraintError(String(value), path, `Member must have value greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && value > shape.max) throw constraintError(String(value), path, `Member must have value less than or equal to ${shape.max}`);
      return;
    }
    case 'bool':
      if (typeof value !== 'boolean') throw typeError(path, 'a boolean', value);
      return;
    case 'timestamp':
      if (typeof value !== 'number' && !(typeof value === 'string' && Number.isFinite(Number(value)))) throw typeError(path, 'epoch seconds', value);
      return;
    case 'list': {
      if (!Array.isArray(value)) throw typeError(path, 'a list', value);
      if (shape.min !== undefined && value.length < shape.min) throw constraintError(value, path, `Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && value.length > shape.max) throw constraintError(value, path, `Member must have length less than or equal to ${shape.max}`);
      value.forEach((item, i) => check({ ...shape.of, required: true }, item, `${path}.${i + 1}.member`));
      return;
    }
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) throw typeError(path, 'a map', value);
      const entries = Object.entries(value as Record<string, unknown>);
      if (shape.max !== undefined && entries.length > shape.max) throw constraintError(value, path, `Member must have length less than or equal to ${shape.max}`);
      for (const [k, v] of entries) {
        if (shape.key) check(shape.key, k, `${path}.${k}.key`);
        check({ ...shape.value, required: true }, v, `${path}.${k}.value`);
      }
      return;
    }
    case 'struct': {
      if (typeof value !== 'object' || Array.isArray(value)) throw typeError(path, 'a structure', value);
      const obj = value as Record<string, unknown>;
      for (const k of Object.keys(obj)) {
        if (!Object.hasOwn(shape.members, k)) {
          throw validationException(`'${k}' at '${path}' is not a member Stratus knows for this operation; it is refused rather than ignored.`);
        }
      }
      for (const [k, member] of Object.entries(shape.members)) check(member, obj[k], path ? `${path}.${camel(k)}` : camel(k));
      return;
    }
    case 'opaque':
      return;
  }
}
