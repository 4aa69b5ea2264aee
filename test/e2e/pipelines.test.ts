/**
 * Pipelines through the public API and the SDK: processing (DuckDB SQL) → training → condition
 * on the job's final metrics → deploy, the endpoint answering; a second run reusing the cached
 * steps; a run whose condition is false leaving production untouched; retries of a failing step;
 * definitions refused at create (unknown reference, cycle); a dataset-version trigger; a script
 * processing step (Python, SageMaker Processing's contract) whose output a training step reads.
 */
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { pipeline as pipe } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { packDirectory } from '../../src/artifacts/archive.js';
import type { PipelineExecution } from '../../src/contracts/pipeline.js';
import { StratusClient } from '../../src/sdk/client.js';
import { condition, deploy, pipeline, processing, training } from '../../src/sdk/pipeline-builder.js';
import { DATASETS, startTestServer, TEST_TOKEN, waitFor, type TestServer } from '../helpers/server.js';

let server: TestServer;
let client: StratusClient;

async function json<T = Record<string, unknown>>(res: Response | Promise<Response>, status = 200): Promise<T> {
  const r = await res;
  const text = await r.text();
  expect(r.status, text).toBe(status);
  return (text ? JSON.parse(text) : undefined) as T;
}
const post = <T = Record<string, unknown>>(path: string, body: unknown, status = 201) => json<T>(server.api(`/api/v1${path}`, { method: 'POST', json: body }), status);
const get = <T = Record<string, unknown>>(path: string, status = 200) => json<T>(server.api(`/api/v1${path}`), status);

const upload = (name: string, body: string, header: boolean) =>
  json(server.api(`/api/v1/datasets/${name}?header=${header}`, {
    method: 'POST', headers: { 'content-type': 'text/csv' }, body: Readable.toWeb(Readable.from([Buffer.from(body)])) as ReadableStream, duplex: 'half',
  } as RequestInit), 201);

const ended = (id: string) => waitFor(() => get<PipelineExecution>(`/pipeline-executions/${id}`), (e) => !['Executing', 'Stopping'].includes(e.status), 120_000, 200);
const stepOf = (e: PipelineExecution, name: string) => e.steps.find((s) => s.name === name)!;

/** The retraining pipeline, built with the SDK's builder. */
const retrain = pipeline('retrain')
  .param('minAuc', 'number', 0.9)
  .param('endpoint', 'string', 'bc-ep')
  .step(processing('prep', {
    inputs: { raw: { dataset: 'bc' } },
    sql: 'SELECT * FROM raw WHERE column01 < 25',
    output: { dataset: 'bc-small' },
    cache: true,
  }))
  .step(training('train', {
    algorithm: 'linear-learner',
    hyperparameters: { predictor_type: 'binary_classifier', epochs: 5 },
    inputs: [
      { channel: 'train', dataset: { $step: 'prep', output: 'dataset' }, version: { $step: 'prep', output: 'version' } },
      { channel: 'validation', dataset: { $step: 'prep', output: 'dataset' }, version: { $step: 'prep', output: 'version' } },
    ],
  }, { cache: true }))
  .step(condition('good-enough', "steps.train.metrics['validation:roc_auc_score'] >= params.minAuc"))
  .step(deploy('deploy', { endpoint: { $param: 'endpoint' }, model: { $step: 'train', output: 'model' }, dependsOn: ['good-enough'] }))
  .build();

beforeAll(async () => {
  server = await startTestServer();
  client = new StratusClient({ url: server.url, token: TEST_TOKEN });
  await upload('bc', readFileSync(join(DATASETS, 'breast_cancer.csv'), 'utf8'), false);
}, 60_000);
afterAll(() => server?.stop());

