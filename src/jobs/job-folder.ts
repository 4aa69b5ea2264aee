import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';

/** The SageMaker-style `/opt/ml` layout of one job's working folder. */
export interface JobFolder {
  root: string;
  inputDir: string;
  configDir: string;
  dataDir: string;
  codeDir: string;
  modelDir: string;
  outputDir: string;
  outputDataDir: string;
  failureFile: string;
  checkpointsDir: string;
  logFile: string;
}

/**
 * @param logFile where the server keeps the job's log; the training service puts it beside the
 *   folder (`<root>.log`), out of the job's reach.
 */
export function jobFolder(root: string, logFile = join(root, 'job.log')): JobFolder {
  const inputDir = join(root, 'input');
  const outputDir = join(root, 'output');
  return {
    root,
    inputDir,
    configDir: join(inputDir, 'config'),
    dataDir: join(inputDir, 'data'),
    codeDir: join(root, 'code'),
    modelDir: join(root, 'model'),
    outputDir,
    outputDataDir: join(outputDir, 'data'),
    failureFile: join(outputDir, 'failure'),
    checkpointsDir: join(root, 'checkpoints'),
    logFile,
  };
}

export const channelDir = (folder: JobFolder, channel: string) => join(folder.dataDir, channel);

export interface ChannelConfig {
  name: string;
  contentType?: string;
  /** S3DistributionType: `FullyReplicated` (default) or `ShardedByS3Key`. */
  distribution?: 'FullyReplicated' | 'ShardedByS3Key';
}

export interface JobContractInput {
  jobName: string;
  hyperparameters: Record<string, string>;
  channels: ChannelConfig[];
  instanceType: string;
  hosts: string[];
  currentHost: string;
  /** CPUs the job may use on this host. */
  cpus: number;
  /** The interface the hosts reach each other on (resourceconfig.json). @defaultValue `lo` (one host) */
  networkInterface?: string;
  /** Each host's address, when the hosts are machines of a cluster (a Stratus addition: `host_addresses`). */
  hostAddresses?: Record<string, string>;
  /**
   * With `hostAddresses`: the port on the master host that distributed frameworks rendezvous on
   * (`MASTER_PORT`, beside `MASTER_ADDR` = the master's address, as SageMaker's PyTorch container sets them).
   */
  masterPort?: number;
  /** The job's ARN (TRAINING_JOB_ARN). */
  jobArn?: string;
  /** Folder the job's checkpoints go to (SM_CHECKPOINT_DIR). @defaultValue `<folder>/checkpoints` */
  checkpointDir?: string;
  /** A script job's code: where it came from, what runs, and its arguments. */
  script?: {
    /** URI of the source bundle (SM_MODULE_DIR). */
    moduleDir: string;
    /** The entry point, or the command's program (SM_USER_ENTRY_POINT). */
    entryPoint: string;
    /** The hyperparameters as arguments (SM_USER_ARGS). */
    userArgs: string[];
  };
}

/** Creates the folder tree and writes the three config files SageMaker writes. */
export async function prepareJobFolder(folder: JobFolder, c: JobContractInput): Promise<void> {
  // The server's alone until handed over: no other job's user may look in while it is filled.
  await mkdir(folder.root, { recursive: true, mode: 0o700 });
  for (const dir of [folder.configDir, folder.dataDir, folder.codeDir, folder.modelDir, folder.outputDataDir, folder.checkpointsDir]) {
    await mkdir(dir, { recursive: true });
  }
  for (const ch of c.channels) await mkdir(channelDir(folder, ch.name), { recursive: true });
  const json = (v: unknown) => JSON.stringify(v, null, 1);
  await writeFile(join(folder.configDir, 'hyperparameters.json'), json(c.hyperparameters));
  await writeFile(join(folder.configDir, 'resourceconfig.json'), json(resourceConfig(c)));
  await writeFile(join(folder.configDir, 'inputdataconfig.json'), json(inputDataConfig(c.channels)));
}

function resourceConfig(c: JobContractInput) {
  const hosts = [...c.hosts].sort();
  return {
    current_host: c.currentHost,
    current_instance_type: c.instanceType,
    current_group_name: 'homogeneousCluster',
    hosts,
    instance_groups: [{ instance_group_name: 'homogeneousCluster', instance_type: c.instanceType, hosts }],
    network_interface_name: c.networkInterface ?? 'lo',
    ...(c.hostAddresses ? { host_addresses: c.hostAddresses } : {}),
  };
}

function inputDataConfig(channels: ChannelConfig[]) {
  return Object.fromEntries(
    channels.map((ch) => [
      ch.name,
      {
        ...(ch.contentType ? { ContentType: ch.contentType } : {}),
        TrainingInputMode: 'File',
        S3DistributionType: ch.distribution ?? 'FullyReplicated',
        RecordWrapperType: 'None',
      },
    ]),
  );
}

