/**
 * Model runtimes end to end over HTTP: ONNX (exported by PyTorch, and by our own XGBoost
 * exporter), your own server (`container`), and SageMaker inference-toolkit handlers (`python`).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packDirectory } from '../../src/artifacts/archive.js';
import { toOnnx } from '../../src/algorithms/xgboost/onnx.js';
import { compileForest, predict } from '../../src/algorithms/xgboost/predict.js';
import { handBuiltModel, handBuiltRows } from '../../src/algorithms/xgboost/testdata/hand-built.js';
import { spinOnnx } from '../../src/serving/testdata/spin-onnx.js';
import { DATASETS, startTestServer, waitFor, type TestServer } from '../helpers/server.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/runtimes/', import.meta.url));
const PYTHON = '/usr/bin/python3';
const BREAST_CANCER = join(DATASETS, 'breast_cancer.csv');
const pythonHas = (module: string) => spawnSync(PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0;
const HAS_TORCH = pythonHas('torch');
const HAS_SKLEARN = pythonHas('sklearn');
const TIMEOUT_MS = 1500;

let server: TestServer;
let work: string;

beforeAll(async () => {
  process.env.STRATUS_PROBE_SECRET = 'must-not-reach-a-model';
  server = await startTestServer({ invocationTimeoutMs: TIMEOUT_MS });
  work = await mkdtemp(join(tmpdir(), 'runtimes-'));
});
afterAll(async () => {
  delete process.env.STRATUS_PROBE_SECRET;
  await server?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function json<T = Record<string, unknown>>(res: Response | Promise<Response>, status = 200): Promise<T> {
  const r = await res;
  const text = await r.text();
  expect(r.status, text).toBe(status);
  return (text ? JSON.parse(text) : undefined) as T;
}

async function upload(path: string, body: Uint8Array): Promise<string> {
  const res = await json<{ uri: string }>(server.api(`/api/v1/artifacts/uploads/${path}`, { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream' } }), 201);
  return res.uri;
}

async function tarGz(dir: string): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of packDirectory(dir)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A folder under the test's work folder holding `files` (name → content, or a path to copy). */
function folder(name: string, files: Record<string, string | { copy: string }>): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    if (typeof content === 'string') writeFileSync(join(dir, file), content);
    else cpSync(content.copy, join(dir, file));
  }
  return dir;
}

/** Model → config → endpoint, waited on until InService. */
async function deploy(name: string, model: Record<string, unknown>, instanceCount = 1) {
  await json(server.api('/api/v1/models', { method: 'POST', json: { name, ...model } }), 201);
  await json(server.api('/api/v1/endpoint-configs', { method: 'POST', json: { name, variants: [{ name: 'AllTraffic', model: name, instanceCount }] } }), 201);
  await json(server.api('/api/v1/endpoints', { method: 'POST', json: { name, config: name } }), 201);
  const endpoint = await waitFor(() => json<{ status: string; failureReason?: string }>(server.api(`/api/v1/endpoints/${name}`)), (e) => e.status !== 'Creating', 60_000);
  expect(endpoint.failureReason).toBeUndefined();
  expect(endpoint.status).toBe('InService');
}

const invoke = (endpoint: string, body: string | Uint8Array, headers: Record<string, string> = { 'content-type': 'text/csv' }) =>
  server.api(`/endpoints/${endpoint}/invocations`, { method: 'POST', body, headers });

const statusOf = async (endpoint: string) => (await json<{ status: string }>(server.api(`/api/v1/endpoints/${endpoint}`))).status;
const csv = (rows: number[][]) => rows.map((r) => r.join(',')).join('\n');