describe('pipelines', () => {
  let first: PipelineExecution;

  it('processing → training → condition → deploy: the endpoint answers', async () => {
    const created = await client.pipelines.create(retrain);
    expect(created).toMatchObject({ name: 'retrain', version: 1, latestVersion: 1 });
    const started = await client.pipelines.start('retrain');
    expect(started.status).toBe('Executing');
    expect(started.parameters).toEqual({ minAuc: 0.9, endpoint: 'bc-ep' });
    first = await ended(started.name);
    expect(first.failureReason ?? '', JSON.stringify(first.steps)).toBe('');
    expect(first.status).toBe('Succeeded');
    expect(first.steps.map((s) => [s.name, s.status])).toEqual([['prep', 'Succeeded'], ['train', 'Succeeded'], ['good-enough', 'Succeeded'], ['deploy', 'Succeeded']]);
    const prep = stepOf(first, 'prep');
    expect(prep.outputs).toMatchObject({ dataset: 'bc-small', version: 1 });
    const filtered = readFileSync(join(DATASETS, 'breast_cancer.csv'), 'utf8').trim().split('\n').filter((l) => Number(l.split(',')[1]) < 25).length;
    expect(prep.outputs!.rows).toBe(filtered);
    const train = stepOf(first, 'train');
    expect(train.resources?.trainingJob).toBe(train.outputs!.trainingJob);
    expect(await get(`/training-jobs/${train.outputs!.trainingJob as string}`)).toMatchObject({ status: 'Completed', inputs: [{ dataset: 'bc-small', version: 1 }, { dataset: 'bc-small', version: 1 }] });
    expect(stepOf(first, 'good-enough').outputs).toEqual({ value: true });
    expect(stepOf(first, 'deploy').outputs).toMatchObject({ endpoint: 'bc-ep' });
    const res = await server.api('/endpoints/bc-ep/invocations', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: '17.99,10.38,122.8,1001,0.1184,0.2776,0.3001,0.1471,0.2419,0.07871,1.095,0.9053,8.589,153.4,0.006399,0.04904,0.05373,0.01587,0.03003,0.006193,25.38,17.33,184.6,2019,0.1622,0.6656,0.7119,0.2654,0.4601,0.1189' });
    expect(res.status).toBe(200);
    expect((await res.json() as { predictions: unknown[] }).predictions).toHaveLength(1);
  }, 90_000);

  it('a second run reuses the cached processing and training steps', async () => {
    const second = await ended((await client.pipelines.start('retrain')).name);
    expect(second.status).toBe('Succeeded');
    expect(stepOf(second, 'prep')).toMatchObject({ status: 'Succeeded', cachedFrom: first.name, outputs: stepOf(first, 'prep').outputs });
    expect(stepOf(second, 'train')).toMatchObject({ status: 'Succeeded', cachedFrom: first.name, outputs: stepOf(first, 'train').outputs });
    expect(stepOf(second, 'deploy').status).toBe('Succeeded');
    expect((await get<{ latestVersion: number }>('/datasets/bc-small')).latestVersion).toBe(1);
  }, 60_000);

  it('a false condition skips the deploy and leaves production untouched', async () => {
    const before = await get<{ config: string }>('/endpoints/bc-ep');
    const run = await ended((await post<PipelineExecution>('/pipelines/retrain/executions', { parameters: { minAuc: 1.01 } })).name);
    expect(run.status).toBe('Succeeded');
    expect(stepOf(run, 'good-enough').outputs).toEqual({ value: false });
    expect(stepOf(run, 'deploy')).toMatchObject({ status: 'Skipped', failureReason: "condition 'good-enough' was false" });
    expect((await get<{ config: string; status: string }>('/endpoints/bc-ep'))).toMatchObject({ config: before.config, status: 'InService' });
    const listed = await get<{ items: PipelineExecution[] }>('/pipelines/retrain/executions');
    expect(listed.items.map((e) => e.name)).toContain(run.name);
    expect(listed.items.find((e) => e.name === run.name)!.parameters).toEqual({ minAuc: 1.01, endpoint: 'bc-ep' });
  }, 60_000);

  it('retries a failing step, then fails the execution with its reason', async () => {
    await post('/pipelines', {
      name: 'broken',
      steps: [
        { name: 'bad-sql', type: 'processing', inputs: { raw: { dataset: 'bc' } }, sql: 'SELECT no_such_column FROM raw', output: { dataset: 'never' }, retry: { maxAttempts: 2, backoffSeconds: 0.1 } },
        { name: 'after', type: 'fail', message: 'unreachable', dependsOn: ['bad-sql'] },
      ],
    });
    const run = await ended((await post<PipelineExecution>('/pipelines/broken/executions', {})).name);
    expect(run.status).toBe('Failed');
    expect(run.failureReason).toMatch(/step 'bad-sql' failed: .*no_such_column/);
    expect(stepOf(run, 'bad-sql')).toMatchObject({ status: 'Failed', attempts: 2 });
    expect(stepOf(run, 'bad-sql').failureReason).toMatch(/after 2 attempts/);
    expect(stepOf(run, 'after').status).toBe('Skipped');
    // a fail step fails at once with its message
    await post('/pipelines', { name: 'stop-here', parameters: [{ name: 'why', type: 'string', default: 'no data' }], steps: [{ name: 'f', type: 'fail', message: { $param: 'why' }, retry: { maxAttempts: 3 } }] });
    const failed = await ended((await post<PipelineExecution>('/pipelines/stop-here/executions', {})).name);
    expect(failed).toMatchObject({ status: 'Failed', failureReason: "step 'f' failed: no data" });
    expect(stepOf(failed, 'f').attempts).toBe(1);
  }, 30_000);

  it('refuses definitions with unknown references or cycles, naming them', async () => {
    const bad = async (def: unknown, pattern: RegExp) => {
      const body = await json<{ error: { code: string; message: string } }>(server.api('/api/v1/pipelines', { method: 'POST', json: def }), 400);
      expect(body.error.code).toBe('ValidationError');
      expect(body.error.message).toMatch(pattern);
    };
    const fail = (name: string, extra: Record<string, unknown> = {}) => ({ name, type: 'fail', message: 'x', ...extra });
    await bad({ name: 'p1', steps: [fail('a', { message: { $param: 'missing' } })] }, /unknown parameter 'missing'/);
    await bad({ name: 'p2', steps: [fail('a', { message: { $step: 'ghost', output: 'value' } })] }, /unknown step 'ghost'/);
    await bad({ name: 'p3', steps: [fail('a', { dependsOn: ['b'] }), fail('b', { dependsOn: ['a'] })] }, /cycle: a → b → a/);
    await bad({ name: 'p4', steps: [{ name: 'c', type: 'condition', expression: 'steps.nope.value == 1' }] }, /unknown step 'nope'/);
    await bad({ name: 'p5', steps: [{ name: 'c', type: 'condition', expression: 'steps.c.value >= ' }] }, /invalid expression/);
    await bad({ name: 'p6', steps: [fail('a')], schedule: { cron: '99 * * * *' } }, /minute field '99'/);
    await bad({ name: 'p7', steps: [fail('a'), { name: 'b', type: 'fail', message: { $step: 'a', output: 'model' } }] }, /output 'model' of fail step 'a'/);
    await json(server.api('/api/v1/pipelines/p3'), 404);
  });

  it('accepts YAML and versions on PUT', async () => {
    const yaml = 'name: yaml-one\nparameters:\n  - { name: msg, type: string, default: hi }\nsteps:\n  - name: f\n    type: fail\n    message: { $param: msg }\n';
    const created = await json<{ version: number }>(server.api('/api/v1/pipelines', { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: yaml }), 201);
    expect(created.version).toBe(1);
    const updated = await json<{ version: number; definition: { steps: unknown[] } }>(server.api('/api/v1/pipelines/yaml-one', { method: 'PUT', json: { steps: [{ name: 'g', type: 'fail', message: 'v2' }] } }));
    expect(updated.version).toBe(2);
    expect((await get<{ version: number; definition: { steps: Array<{ name: string }> } }>('/pipelines/yaml-one?version=1')).definition.steps[0].name).toBe('f');
  });

  it('starts an execution when a dataset gets a new version', async () => {
    await client.pipelines.create(pipeline('on-new-data')
      .onDatasetVersion('fresh')
      .step(processing('copy', { inputs: { src: { dataset: 'fresh' } }, sql: 'SELECT * FROM src WHERE column0 > 1', output: { dataset: 'fresh-big' } }))
      .build());
    await upload('fresh', '1,2\n2,3\n3,4\n', false);
    const list = await waitFor(() => client.pipelines.executions('on-new-data'), (l) => l.items.length > 0, 10_000, 100);
    expect(list.items[0].trigger).toEqual({ type: 'dataset', dataset: 'fresh', version: 1 });
    const run = await ended(list.items[0].name);
    expect(run.status).toBe('Succeeded');
    expect(stepOf(run, 'copy').outputs).toMatchObject({ dataset: 'fresh-big', rows: 2 });
  }, 30_000);

  it('stops an execution: its running training job is stopped, the rest skipped', async () => {
    await client.pipelines.create(pipeline('long')
      .step(training('slow', { algorithm: 'linear-learner', hyperparameters: { predictor_type: 'binary_classifier', epochs: 100000 }, inputs: [{ channel: 'train', dataset: 'bc' }] }))
      .step(deploy('never', { endpoint: 'never-ep', model: { $step: 'slow', output: 'model' } }))
      .build());
    const started = await client.pipelines.start('long');
    const running = await waitFor(() => client.pipelines.execution(started.name), (e) => Boolean(stepOf(e, 'slow').resources?.trainingJob), 20_000, 100);
    const job = stepOf(running, 'slow').resources!.trainingJob;
    expect((await client.pipelines.stopExecution(started.name)).status).toBe('Stopping');
    const run = await ended(started.name);
    expect(run.status).toBe('Stopped');
    expect(stepOf(run, 'slow').status).toBe('Stopped');
    expect(stepOf(run, 'never').status).toBe('Skipped');
    expect((await get<{ status: string }>(`/training-jobs/${job}`)).status).toBe('Stopped');
  }, 60_000);
});

