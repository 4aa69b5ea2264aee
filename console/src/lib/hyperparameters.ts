import type { AlgorithmInfo } from '../../../src/sdk/types.js';

export type HpSpec = AlgorithmInfo['hyperparameters'][number];

const range = (s: HpSpec) =>
  s.min !== undefined && s.max !== undefined ? ` between ${s.min} and ${s.max}` : s.min !== undefined ? ` of at least ${s.min}` : s.max !== undefined ? ` of at most ${s.max}` : '';
const orWords = (s: HpSpec) => (s.enum?.length ? ` (or ${s.enum.join(', ')})` : '');

/** Checks one hyperparameter value against the API's spec; returns a message, or '' when valid. */
export function validateHyperparameter(spec: HpSpec, raw: string): string {
  const v = raw.trim();
  if (v === '') return spec.required ? 'Required.' : '';
  if (spec.enum?.includes(v)) return '';
  if (spec.type === 'integer' || spec.type === 'float') {
    const n = Number(v);
    if (!Number.isFinite(n) || (spec.type === 'integer' && !/^[+-]?\d+$/.test(v))) return `Enter ${spec.type === 'integer' ? 'a whole number' : 'a number'}${range(spec)}${orWords(spec)}.`;
    if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) return `Must be${range(spec)}.`;
    return '';
  }
  if (spec.type === 'boolean') return v === 'true' || v === 'false' ? '' : 'Enter true or false.';
  if (spec.enum?.length) return `Choose one of: ${spec.enum.join(', ')}.`;
  return '';
}