describe('creating models of each runtime', () => {
  it('says what to give when a runtime misses or gets the wrong fields', async () => {
    const uri = await upload('validation/model.onnx', new Uint8Array([1, 2, 3]));
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ artifactUri: uri }, /artifactUri with how to serve it: algorithm .*or runtime 'onnx', 'container' or 'python'/],
      [{ artifactUri: uri, runtime: 'onnx', algorithm: 'xgboost' }, /algorithm is not used by runtime 'onnx'; it applies to runtime 'builtin'/],
      [{ artifactUri: uri, runtime: 'container' }, /runtime 'container' needs how to start your server: entryPoint .* or command/],
      [{ artifactUri: uri, runtime: 'container', entryPoint: 'serve.py' }, /needs source: the .tar.gz of your code/],
      [{ artifactUri: uri, runtime: 'python', entryPoint: 'serve.sh' }, /handler module, a .py file/],
      [{ artifactUri: uri, runtime: 'python', environment: { STRATUS_TOKEN: 'x' } }, /environment variable 'STRATUS_TOKEN' cannot be set/],
      [{ artifactUri: uri, runtime: 'python', source: uri.replace('model.onnx', 'nothing-here.tar.gz') }, /source: artifact .* not found; upload it/],
      [{ artifactUri: uri, runtime: 'gpu' }, /runtime/],
    ];
    for (const [body, message] of cases) {
      const res = await json<{ error: { code: string; message: string } }>(server.api('/api/v1/models', { method: 'POST', json: { name: 'bad-model', ...body } }), 400);
      expect(res.error.message).toMatch(message);
    }
  });
});

