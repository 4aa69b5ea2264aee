import { validationError } from '../core/errors.js';
import type { HyperparameterSpec } from './algorithm.js';

/** A hyperparameter spec that can also express open interval ends. */
export interface ParamSpec extends HyperparameterSpec {
  /** `min` itself is not allowed. */
  exclusiveMin?: boolean;
  /** `max` itself is not allowed. */
  exclusiveMax?: boolean;
}

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Human description of a spec's valid values, e.g. "an integer ≥ 1" or "a number in (0, 1) or 'auto'". */
export function describeRange(s: ParamSpec): string {
  if (s.type === 'boolean') return "'true' or 'false'";
  if (s.type === 'string') return s.enum ? `one of ${s.enum.map((e) => `'${e}'`).join(', ')}` : 'a string';
  const what = s.type === 'integer' ? 'an integer' : 'a number';
  let range = '';
  if (s.min !== undefined && s.max !== undefined) {
    range = s.type === 'integer' && !s.exclusiveMin && !s.exclusiveMax
      ? ` from ${s.min} to ${s.max}`
      : ` in ${s.exclusiveMin ? '(' : '['}${s.min}, ${s.max}${s.exclusiveMax ? ')' : ']'}`;
  } else if (s.min !== undefined) range = ` ${s.exclusiveMin ? '>' : '≥'} ${s.min}`;
  else if (s.max !== undefined) range = ` ${s.exclusiveMax ? '<' : '≤'} ${s.max}`;
  const extra = (s.enum ?? []).map((e) => ` or '${e}'`).join('');
  return `${what}${range}${extra}`;
}

function invalid(s: ParamSpec, raw: string) {
  const validRange = describeRange(s);
  return validationError(`hyperparameter '${s.name}' must be ${validRange}, got '${raw}'`, { field: s.name, validRange });
}

/** Checks one raw value against its spec; returns its canonical string. */
export function normalizeValue(s: ParamSpec, raw: string): string {
  const text = String(raw).trim();
  const lower = text.toLowerCase();
  if (s.type === 'boolean') {
    if (lower === 'true' || lower === 'false') return lower;
    throw invalid(s, raw);
  }
  if (s.enum?.includes(lower)) return lower;
  if (s.type === 'string' && s.enum === undefined) return text;
  if (s.type === 'string' || !NUMBER_RE.test(text)) throw invalid(s, raw);
  const v = Number(text);
  if (!Number.isFinite(v) || (s.type === 'integer' && !Number.isInteger(v))) throw invalid(s, raw);
  if (s.min !== undefined && (s.exclusiveMin ? v <= s.min : v < s.min)) throw invalid(s, raw);
  if (s.max !== undefined && (s.exclusiveMax ? v >= s.max : v > s.max)) throw invalid(s, raw);
  return String(v);
}

/**
 * Checks raw (string) hyperparameters against an algorithm's specs and fills in defaults.
 * @throws ValidationError naming the field and its valid range, for unknown names and bad values.
 */
export function normalizeHyperparameters(algorithm: string, specs: readonly ParamSpec[], raw: Record<string, string>): Record<string, string> {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    const s = byName.get(name);
    if (!s) throw validationError(`unknown hyperparameter '${name}' for ${algorithm}; known: ${[...byName.keys()].join(', ')}`, { field: name });
    out[name] = normalizeValue(s, value);
  }
  for (const s of specs) {
    if (out[s.name] === undefined && s.default !== undefined) out[s.name] = s.default;
  }
  return out;
}
