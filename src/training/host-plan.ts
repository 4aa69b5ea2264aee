import type { S3Settings } from '../core/config.js';
import type { HostInput, OutputKeys } from './host-io.js';
import type { NormalizedTrainingJobSpec } from './job-spec.js';

/**
 * Everything a cluster host needs to run its part of a training job, and nothing of the server's
 * secrets: the spec, channels resolved to artifact keys, where the store is (its URL and S3
 * connection settings without credentials: hosts use their own, from the AWS SDK's chain), the
 * keys to write, and the job's own API access. It travels inside the Slurm job's environment
 * (`STRATUS_HOST_PLAN`, base64 JSON), so no shared filesystem is needed.
 */
export interface HostPlan {
  job: string;
  arn: string;
  attempt: number;
  spec: NormalizedTrainingJobSpec;
  inputs: HostInput[];
  artifactUrl: string;
  s3: Omit<S3Settings, 'accessKeyId' | 'secretAccessKey'>;
  keys: OutputKeys;
  /** Prefix of this attempt's host logs and failure reasons. */
  hostsPrefix: string;
  python: string;
  cpusPerHost: number;
  /** Folder on each host under which the job folder is built. */
  workDir: string;
  /** STRATUS_API_URL and STRATUS_JOB_TOKEN, when the platform grants them. */
  apiEnv: Record<string, string>;
  /**
   * TCP port algo-1 listens on for the hosts of a data-parallel built-in algorithm
   * (src/algorithms/distributed); random per attempt, given to the training process as
   * `STRATUS_COLLECTIVE_PORT`.
   */
  collectivePort: number;
}

export const HOST_PLAN_ENV = 'STRATUS_HOST_PLAN';

export const encodeHostPlan = (p: HostPlan) => Buffer.from(JSON.stringify(p)).toString('base64');
export const decodeHostPlan = (s: string) => JSON.parse(Buffer.from(s, 'base64').toString('utf8')) as HostPlan;

/** Where an attempt's host logs and failure reasons go in the store. */
export const hostsPrefix = (job: string, attempt: number) => `training-jobs/${job}/hosts/attempt-${attempt}`;
