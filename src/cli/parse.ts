import { InvalidArgumentError } from 'commander';
import type { ProductionVariant } from '../sdk/index.js';

// These run as commander argument parsers: an InvalidArgumentError becomes a usage error naming the option.

/** Collects a repeatable option's values. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Collects repeated `key=value` options (e.g. `--hp`; SageMaker passes hyperparameters as strings). */
export const collectKeyValue = (value: string, previous: [string, string][] = []) => [...previous, keyValue(value)];

/** Collects repeated `--variant` options. */
export const collectVariant = (value: string, previous: ProductionVariant[] = []) => [...previous, variant(value)];

/** `--max-runtime 3600` and friends: a whole number ≥ 1. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1.');
  return n;
}

/** `key=value` → `[key, value]` (the value may itself hold `=`). */
export function keyValue(text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq < 1) throw new InvalidArgumentError(`expected key=value, got '${text}'.`);
  return [text.slice(0, eq).trim(), text.slice(eq + 1).trim()];
}

/** A dataset and optionally one of its versions. */
export interface DatasetRef {
  dataset: string;
  version?: number;
}

/** `name` or `name:version`. */
export function datasetRef(text: string): DatasetRef {
  const m = /^([^:]+)(?::(\d+))?$/.exec(text);
  if (!m) throw new InvalidArgumentError(`expected <dataset> or <dataset>:<version>, got '${text}'.`);
  return m[2] ? { dataset: m[1], version: Number(m[2]) } : { dataset: m[1] };
}

const VARIANT_KEYS = new Set(['name', 'model', 'weight', 'count', 'type']);

/** `name=v1,model=m1,weight=0.5,count=1,type=ml.m5.large` → a production variant. */
export function variant(text: string): ProductionVariant {
  const spec = Object.fromEntries(text.split(',').map(keyValue));
  const unknown = Object.keys(spec).filter((k) => !VARIANT_KEYS.has(k));
  if (unknown.length) throw new InvalidArgumentError(`unknown variant key ${unknown.join(', ')}; use ${[...VARIANT_KEYS].join(', ')}.`);
  if (!spec.name || !spec.model) throw new InvalidArgumentError(`a variant needs name= and model=, got '${text}'.`);
  const v: ProductionVariant = { name: spec.name, model: spec.model };
  if (spec.weight !== undefined) v.weight = number(spec.weight, 'weight');
  if (spec.count !== undefined) v.instanceCount = positiveInt(spec.count);
  if (spec.type !== undefined) v.instanceType = spec.type;
  return v;
}

function number(text: string, what: string): number {
  const n = Number(text);
  if (text === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${what} must be a number ≥ 0, got '${text}'.`);
  return n;
}