/** A Python processing script (SageMaker Processing's contract): filters rows, rescales the features, reports. */
const PREP_PY = `import argparse, csv, glob, json, os
p = argparse.ArgumentParser()
p.add_argument('--max-radius', type=float, required=True)
args = p.parse_args()
assert os.environ['SM_PROCESSING_INPUT_DIR'] == os.path.dirname(os.environ['SM_PROCESSING_INPUT_RAW'])
config = json.load(open(os.path.join(os.environ['SM_PROCESSING_CONFIG_DIR'], 'processingjobconfig.json')))
source = glob.glob(os.path.join(os.environ['SM_PROCESSING_INPUT_RAW'], '*.csv'))[0]
kept = 0
with open(source) as f, open(os.path.join(os.environ['SM_PROCESSING_OUTPUT_TRAIN'], 'train.csv'), 'w', newline='') as out:
    w = csv.writer(out)
    for row in csv.reader(f):
        if float(row[1]) >= args.max_radius:
            continue
        w.writerow([row[0]] + ['%.6f' % (float(v) / 100) for v in row[1:]])
        kept += 1
os.makedirs(os.path.join(os.environ['SM_PROCESSING_OUTPUT_REPORT'], 'stats'))
json.dump({'kept': kept, 'job': config['ProcessingJobName']}, open(os.path.join(os.environ['SM_PROCESSING_OUTPUT_REPORT'], 'stats', 'summary.json'), 'w'))
print('kept %d rows from %s' % (kept, os.path.basename(source)))
`;

