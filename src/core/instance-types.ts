import { validationError } from './errors.js';

/** What an instance type claims from the executor: vCPUs and memory. */
export interface InstanceType {
  readonly name: string;
  readonly cpus: number;
  readonly memoryMiB: number;
  readonly gpus: number;
}

const GiB = 1024;
const families: Array<[string, Array<[string, number, number, number?]>]> = [
  ['ml.t3', [['medium', 2, 4], ['large', 2, 8], ['xlarge', 4, 16], ['2xlarge', 8, 32]]],
  ['ml.m5', [['large', 2, 8], ['xlarge', 4, 16], ['2xlarge', 8, 32], ['4xlarge', 16, 64], ['12xlarge', 48, 192], ['24xlarge', 96, 384]]],
  ['ml.c5', [['large', 2, 4], ['xlarge', 4, 8], ['2xlarge', 8, 16], ['4xlarge', 16, 32], ['9xlarge', 36, 72], ['18xlarge', 72, 144]]],
  ['ml.r5', [['large', 2, 16], ['xlarge', 4, 32], ['2xlarge', 8, 64], ['4xlarge', 16, 128]]],
  ['ml.g5', [['xlarge', 4, 16, 1], ['2xlarge', 8, 32, 1], ['4xlarge', 16, 64, 1], ['12xlarge', 48, 192, 4]]],
  ['ml.p3', [['2xlarge', 8, 61, 1], ['8xlarge', 32, 244, 4], ['16xlarge', 64, 488, 8]]],
];

/** The catalog of instance types the platform accepts, by name. */
export const INSTANCE_TYPES: ReadonlyMap<string, InstanceType> = new Map(
  families.flatMap(([family, sizes]) =>
    sizes.map(([size, cpus, mem, gpus]) => {
      const name = `${family}.${size}`;
      return [name, Object.freeze({ name, cpus, memoryMiB: mem * GiB, gpus: gpus ?? 0 })] as const;
    }),
  ),
);

export const DEFAULT_INSTANCE_TYPE = 'ml.m5.large';

export function instanceType(name: string): InstanceType {
  const t = INSTANCE_TYPES.get(name);
  if (!t) {
    throw validationError(`unknown instance type '${name}'; known types include ml.m5.large, ml.c5.xlarge, ml.g5.xlarge`, {
      field: 'instanceType',
      known: [...INSTANCE_TYPES.keys()],
    });
  }
  return t;
}