describe.skipIf(!HAS_TORCH)(`an ONNX model exported by PyTorch ${HAS_TORCH ? '' : '(skipped: /usr/bin/python3 cannot import torch; apt-get install python3-torch)'}`, () => {
  let expected: { rows: number[][]; probability: number[] };

  beforeAll(async () => {
    const out = folder('torch', {});
    const run = spawnSync(PYTHON, [join(FIXTURES, 'torch_export.py'), BREAST_CANCER, out], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expected = JSON.parse(readFileSync(join(out, 'expected.json'), 'utf8'));
    const uri = await upload('tests/torch/model.onnx', readFileSync(join(out, 'model.onnx')));
    await deploy('torch-onnx', { artifactUri: uri, runtime: 'onnx' });
    const dynamic = await upload('tests/torch-dynamic/model.onnx', readFileSync(join(out, 'dynamic.onnx')));
    await deploy('torch-dynamic', { artifactUri: dynamic, runtime: 'onnx' });
  });

  it("answers as torch does, within 1e-5, as JSON and CSV", async () => {
    const body = await json<{ predictions: Array<{ probability: number[] }> }>(invoke('torch-onnx', csv(expected.rows)));
    expect(body.predictions).toHaveLength(expected.rows.length);
    body.predictions.forEach((p, i) => expect(Math.abs(p.probability[0] - expected.probability[i])).toBeLessThan(1e-5));
    const lines = (await (await invoke('torch-onnx', csv(expected.rows.slice(0, 3)), { 'content-type': 'text/csv', accept: 'text/csv' })).text()).trim().split('\n');
    lines.forEach((l, i) => expect(Math.abs(Number(l) - expected.probability[i])).toBeLessThan(1e-5));
    const named = await json<{ predictions: Array<{ probability: number[] }> }>(
      invoke('torch-onnx', JSON.stringify({ inputs: { input: expected.rows.slice(0, 2) } }), { 'content-type': 'application/json' }),
    );
    expect(Math.abs(named.predictions[1].probability[0] - expected.probability[1])).toBeLessThan(1e-5);
  });

  it('refuses a row of the wrong length with the shape it expects, and stays InService', async () => {
    const rows = [expected.rows[0], expected.rows[1].slice(1)];
    const res = await json<{ error: { code: string; message: string } }>(invoke('torch-onnx', csv(rows)), 400);
    expect(res.error.message).toBe("model expects 30 values per row (input 'input' float32 [N,30]); row 2 has 29 values, expected 30");
    expect(await statusOf('torch-onnx')).toBe('InService');
    await json(invoke('torch-onnx', csv(expected.rows.slice(0, 1))));
  });

  it('answers ModelError naming the variant when ONNX Runtime itself fails, and stays InService', async () => {
    const res = await json<{ error: { code: string; message: string; details: Record<string, unknown> } }>(
      invoke('torch-dynamic', JSON.stringify({ inputs: { input: [expected.rows[0].slice(1)] } }), { 'content-type': 'application/json' }),
      424,
    );
    expect(res.error.code).toBe('ModelError');
    expect(res.error.message).toMatch(/^variant 'AllTraffic' \(model 'torch-dynamic'\): the ONNX model failed: /);
    expect(res.error.details).toMatchObject({ variant: 'AllTraffic', model: 'torch-dynamic' });
    expect(await statusOf('torch-dynamic')).toBe('InService');
    const ok = await json<{ predictions: Array<{ probability: number[] }> }>(
      invoke('torch-dynamic', JSON.stringify({ inputs: { input: [expected.rows[0]] } }), { 'content-type': 'application/json' }),
    );
    expect(Math.abs(ok.predictions[0].probability[0] - expected.probability[0])).toBeLessThan(1e-5);
  });
});

describe('an ONNX model exported by our XGBoost exporter, inside a model.tar.gz', () => {
  it('answers label and probabilities per row, as our own predictor does', async () => {
    const model = handBuiltModel('binary:logistic');
    const dir = folder('xgb-onnx', {});
    writeFileSync(join(dir, 'booster.onnx'), toOnnx(model));
    const uri = await upload('tests/xgb/model.tar.gz', await tarGz(dir));
    await deploy('xgb-onnx', { artifactUri: uri, runtime: 'onnx' });

    const all = handBuiltRows();
    const rows: number[][] = [];
    for (let i = 0; i < all.length; i += 3) if (!all.subarray(i, i + 3).some(Number.isNaN)) rows.push(Array.from(all.subarray(i, i + 3)));
    const ours = predict(compileForest(model), Float32Array.from(rows.flat()));
    const body = await json<{ predictions: Array<{ label: number; probabilities: number[] }> }>(invoke('xgb-onnx', csv(rows)));
    body.predictions.forEach((p, i) => {
      expect(Math.abs(p.probabilities[1] - ours[i])).toBeLessThan(1e-5);
      expect(p.label).toBe(ours[i] > 0.5 ? 1 : 0);
    });
    expect(await (await invoke('xgb-onnx', csv(rows.slice(0, 1)), { 'content-type': 'text/csv', accept: 'text/csv' })).text()).toMatch(/^[01],[\d.e-]+,[\d.e-]+\n$/);
  });
});

describe('a worker-thread model stuck in a prediction (ONNX Runtime looping)', () => {
  it('answers ModelTimeout, serves the requests around it from the other replica, stays InService and counts the error', async () => {
    // Spins as many ONNX Loop iterations as the largest value in the request (about 1 µs each).
    await deploy('spin', { artifactUri: await upload('tests/spin/model.onnx', spinOnnx()), runtime: 'onnx' }, 2);
    expect(await json(invoke('spin', '1,2'))).toEqual({ predictions: [{ score: [3] }] });

    let running = true;
    const normal = { ok: 0, failures: [] as string[] };
    const clients = Array.from({ length: 3 }, async (_, c) => {
      for (let i = 0; running; i++) {
        const res = await invoke('spin', `${c},${i % 10}`);
        const text = await res.text();
        if (res.status === 200 && JSON.parse(text).predictions[0].score[0] === c + (i % 10)) normal.ok++;
        else normal.failures.push(`${res.status} ${text}`);
      }
    });
    const t0 = performance.now();
    let stuck: { error: unknown };
    try {
      stuck = await json<{ error: unknown }>(invoke('spin', '1,6000000'), 504);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
      // The stuck worker was terminated; the requests it held went once more to the other replica.
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      running = false;
      await Promise.all(clients);
    }
    expect(stuck.error).toMatchObject({
      code: 'ModelTimeout',
      message: `variant 'AllTraffic' (model 'spin'): the model did not answer within ${TIMEOUT_MS / 1000} s`,
      details: { timeoutMs: TIMEOUT_MS, variant: 'AllTraffic', model: 'spin' },
    });
    expect(normal.failures).toEqual([]);
    expect(normal.ok).toBeGreaterThan(10);
    expect(await statusOf('spin')).toBe('InService');

    const metrics = await json<{ variants: Array<{ variant: string; summary: { invocations: number; errors5xx: number } }> }>(server.api('/api/v1/endpoints/spin/metrics?period=60&window=300'));
    expect(metrics.variants[0]).toMatchObject({ variant: 'AllTraffic', summary: { invocations: normal.ok + 2, errors5xx: 1 } });
  });
});

describe('your own server (runtime container)', () => {
  let pid: number;

  beforeAll(async () => {
    const source = await upload('tests/container/sourcedir.tar.gz', await tarGz(folder('container-src', { 'serve.js': { copy: join(FIXTURES, 'serve.js') } })));
    const artifact = await upload('tests/container/model.tar.gz', await tarGz(folder('container-model', { 'weights.json': '[1, 10, 100]' })));
    await deploy('byo-server', { artifactUri: artifact, runtime: 'container', source, entryPoint: 'serve.js', environment: { GREETING: 'hello' } });
  });

  it('proxies body, Content-Type and Accept, in an environment with no STRATUS_* variables', async () => {
    const res = await invoke('byo-server', '1,2,3\n0,0,1', { 'content-type': 'text/csv', accept: 'application/json' });
    expect(res.headers.get('x-amzn-invoked-production-variant')).toBe('AllTraffic');
    const body = await json<{ scores: number[]; pid: number; contentType: string; accept: string; env: string[]; greeting: string }>(res);
    expect(body).toMatchObject({ scores: [321, 100], contentType: 'text/csv', accept: 'application/json', greeting: 'hello' });
    expect(body.env).toEqual(['GREETING', 'SAGEMAKER_BIND_TO_PORT', 'SAGEMAKER_SUBMIT_DIRECTORY', 'SM_MODEL_DIR']);
    pid = body.pid;
  });

  it('turns a failure of the model into ModelError naming the variant, and a slow answer into ModelTimeout', async () => {
    const failed = await json<{ error: { code: string; message: string; details: Record<string, unknown> } }>(invoke('byo-server', 'throw'), 424);
    expect(failed.error).toMatchObject({
      code: 'ModelError',
      message: "variant 'AllTraffic' (model 'byo-server'): the model answered 500: Error: the model cannot score this",
      details: { originalStatusCode: 500, variant: 'AllTraffic' },
    });
    const slow = await json<{ error: { code: string; message: string } }>(invoke('byo-server', 'sleep'), 504);
    expect(slow.error.code).toBe('ModelTimeout');
    expect(slow.error.message).toContain(`within ${TIMEOUT_MS / 1000} s`);
    expect(await statusOf('byo-server')).toBe('InService');
  });

  it('replaces a replica whose process was killed', async () => {
    process.kill(pid, 'SIGKILL');
    const next = await waitFor(
      async () => {
        const res = await invoke('byo-server', '1,1,1');
        return res.status === 200 ? ((await res.json()) as { pid: number }).pid : (await res.text(), 0);
      },
      (p) => p !== 0 && p !== pid,
      30_000,
    );
    expect(next).not.toBe(pid);
    expect(await statusOf('byo-server')).toBe('InService');
  });
});

describe.skipIf(!HAS_SKLEARN)(`SageMaker handlers in inference.py (runtime python) ${HAS_SKLEARN ? '' : '(skipped: /usr/bin/python3 cannot import sklearn)'}`, () => {
  let expected: { rows: number[][]; probabilities: number[][]; labels: number[] };

  beforeAll(async () => {
    const dir = folder('sklearn-model', { 'code/inference.py': { copy: join(FIXTURES, 'inference.py') } });
    const run = spawnSync(PYTHON, [join(FIXTURES, 'sklearn_train.py'), BREAST_CANCER, dir], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
    // SageMaker's layout: the model and code/inference.py in one model.tar.gz, no separate source.
    const uri = await upload('tests/sklearn/model.tar.gz', await tarGz(dir));
    await deploy('sklearn-py', { artifactUri: uri, runtime: 'python' });
  });

  it("predicts what scikit-learn predicts, from CSV and from JSON", async () => {
    const fromCsv = await json<{ probabilities: number[][]; labels: number[] }>(invoke('sklearn-py', csv(expected.rows)));
    fromCsv.probabilities.forEach((p, i) => p.forEach((v, k) => expect(Math.abs(v - expected.probabilities[i][k])).toBeLessThan(1e-12)));
    expect(fromCsv.labels).toEqual(expected.labels);
    const fromJson = await json<{ labels: number[] }>(invoke('sklearn-py', JSON.stringify(expected.rows), { 'content-type': 'application/json' }));
    expect(fromJson.labels).toEqual(expected.labels);
  });

  it('answers ModelError when the handler raises, and stays InService', async () => {
    const res = await json<{ error: { code: string; message: string } }>(invoke('sklearn-py', csv([expected.rows[0].slice(1)])), 424);
    expect(res.error.code).toBe('ModelError');
    expect(res.error.message).toMatch(/^variant 'AllTraffic' \(model 'sklearn-py'\): the model answered 500: ValueError: .*29 features/);
    expect(await statusOf('sklearn-py')).toBe('InService');
    await json(invoke('sklearn-py', csv(expected.rows.slice(0, 1))));
  });

  it("serves a script training job's model with handlers from a separate source bundle", async () => {
    const csvBody = readFileSync(BREAST_CANCER);
    await json(server.api('/api/v1/datasets/bc', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csvBody }), 201);
    const trainSource = await upload('tests/sk-train/sourcedir.tar.gz', await tarGz(join(FIXTURES, '../script-jobs/sklearn')));
    await json(server.api('/api/v1/training-jobs', {
      method: 'POST',
      json: { name: 'sk-train', script: { source: trainSource, entryPoint: 'train.py' }, inputs: [{ channel: 'train', dataset: 'bc' }] },
    }), 201);
    const job = await waitFor(() => json<{ status: string; failureReason?: string }>(server.api('/api/v1/training-jobs/sk-train')), (j) => j.status !== 'InProgress', 60_000, 250);
    expect(job.failureReason).toBeUndefined();

    const noRuntime = await json<{ error: { message: string } }>(server.api('/api/v1/models', { method: 'POST', json: { name: 'sk-job', trainingJob: 'sk-train' } }), 400);
    expect(noRuntime.error.message).toMatch(/ran your own script, so its model needs your inference code: give runtime 'python'/);

    const handlers = await upload('tests/sk-handlers/sourcedir.tar.gz', await tarGz(folder('sk-handlers', { 'inference.py': { copy: join(FIXTURES, 'inference.py') } })));
    await deploy('sk-job', { trainingJob: 'sk-train', runtime: 'python', source: handlers });
    const model = await json<{ runtime: string; trainingJob: string; source: string; algorithm?: string }>(server.api('/api/v1/models/sk-job'));
    expect(model).toMatchObject({ runtime: 'python', trainingJob: 'sk-train', source: handlers });
    expect(model.algorithm).toBeUndefined();
    const out = await json<{ labels: number[] }>(invoke('sk-job', csv(expected.rows)));
    const agree = out.labels.filter((l, i) => l === expected.labels[i]).length;
    expect(agree / expected.labels.length).toBeGreaterThan(0.9);
  });

  it('fails the endpoint with the reason when model_fn raises', async () => {
    const dir = folder('broken-model', { 'code/inference.py': 'def model_fn(model_dir):\n    raise RuntimeError("no weights in " + model_dir)\n' });
    const uri = await upload('tests/broken/model.tar.gz', await tarGz(dir));
    await json(server.api('/api/v1/models', { method: 'POST', json: { name: 'broken-py', artifactUri: uri, runtime: 'python' } }), 201);
    await json(server.api('/api/v1/endpoint-configs', { method: 'POST', json: { name: 'broken-py', variants: [{ name: 'AllTraffic', model: 'broken-py' }] } }), 201);
    await json(server.api('/api/v1/endpoints', { method: 'POST', json: { name: 'broken-py', config: 'broken-py' } }), 201);
    const endpoint = await waitFor(() => json<{ status: string; failureReason?: string }>(server.api('/api/v1/endpoints/broken-py')), (e) => e.status !== 'Creating', 30_000);
    expect(endpoint.status).toBe('Failed');
    expect(endpoint.failureReason).toMatch(/exited while starting with code 1; its last output:[\s\S]*RuntimeError: no weights in/);
  });
});