/** Packs a folder holding `files` as a source bundle and uploads it; its URI. */
async function uploadBundle(path: string, files: Record<string, string>): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-bundle-'));
  mkdirSync(join(dir, 'src'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'src', name), text);
  await pipe(packDirectory(join(dir, 'src')), createWriteStream(join(dir, 'bundle.tar.gz')));
  return (await client.artifacts.upload(path, join(dir, 'bundle.tar.gz'))).uri;
}

describe('script processing steps', () => {
  it('a Python script filters and rescales a CSV into a dataset version; a training step reads it (as a dataset and as a prefix)', async () => {
    const source = await uploadBundle('sources/prep/sourcedir.tar.gz', { 'prep.py': PREP_PY });
    await client.pipelines.create(pipeline('script-prep')
      .param('maxRadius', 'string', '15')
      .step(processing('prep', {
        inputs: { raw: { dataset: 'bc' } },
        script: { source, entryPoint: 'prep.py', arguments: ['--max-radius', { $param: 'maxRadius' }] },
        outputs: { train: { dataset: 'bc-script' }, report: {} },
      }))
      .step(training('train', {
        algorithm: 'linear-learner',
        hyperparameters: { predictor_type: 'binary_classifier', epochs: 5 },
        inputs: [
          { channel: 'train', dataset: { $step: 'prep', output: 'dataset' }, version: { $step: 'prep', output: 'version' } },
          { channel: 'validation', artifactPrefix: { $step: 'prep', output: 'outputs.train.prefix' } },
        ],
      }))
      .build());
    const run = await ended((await client.pipelines.start('script-prep')).name);
    expect(run.failureReason ?? '', JSON.stringify(run.steps)).toBe('');
    expect(run.status).toBe('Succeeded');
    const prep = stepOf(run, 'prep');
    const raw = readFileSync(join(DATASETS, 'breast_cancer.csv'), 'utf8').trim().split('\n');
    const kept = raw.filter((l) => Number(l.split(',')[1]) < 15);
    const job = prep.outputs!.processingJob as string;
    expect(prep.resources).toMatchObject({ processingJob: job, dataset: 'bc-script:1' });
    expect(prep.outputs).toMatchObject({
      dataset: 'bc-script', version: 1, rows: kept.length,
      outputs: {
        train: { prefix: `processing-jobs/${job}/output/train/`, files: 1, dataset: 'bc-script', version: 1, rows: kept.length },
        report: { prefix: `processing-jobs/${job}/output/report/`, files: 1 },
      },
    });
    // filtered and transformed: the features divided by 100
    const firstKept = kept[0].split(',');
    const version = await get<{ header: boolean; rows: number }>('/datasets/bc-script/versions/1');
    expect(version).toMatchObject({ header: false, rows: kept.length });
    const stats = JSON.parse(await (await server.api(`/api/v1/artifacts/processing-jobs/${job}/output/report/stats/summary.json`)).text());
    expect(stats).toEqual({ kept: kept.length, job });
    const csvText = await (await server.api(`/api/v1/artifacts/processing-jobs/${job}/output/train/train.csv`)).text();
    expect(csvText.split('\n')[0].split(',').slice(0, 2)).toEqual([firstKept[0], (Number(firstKept[1]) / 100).toFixed(6)]);
    // the training step read the script's output through both channels
    const trained = await get<{ status: string; inputs: unknown[] }>(`/training-jobs/${stepOf(run, 'train').outputs!.trainingJob as string}`);
    expect(trained).toMatchObject({ status: 'Completed', inputs: [{ dataset: 'bc-script', version: 1 }, { artifactPrefix: `processing-jobs/${job}/output/train/` }] });
    // the step's log: what the script printed, with the platform's lines
    const log = await client.pipelines.stepLog(run.name, 'prep');
    expect(log).toContain(`==> processingJob ${job} <==`);
    expect(log).toContain(`kept ${kept.length} rows from bc-v1.csv`);
    expect(log).toMatch(/output 'train' is dataset bc-script version 1/);
    expect(await client.pipelines.stepLog(run.name, 'train')).toMatch(/==> trainingJob .*\n[\s\S]*job completed/);
  }, 90_000);

  it("fails the step with the script's output/message, else its exit status and last log lines", async () => {
    const source = await uploadBundle('sources/bad/sourcedir.tar.gz', {
      'message.sh': 'echo "checking input"\nprintf "ValueError: no rows left after filtering" > "$SM_OUTPUT_DIR/message"\nexit 3\n',
      'crash.py': 'import sys\nprint("about to fail")\nraise RuntimeError("boom in processing")\n',
      'two.py': 'import os\nfor n in ("a.csv", "b.csv"):\n    open(os.path.join(os.environ["SM_PROCESSING_OUTPUT_OUT"], n), "w").write("1,2\\n")\n',
    });
    const run = async (entryPoint: string, outputs: Record<string, unknown> = {}) => {
      const name = `bad-${entryPoint.replace('.', '-')}`;
      await post('/pipelines', { name, steps: [{ name: 'p', type: 'processing', inputs: {}, script: { source, entryPoint }, outputs }] });
      return ended((await post<PipelineExecution>(`/pipelines/${name}/executions`, {})).name);
    };
    const withMessage = await run('message.sh');
    expect(withMessage).toMatchObject({ status: 'Failed', failureReason: "step 'p' failed: ValueError: no rows left after filtering" });
    const crashed = await run('crash.py');
    expect(crashed.failureReason).toMatch(/AlgorithmError: the processing script exited with code 1; the last lines of its log:[\s\S]*RuntimeError: boom in processing/);
    expect(await client.pipelines.stepLog(crashed.name, 'p')).toContain('about to fail');
    const two = await run('two.py', { out: { dataset: 'never-made' } });
    expect(two.failureReason).toMatch(/ClientError: output 'out' holds 2 files; a dataset version is one file/);
  }, 60_000);

  it('refuses malformed script processing steps, naming the field', async () => {
    const bad = async (step: Record<string, unknown>, extra: Array<Record<string, unknown>>, pattern: RegExp, field?: string) => {
      const body = await json<{ error: { code: string; message: string; details?: { field?: string } } }>(
        server.api('/api/v1/pipelines', { method: 'POST', json: { name: 'bad-script', steps: [{ name: 'p', type: 'processing', inputs: {}, ...step }, ...extra] } }), 400);
      expect(body.error.message).toMatch(pattern);
      if (field) expect(body.error.details?.field).toBe(field);
    };
    const script = { source: 'uploads/sources/prep/sourcedir.tar.gz', entryPoint: 'prep.py' };
    await bad({ sql: 'SELECT 1', output: { dataset: 'x' }, script }, [], /give either sql .* or script/, 'sql');
    await bad({ script: { source: script.source } }, [], /exactly one of entryPoint .* and command/, 'script.entryPoint');
    await bad({ script: { ...script, entryPoint: '../prep.py' } }, [], /relative path/, 'script.entryPoint');
    await bad({ script, inputs: { raw: { dataset: 'bc', artifactPrefix: 'x/' } } }, [], /exactly one of dataset and artifactPrefix/, 'inputs.raw');
    await bad({ script, environment: { SM_X: '1' } }, [], /reserved/, 'environment');
    await bad({ script, outputs: { a: {} } }, [{ name: 't', type: 'fail', message: { $step: 'p', output: 'outputs.b.prefix' } }], /has no output named 'b'/);
    await bad({ script, outputs: { a: { dataset: 'x' }, b: { dataset: 'y' } } }, [{ name: 't', type: 'fail', message: { $step: 'p', output: 'dataset' } }], /2 dataset outputs: use outputs\.<name>\.dataset/);
    await bad({ sql: 'SELECT 1', output: { dataset: 'x' } }, [{ name: 't', type: 'fail', message: { $step: 'p', output: 'processingJob' } }], /only a script step has/);
  });
});

