import { describe, expect, it } from 'vitest';
import { scriptCommand, toCmdArgs } from './script-command.js';

const base = { userArgs: ['--epochs', '10'], python: '/usr/bin/python3', node: '/usr/bin/node' };

describe('scriptCommand', () => {
  it('picks the interpreter by the entry point', () => {
    expect(scriptCommand({ ...base, entryPoint: 'train.py' })).toEqual({ command: '/usr/bin/python3', args: ['train.py', '--epochs', '10'], executable: false });
    expect(scriptCommand({ ...base, entryPoint: 'src/train.mjs' }).command).toBe('/usr/bin/node');
    expect(scriptCommand({ ...base, entryPoint: 'train.js' }).args).toEqual(['train.js', '--epochs', '10']);
    expect(scriptCommand({ ...base, entryPoint: 'train.sh' })).toMatchObject({ command: '/bin/sh', args: ['train.sh', '--epochs', '10'] });
    expect(scriptCommand({ ...base, entryPoint: 'bin/train' })).toEqual({ command: './bin/train', args: ['--epochs', '10'], executable: true });
  });

  it('runs a TypeScript entry point with node and the TypeScript loader', () => {
    const launch = scriptCommand({ ...base, entryPoint: 'train.mts', tsLoader: 'file:///x/tsx/loader.mjs' });
    expect(launch).toEqual({ command: '/usr/bin/node', args: ['--import', 'file:///x/tsx/loader.mjs', 'train.mts', '--epochs', '10'], executable: false });
    expect(() => scriptCommand({ ...base, entryPoint: 'train.ts' })).toThrow(/TypeScript loader/);
  });

  it('runs an explicit command as given, without hyperparameter arguments', () => {
    expect(scriptCommand({ ...base, command: ['python3', '-u', 'main.py'] })).toEqual({ command: 'python3', args: ['-u', 'main.py'], executable: false });
  });
});

describe('toCmdArgs', () => {
  it('writes hyperparameters as the SageMaker training toolkit does', () => {
    const hps = {
      epochs: '10', 'learning-rate': '0.001', optimizer: '"adam"', use_bn: 'true', layers: '[64, 32]', plain: 'abc', k: '3',
      sagemaker_program: '"train.py"', sagemaker_submit_directory: '"s3://b/x.tar.gz"',
    };
    expect(toCmdArgs(hps)).toEqual([
      '--epochs', '10', '-k', '3', '--layers', '[64, 32]', '--learning-rate', '0.001', '--optimizer', 'adam', '--plain', 'abc', '--use_bn', 'True',
    ]);
  });

  it('prints dicts as k=v pairs and nested strings with Python quotes', () => {
    expect(toCmdArgs({ d: '{"a": 1, "b": "x"}', l: '["a", null, false]' })).toEqual(['-d', 'a=1,b=x', '-l', "['a', None, False]"]);
  });
});
