import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../context.js';
import { main } from '../main.js';
import { trainRequest } from './train.js';

async function run(args: string[]) {
  const err: string[] = [];
  const io: CliIo = {
    stdout: { write: () => undefined },
    stderr: { write: (s: string) => err.push(s) },
    stdin: Object.assign(Readable.from([]), { isTTY: true }),
    env: {},
    cwd: tmpdir(),
  };
  const code = await main(['node', 'stratus', '--url', 'http://127.0.0.1:1', '--token', 'tk', ...args], io);
  return { code, stderr: err.join('') };
}

describe('stratus train with a script', () => {
  it('builds a script job request from the flags', () => {
    const request = trainRequest(
      'j1',
      {
        source: './src', entryPoint: 'train.py', train: { dataset: 'bc' }, hp: [['epochs', '5']],
        metric: [['loss', 'loss=([0-9.]+)']], env: [['MODE', 'fast']], checkpointPrefix: 'checkpoints/j', retryOf: 'j0',
      },
      'file:///a/uploads/sources/j1/sourcedir.tar.gz',
    );
    expect(request).toEqual({
      name: 'j1',
      inputs: [{ channel: 'train', dataset: 'bc' }],
      hyperparameters: { epochs: '5' },
      script: { source: 'file:///a/uploads/sources/j1/sourcedir.tar.gz', entryPoint: 'train.py' },
      metricDefinitions: [{ name: 'loss', regex: 'loss=([0-9.]+)' }],
      environment: { MODE: 'fast' },
      checkpointConfig: { artifactPrefix: 'checkpoints/j' },
      retryOf: 'j0',
    });
  });

  it('refuses both or neither of --algorithm and --source, and --source without --entry-point', async () => {
    for (const args of [['--algorithm', 'xgboost', '--source', '.'], [], ['--source', '.']]) {
      const res = await run(['train', 'j1', '--train', 'bc', ...args]);
      expect(res.code, res.stderr).toBe(2);
      expect(res.stderr).toMatch(/--algorithm|--entry-point/);
    }
  });

  it('refuses a --source that is neither a local path nor a URI', async () => {
    const res = await run(['train', 'j1', '--source', 'no/such/dir', '--entry-point', 'train.py']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("--source 'no/such/dir' is neither a local folder or file nor an artifact URI");
  });
});
