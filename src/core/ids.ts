import { randomBytes, randomUUID } from 'node:crypto';

/** Resource names: SageMaker's pattern, so the same names work on both. */
export const NAME_PATTERN = '^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$';
const NAME_RE = new RegExp(NAME_PATTERN);

export const isValidName = (name: string) => NAME_RE.test(name);

export type ResourceKind = 'dataset' | 'training-job' | 'model' | 'endpoint-config' | 'endpoint' | 'transform-job' | 'evaluation-job' | 'model-package-group' | 'model-package' | 'monitoring-baseline' | 'monitoring-schedule';

/** ARN-like id, so a stray id in a log shows its kind and name. */
export const arnOf = (kind: ResourceKind, name: string, project = 'default') =>
  `arn:stratus:${project}:${kind}/${name}`;

export const newRequestId = () => randomUUID();

/** A short random suffix for temporary names. */
export const randomSuffix = (bytes = 6) => randomBytes(bytes).toString('hex');
