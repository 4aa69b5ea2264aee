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

export function jobFolder(root: string): JobFolder {
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
    logFile: join(root, 'job.log'),
  };
}

export const channelDir = (folder: JobFolder, channel: string) => join(folder.dataDir, channel);

export interface ChannelConfig {
  name: string;
  contentType?: string;
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
}

/** Creates the folder tree and writes the three config files SageMaker writes. */
export async function prepareJobFolder(folder: JobFolder, c: JobContractInput): Promise<void> {
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
    network_interface_name: 'lo',
  };
}

function inputDataConfig(channels: ChannelConfig[]) {
  return Object.fromEntries(
    channels.map((ch) => [
      ch.name,
      {
        ...(ch.contentType ? { ContentType: ch.contentType } : {}),
        TrainingInputMode: 'File',
        S3DistributionType: 'FullyReplicated',
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

/** The SM_* environment SageMaker's training toolkit gives a training script. */
export function trainingEnvironment(folder: JobFolder, c: JobContractInput): Record<string, string> {
  const hps = Object.fromEntries(Object.entries(c.hyperparameters).map(([k, v]) => [k, parseHyperparameter(v)]));
  const channelNames = c.channels.map((ch) => ch.name).sort();
  const hosts = [...c.hosts].sort();
  const env: Record<string, unknown> = {
    SM_MODEL_DIR: folder.modelDir,
    SM_INPUT_DIR: folder.inputDir,
    SM_INPUT_CONFIG_DIR: folder.configDir,
    SM_OUTPUT_DIR: folder.outputDir,
    SM_OUTPUT_DATA_DIR: folder.outputDataDir,
    SM_OUTPUT_INTERMEDIATE_DIR: join(folder.outputDir, 'intermediate'),
    SM_CHANNELS: channelNames,
    SM_HOSTS: hosts,
    SM_CURRENT_HOST: c.currentHost,
    SM_CURRENT_INSTANCE_TYPE: c.instanceType,
    SM_CURRENT_INSTANCE_GROUP: 'homogeneousCluster',
    SM_CURRENT_INSTANCE_GROUP_HOSTS: hosts,
    SM_INSTANCE_GROUPS: ['homogeneousCluster'],
    SM_IS_HETERO: false,
    SM_NUM_CPUS: Math.min(c.cpus, cpus().length),
    SM_NUM_GPUS: 0,
    SM_NUM_NEURONS: 0,
    SM_NETWORK_INTERFACE_NAME: 'lo',
    SM_LOG_LEVEL: 20,
    SM_HPS: hps,
    SM_RESOURCE_CONFIG: resourceConfig(c),
    SM_INPUT_DATA_CONFIG: inputDataConfig(c.channels),
    TRAINING_JOB_NAME: c.jobName,
    SAGEMAKER_JOB_NAME: c.jobName,
    CURRENT_HOST: c.currentHost,
  };
  for (const ch of channelNames) env[`SM_CHANNEL_${ch.toUpperCase()}`] = channelDir(folder, ch);
  for (const [k, v] of Object.entries(hps)) env[`SM_HP_${k.toUpperCase()}`] = v;
  env.SM_TRAINING_ENV = Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('SM_')).map(([k, v]) => [k.slice(3).toLowerCase(), v]));
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, envValue(v)]));
}