/** Value as SageMaker's toolkit writes it into SM_* variables: strings as-is, the rest as compact JSON. */
const envValue = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** Parses a hyperparameter the way the toolkit does: JSON when it parses, the raw string otherwise. */
function parseHyperparameter(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** Hyperparameter keys the toolkit keeps for itself (reference §4.4): not the script's. */
const isFrameworkParam = (key: string) => key.startsWith('sagemaker_') || key === '_tuning_objective_metric';

/**
 * The SM_* environment SageMaker's training toolkit gives a training script (reference §4.3),
 * plus `SM_CHECKPOINT_DIR` (where checkpoints go; SageMaker scripts hard-code /opt/ml/checkpoints).
 */
export function trainingEnvironment(folder: JobFolder, c: JobContractInput): Record<string, string> {
  const parsed = Object.entries(c.hyperparameters).map(([k, v]) => [k, parseHyperparameter(v)] as const);
  const hps = Object.fromEntries(parsed.filter(([k]) => !isFrameworkParam(k)));
  const frameworkParams = Object.fromEntries(parsed.filter(([k]) => isFrameworkParam(k)));
  const channelNames = c.channels.map((ch) => ch.name).sort();
  const hosts = [...c.hosts].sort();
  const resource = resourceConfig(c);
  const script = c.script;
  const moduleName = script ? script.entryPoint.replace(/\.py$/, '') : '';
  const env: Record<string, unknown> = {
    SM_MODEL_DIR: folder.modelDir,
    SM_INPUT_DIR: folder.inputDir,
    SM_INPUT_CONFIG_DIR: folder.configDir,
    SM_OUTPUT_DIR: folder.outputDir,
    SM_OUTPUT_DATA_DIR: folder.outputDataDir,
    SM_OUTPUT_INTERMEDIATE_DIR: join(folder.outputDir, 'intermediate'),
    SM_CHECKPOINT_DIR: c.checkpointDir ?? folder.checkpointsDir,
    SM_CHANNELS: channelNames,
    SM_HOSTS: hosts,
    SM_CURRENT_HOST: c.currentHost,
    SM_CURRENT_INSTANCE_TYPE: c.instanceType,
    SM_CURRENT_INSTANCE_GROUP: 'homogeneousCluster',
    SM_CURRENT_INSTANCE_GROUP_HOSTS: hosts,
    SM_INSTANCE_GROUPS: ['homogeneousCluster'],
    SM_INSTANCE_GROUPS_DICT: { homogeneousCluster: resource.instance_groups[0] },
    SM_DISTRIBUTION_INSTANCE_GROUPS: [],
    SM_IS_HETERO: false,
    SM_NUM_CPUS: Math.min(c.cpus, cpus().length),
    SM_NUM_GPUS: 0,
    SM_NUM_NEURONS: 0,
    SM_NETWORK_INTERFACE_NAME: resource.network_interface_name,
    SM_LOG_LEVEL: 20,
    SM_HPS: hps,
    SM_FRAMEWORK_PARAMS: frameworkParams,
    SM_FRAMEWORK_MODULE: '',
    SM_RESOURCE_CONFIG: resource,
    SM_INPUT_DATA_CONFIG: inputDataConfig(c.channels),
    ...(script
      ? {
          SM_MODULE_DIR: script.moduleDir,
          SM_MODULE_NAME: moduleName,
          SM_USER_ENTRY_POINT: script.entryPoint,
          SM_USER_ARGS: script.userArgs,
        }
      : {}),
  };
  for (const ch of channelNames) env[`SM_CHANNEL_${ch.toUpperCase()}`] = channelDir(folder, ch);
  for (const [k, v] of Object.entries(hps)) env[`SM_HP_${k.toUpperCase()}`] = v;
  env.SM_TRAINING_ENV = {
    // Every SM_* variable under its lower-case name, then the toolkit's own property names.
    ...Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('SM_')).map(([k, v]) => [k.slice(3).toLowerCase(), v])),
    additional_framework_parameters: frameworkParams,
    channel_input_dirs: Object.fromEntries(channelNames.map((ch) => [ch, channelDir(folder, ch)])),
    hyperparameters: hps,
    is_master: c.currentHost === hosts[0],
    job_name: c.jobName,
    master_hostname: hosts[0],
    module_dir: script?.moduleDir ?? '',
    module_name: moduleName,
    user_entry_point: script?.entryPoint ?? '',
  };
  Object.assign(env, {
    TRAINING_JOB_NAME: c.jobName,
    ...(c.jobArn ? { TRAINING_JOB_ARN: c.jobArn } : {}),
    SAGEMAKER_JOB_NAME: c.jobName,
    CURRENT_HOST: c.currentHost,
    ...distributedEnvironment(c, hosts[0]),
    // The toolkit puts the code folder on the import path.
    ...(script ? { PYTHONPATH: folder.codeDir } : {}),
  });
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, envValue(v)]));
}

/**
 * MASTER_ADDR and MASTER_PORT for `torch.distributed` (env:// or tcp:// rendezvous), set on every
 * host of a cluster job. SageMaker's PyTorch container sets MASTER_ADDR=algo-1, a name its network
 * resolves; on a cluster the master's address stands in for it.
 */
function distributedEnvironment(c: JobContractInput, master: string): Record<string, string> {
  const address = c.hostAddresses?.[master];
  if (!address || c.masterPort === undefined) return {};
  return { MASTER_ADDR: address, MASTER_PORT: String(c.masterPort) };
}