describe('pipelines CLI', () => {
  async function stratus(...args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = {
      stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) },
      stdin: Object.assign(Readable.from([]), { isTTY: true }), env: {}, cwd: tmpdir(),
    };
    const code = await main(['node', 'stratus', '--url', server.url, '--token', TEST_TOKEN, ...args], io);
    return { code, stdout: out.join(''), stderr: err.join('') };
  }

  it('creates from a file, runs with -p and --wait, and prints the per-step table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stratus-pipeline-'));
    const file = join(dir, 'pipeline.yaml');
    writeFileSync(file, [
      'name: cli-pipe',
      'parameters: [{ name: limit, type: integer, default: 3 }]',
      'steps:',
      '  - { name: head, type: processing, inputs: { raw: { dataset: bc } }, sql: "SELECT * FROM raw LIMIT 5", output: { dataset: bc-head } }',
      '  - { name: check, type: condition, expression: "steps.head.rows >= params.limit" }',
      '  - { name: nope, type: fail, message: too few rows, dependsOn: [check] }',
    ].join('\n'));
    expect(await stratus('pipelines', 'create', '-f', file)).toMatchObject({ code: 0, stdout: 'created pipeline cli-pipe (version 1)\n' });
    const ok = await stratus('pipelines', 'run', 'cli-pipe', '-p', 'limit=10', '--wait');
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/head: Succeeded/);
    expect(ok.stdout).toMatch(/nope\s+fail\s+Skipped/);
    const bad = await stratus('pipelines', 'run', 'cli-pipe', '--wait');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/Failed: step 'nope' failed: too few rows/);
    const list = await stratus('pipelines', 'executions', 'cli-pipe');
    expect(list.stdout.trim().split('\n')).toHaveLength(3);
    const id = list.stdout.trim().split('\n')[1].split(/\s+/)[0];
    expect((await stratus('pipelines', 'execution', id)).stdout).toMatch(/STEP\s+TYPE\s+STATUS/);
    expect((await stratus('pipelines', 'list')).stdout).toMatch(/cli-pipe/);
  }, 30_000);

  it('packs and uploads a script folder named in the definition file; logs shows the step log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stratus-pipeline-'));
    mkdirSync(join(dir, 'code'));
    writeFileSync(join(dir, 'code', 'count.py'), 'import glob, os\nrows = sum(1 for f in glob.glob(os.environ["SM_PROCESSING_INPUT_DATA"] + "/*") for _ in open(f))\nprint("rows:", rows)\n');
    writeFileSync(join(dir, 'pipeline.yaml'), [
      'name: cli-script',
      'steps:',
      '  - { name: count, type: processing, inputs: { data: { dataset: bc } }, script: { source: ./code, entryPoint: count.py } }',
    ].join('\n'));
    expect(await stratus('pipelines', 'create', '-f', join(dir, 'pipeline.yaml'))).toMatchObject({ code: 0, stdout: 'created pipeline cli-script (version 1)\n' });
    const def = (await client.pipelines.get('cli-script')).definition as { steps: Array<{ script: { source: string } }> };
    expect(def.steps[0].script.source).toMatch(/uploads\/sources\/cli-script-count\/sourcedir\.tar\.gz$/);
    const ran = await stratus('pipelines', 'run', 'cli-script', '--wait');
    expect(ran.code, ran.stderr).toBe(0);
    const id = (await client.pipelines.executions('cli-script')).items[0].name;
    const logs = await stratus('pipelines', 'logs', id, 'count');
    expect(logs.stdout).toContain(`rows: ${readFileSync(join(DATASETS, 'breast_cancer.csv'), 'utf8').trim().split('\n').length}`);
  }, 30_000);
});
