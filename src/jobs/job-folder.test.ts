import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jobFolder, prepareJobFolder, trainingEnvironment } from './job-folder.js';

const contract = {
  jobName: 'j1',
  hyperparameters: { epochs: '10', 'learning-rate': '0.001', optimizer: 'adam', layers: '[64, 32]' },
  channels: [{ name: 'validation' }, { name: 'train', contentType: 'text/csv' }],
  instanceType: 'ml.m5.xlarge',
  hosts: ['algo-1'],
  currentHost: 'algo-1',
  cpus: 2,
};

describe('the job contract', () => {
  it('lays out the folder and config files as SageMaker does', async () => {
    const folder = jobFolder(mkdtempSync(join(tmpdir(), 'job-')));
    await prepareJobFolder(folder, contract);
    for (const d of ['input/config', 'input/data/train', 'input/data/validation', 'model', 'output/data', 'checkpoints']) {
      expect(existsSync(join(folder.root, d)), d).toBe(true);
    }
    const hps = JSON.parse(readFileSync(join(folder.configDir, 'hyperparameters.json'), 'utf8'));
    expect(hps).toEqual(contract.hyperparameters);
    const rc = JSON.parse(readFileSync(join(folder.configDir, 'resourceconfig.json'), 'utf8'));
    expect(rc).toMatchObject({ current_host: 'algo-1', hosts: ['algo-1'], current_instance_type: 'ml.m5.xlarge' });
    const dc = JSON.parse(readFileSync(join(folder.configDir, 'inputdataconfig.json'), 'utf8'));
    expect(dc.train).toEqual({ ContentType: 'text/csv', TrainingInputMode: 'File', S3DistributionType: 'FullyReplicated', RecordWrapperType: 'None' });
    expect(dc.validation.ContentType).toBeUndefined();
  });

  it('sets the SM_* environment of the training toolkit', () => {
    const folder = jobFolder('/opt/ml');
    const env = trainingEnvironment(folder, contract);
    expect(env).toMatchObject({
      SM_MODEL_DIR: '/opt/ml/model',
      SM_CHANNELS: '["train","validation"]',
      SM_CHANNEL_TRAIN: '/opt/ml/input/data/train',
      SM_HP_EPOCHS: '10',
      'SM_HP_LEARNING-RATE': '0.001',
      SM_HP_OPTIMIZER: 'adam',
      SM_HP_LAYERS: '[64,32]',
      SM_HOSTS: '["algo-1"]',
      SM_CURRENT_HOST: 'algo-1',
      SM_OUTPUT_DATA_DIR: '/opt/ml/output/data',
      SM_NUM_GPUS: '0',
    });
    expect(JSON.parse(env.SM_HPS)).toEqual({ epochs: 10, 'learning-rate': 0.001, optimizer: 'adam', layers: [64, 32] });
    expect(JSON.parse(env.SM_TRAINING_ENV).hosts).toEqual(['algo-1']);
  });

  it("gives every host of a cluster job MASTER_ADDR (the master host's address) and MASTER_PORT; one local host gets neither", () => {
    const folder = jobFolder('/opt/ml');
    const cluster = { ...contract, hosts: ['algo-1', 'algo-2'], currentHost: 'algo-2', networkInterface: 'eth0', hostAddresses: { 'algo-1': '10.0.0.1', 'algo-2': '10.0.0.2' }, masterPort: 29512 };
    const env = trainingEnvironment(folder, cluster);
    expect(env).toMatchObject({ MASTER_ADDR: '10.0.0.1', MASTER_PORT: '29512', SM_CURRENT_HOST: 'algo-2', SM_NETWORK_INTERFACE_NAME: 'eth0' });
    expect(JSON.parse(env.SM_RESOURCE_CONFIG).host_addresses).toEqual(cluster.hostAddresses);
    const local = trainingEnvironment(folder, contract);
    expect(local.MASTER_ADDR).toBeUndefined();
    expect(local.MASTER_PORT).toBeUndefined();
  });

  it('describes a script job as the toolkit does, keeping sagemaker_* hyperparameters out of SM_HPS', () => {
    const folder = jobFolder('/opt/ml');
    const env = trainingEnvironment(folder, {
      ...contract,
      hyperparameters: { ...contract.hyperparameters, sagemaker_program: '"train.py"' },
      script: { moduleDir: 'file:///a/sourcedir.tar.gz', entryPoint: 'train.py', userArgs: ['--epochs', '10'] },
    });
    expect(env).toMatchObject({
      SM_MODULE_DIR: 'file:///a/sourcedir.tar.gz',
      SM_MODULE_NAME: 'train',
      SM_USER_ENTRY_POINT: 'train.py',
      SM_USER_ARGS: '["--epochs","10"]',
      SM_FRAMEWORK_PARAMS: '{"sagemaker_program":"train.py"}',
      SM_CHECKPOINT_DIR: '/opt/ml/checkpoints',
      SM_INPUT_DIR: '/opt/ml/input',
      SM_INPUT_CONFIG_DIR: '/opt/ml/input/config',
      SM_OUTPUT_DIR: '/opt/ml/output',
      SM_OUTPUT_INTERMEDIATE_DIR: '/opt/ml/output/intermediate',
      SM_LOG_LEVEL: '20',
      PYTHONPATH: '/opt/ml/code',
    });
    expect(env.SM_HP_SAGEMAKER_PROGRAM).toBeUndefined();
    expect(JSON.parse(env.SM_RESOURCE_CONFIG).current_host).toBe('algo-1');
    expect(JSON.parse(env.SM_INPUT_DATA_CONFIG).train.ContentType).toBe('text/csv');
    const training = JSON.parse(env.SM_TRAINING_ENV);
    expect(training).toMatchObject({ job_name: 'j1', user_entry_point: 'train.py', module_name: 'train', channel_input_dirs: { train: '/opt/ml/input/data/train' } });
    expect(training.hyperparameters).not.toHaveProperty('sagemaker_program');
  });
});
