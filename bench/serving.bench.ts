/**
 * Endpoint serving benchmark, all in one run, one-row CSV requests (breast_cancer, 30 features),
 * loaded with wrk at several concurrencies:
 *   (a) a Stratus endpoint serving the built-in linear-learner model;
 *   (b) a Stratus endpoint serving an ONNX logistic model exported by PyTorch;
 *   (c) the SageMaker-style Python server of the anchors (Flask under gunicorn, 2 sync workers —
 *       the architecture of SageMaker's scikit-learn container) with a scikit-learn pipeline;
 *   (d) a bare Node HTTP server that returns a constant (the loopback ceiling).
 *
 *   apt-get install -y wrk python3-flask gunicorn python3-sklearn python3-torch
 *   node --import tsx bench/serving.bench.ts            # DURATION=10 CONCS="1 8 64" REPLICAS=1
 * Targets (c) and (b) are skipped, with a note, when their Python packages are missing.
 * Beside wrk's figures, each row has the server's CPU time per request (all its threads and
 * processes, and for Node servers the main thread alone, from /proc): on a shared machine these
 * move far less than req/s.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, spawnServer } from '../test/helpers/server-process.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
import { SHARED } from '../test/helpers/shared.js';
const DURATION = Number(process.env.DURATION ?? 10);
const CONCS = (process.env.CONCS ?? '1 8 64').split(/\s+/).map(Number);
const REPLICAS = Number(process.env.REPLICAS ?? 1);
const TOKEN = 'bench-token';

interface WrkResult { rps: number; p50: number; p90: number; p99: number; errors: number; requests: number }

/** Server CPU per request, in µs: all its processes and threads, and (Node servers) the main thread alone. */
interface CpuCost { process: number; main: number | undefined }

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** utime + stime (clock ticks) from a /proc stat line. */
const ticksOf = (stat: string) => {
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
};

/** CPU ticks of a server so far: its process and child processes (gunicorn's workers), and its main thread. */
function cpuTicks(pid: number): { process: number; main: number } | undefined {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    const process = [pid, ...children].reduce((sum, p) => sum + ticksOf(readFileSync(`/proc/${p}/stat`, 'utf8')), 0);
    return { process, main: ticksOf(readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8')) };
  } catch {
    return undefined; // not Linux, or the process is gone
  }
}

function parseWrk(out: string): WrkResult {
  const ms = (label: string) => {
    const m = new RegExp(`\\s${label}\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!m) return NaN;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const sockErr = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = non2xx + (sockErr ? sockErr.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  return { rps, p50: ms('50%'), p90: ms('90%'), p99: ms('99%'), errors, requests };
}

/** Loads `url` for `seconds`; with `pid`, also what the server spent per request (CPU µs). */
function wrk(url: string, lua: string, conc: number, seconds: number, pid?: { pid: number; node: boolean }): WrkResult & { cpu?: CpuCost } {
  const before = pid && cpuTicks(pid.pid);
  const out = execFileSync('wrk', ['-t1', `-c${conc}`, `-d${seconds}s`, '--timeout', '5s', '--latency', '-s', lua, url], { encoding: 'utf8' });
  const after = pid && cpuTicks(pid.pid);
  const r = parseWrk(out);
  if (!pid || !before || !after) return r;
  const perRequest = (ticks: number) => (ticks * 1e6) / CLOCK_TICKS / r.requests;
  return { ...r, cpu: { process: perRequest(after.process - before.process), main: pid.node ? perRequest(after.main - before.main) : undefined } };
}

function luaScript(dir: string, row: string, auth: boolean) {
  const path = join(dir, auth ? 'post-auth.lua' : 'post.lua');
  const headers = [`wrk.headers["Content-Type"] = "text/csv"`, ...(auth ? [`wrk.headers["Authorization"] = "Bearer ${TOKEN}"`] : [])];
  writeFileSync(path, [`wrk.method = "POST"`, `wrk.body = "${row}"`, ...headers].join('\n') + '\n');
  return path;
}

async function api(url: string, path: string, init: RequestInit = {}) {
  const r = await fetch(url + path, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) } });
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json() as Promise<Record<string, unknown>>;
}

async function deployEndpoint(url: string) {
  const csv = readFileSync(join(SHARED, 'datasets', 'breast_cancer.csv'), 'utf8');
  await api(url, '/api/v1/datasets/bc', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv });
  await api(url, '/api/v1/training-jobs', {
    method: 'POST',
    body: JSON.stringify({ name: 'bc', algorithm: 'linear-learner', hyperparameters: { predictor_type: 'binary_classifier', epochs: 5 }, inputs: [{ channel: 'train', dataset: 'bc' }] }),
  });
  while ((await api(url, '/api/v1/training-jobs/bc')).status === 'InProgress') await new Promise((r) => setTimeout(r, 200));
  await api(url, '/api/v1/models', { method: 'POST', body: JSON.stringify({ name: 'bc', trainingJob: 'bc' }) });
  await api(url, '/api/v1/endpoint-configs', { method: 'POST', body: JSON.stringify({ name: 'bc', variants: [{ name: 'AllTraffic', model: 'bc', instanceCount: REPLICAS }] }) });
  await api(url, '/api/v1/endpoints', { method: 'POST', body: JSON.stringify({ name: 'bc', config: 'bc' }) });
  while ((await api(url, '/api/v1/endpoints/bc')).status !== 'InService') await new Promise((r) => setTimeout(r, 100));
  return csv.split('\n')[0].split(',').slice(1).join(',');
}

const PYTHON = process.env.STRATUS_PYTHON ?? '/usr/bin/python3';
const hasPython = (mods: string) => spawnSync(PYTHON, ['-c', `import ${mods}`], { stdio: 'ignore' }).status === 0;

/** Uploads a PyTorch-exported ONNX logistic model and deploys it as a second endpoint. */
async function deployOnnxEndpoint(url: string, work: string): Promise<boolean> {
  if (!hasPython('torch')) return false;
  const out = join(work, 'onnx');
  mkdirSync(out, { recursive: true });
  execFileSync(PYTHON, [join(HERE, '..', 'test', 'fixtures', 'runtimes', 'torch_export.py'), join(SHARED, 'datasets', 'breast_cancer.csv'), out]);
  const put = await fetch(`${url}/api/v1/artifacts/uploads/bench/model.onnx`, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}` }, body: readFileSync(join(out, 'model.onnx')) });
  if (!put.ok) throw new Error(`upload: ${put.status} ${await put.text()}`);
  const { uri } = (await put.json()) as { uri: string };
  await api(url, '/api/v1/models', { method: 'POST', body: JSON.stringify({ name: 'bc-onnx', artifactUri: uri, runtime: 'onnx' }) });
  await api(url, '/api/v1/endpoint-configs', { method: 'POST', body: JSON.stringify({ name: 'bc-onnx', variants: [{ name: 'AllTraffic', model: 'bc-onnx', instanceCount: REPLICAS }] }) });
  await api(url, '/api/v1/endpoints', { method: 'POST', body: JSON.stringify({ name: 'bc-onnx', config: 'bc-onnx' }) });
  while ((await api(url, '/api/v1/endpoints/bc-onnx')).status !== 'InService') await new Promise((r) => setTimeout(r, 100));
  return true;
}

/** The anchors' Flask app under gunicorn (2 sync workers) with a StandardScaler + LogisticRegression pipeline. */
async function startGunicorn(port: number, work: string) {
  if (!hasPython('flask, sklearn, joblib') || !existsSync('/usr/bin/gunicorn')) return undefined;
  const modelPath = join(work, 'model.joblib');
  execFileSync(PYTHON, ['-c', [
    'import sys, joblib, numpy as np',
    'from sklearn.pipeline import make_pipeline',
    'from sklearn.preprocessing import StandardScaler',
    'from sklearn.linear_model import LogisticRegression',
    "d = np.loadtxt(sys.argv[1], delimiter=',')",
    'joblib.dump(make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(d[:, 1:], d[:, 0]), sys.argv[2])',
  ].join('\n'), join(SHARED, 'datasets', 'breast_cancer.csv'), modelPath]);
  const child = spawn('/usr/bin/gunicorn', ['-w', '2', '-k', 'sync', '-b', `127.0.0.1:${port}`, '--log-level', 'warning', '--chdir', join(SHARED, 'anchors', 'serve'), 'app:app'], {
    stdio: 'ignore', detached: true, env: { ...process.env, MODEL_PATH: modelPath, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
  });
  await waitForPing(port, 'gunicorn');
  return child;
}

async function waitForPing(port: number, what: string) {
  for (let i = 0; i < 200; i++) {
    if (await fetch(`http://127.0.0.1:${port}/ping`).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start`);
}

async function startConstServer(port: number) {
  const child = spawn(process.execPath, [join(SHARED, 'anchors', 'serve', 'node_const.js'), String(port)], { stdio: 'ignore', env: { ...process.env, NODE_WORKERS: '1' } });
  await waitForPing(port, 'constant server');
  return child;
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'stratus-bench-'));
  const stratusPort = await freePort();
  const stratus = await spawnServer(join(work, 'home'), stratusPort, TOKEN, { STRATUS_LOG_LEVEL: 'warn' });
  const constPort = await freePort();
  const constant = await startConstServer(constPort);
  const gunicornPort = await freePort();
  const gunicorn = await startGunicorn(gunicornPort, work);
  const notes: string[] = [];
  try {
    const row = await deployEndpoint(stratus.url);
    const onnx = await deployOnnxEndpoint(stratus.url, work);
    const targets = [
      { name: 'bare Node server, constant reply (ceiling)', url: `http://127.0.0.1:${constPort}/invocations`, lua: luaScript(work, row, false), pid: { pid: constant.pid!, node: true } },
      { name: `Stratus endpoint, built-in linear-learner, ${REPLICAS} replica(s)`, url: `${stratus.url}/endpoints/bc/invocations`, lua: luaScript(work, row, true), pid: { pid: stratus.child.pid!, node: true } },
    ];
    if (onnx) targets.push({ name: `Stratus endpoint, ONNX (PyTorch export), ${REPLICAS} replica(s)`, url: `${stratus.url}/endpoints/bc-onnx/invocations`, lua: luaScript(work, row, true), pid: { pid: stratus.child.pid!, node: true } });
    else notes.push('ONNX endpoint skipped: /usr/bin/python3 has no torch.');
    if (gunicorn) targets.push({ name: 'Flask + gunicorn (2 sync workers), scikit-learn pipeline', url: `http://127.0.0.1:${gunicornPort}/invocations`, lua: luaScript(work, row, false), pid: { pid: gunicorn.pid!, node: false } });
    else notes.push('Flask + gunicorn skipped: install python3-flask gunicorn python3-sklearn.');
    const rows: string[] = [];
    const results: Record<string, Record<number, WrkResult & { cpu?: CpuCost }>> = {};
    for (const conc of CONCS) {
      for (const t of targets) {
        wrk(t.url, t.lua, conc, 2);
        const r = wrk(t.url, t.lua, conc, DURATION, t.pid);
        (results[t.name] ??= {})[conc] = r;
        const us = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(1));
        rows.push(`| ${t.name} | ${conc} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(3)} | ${r.p90.toFixed(3)} | ${r.p99.toFixed(3)} | ${r.errors} | ${us(r.cpu?.process)} | ${us(r.cpu?.main)} |`);
        process.stderr.write(`${t.name} c=${conc}: ${r.rps.toFixed(0)} req/s p50 ${r.p50} ms p99 ${r.p99} ms\n`);
      }
    }
    const c1 = results[targets[1].name][1];
    const base1 = results[targets[0].name][1];
    const overhead = c1 && base1 ? (c1.p50 - base1.p50).toFixed(3) : 'n/a';
    const flask = targets.find((t) => t.name.startsWith('Flask'));
    const top = Math.max(...CONCS);
    const ratio = (t: { name: string } | undefined) => (t && flask ? (results[t.name][top].rps / results[flask.name][top].rps).toFixed(1) : 'n/a');
    const table = [
      `Serving benchmark (${new Date().toISOString()}, ${DURATION} s per point, wrk -t1, one 30-value CSV row per request, ${REPLICAS} replica(s); load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')})`,
      '',
      '| server | concurrency | req/s | p50 ms | p90 ms | p99 ms | errors | server CPU µs/req | main thread µs/req |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rows,
      '',
      `Endpoint overhead at concurrency 1 (p50 Stratus built-in − p50 bare server): ${overhead} ms.`,
      `Throughput at concurrency ${top} relative to Flask + gunicorn: built-in ${ratio(targets[1])}×, ONNX ${ratio(targets.find((t) => t.name.includes('ONNX')))}×.`,
      `Main-thread CPU per request at concurrency ${top}: Stratus built-in ${results[targets[1].name][top].cpu?.main?.toFixed(1) ?? 'n/a'} µs, bare server ${results[targets[0].name][top].cpu?.main?.toFixed(1) ?? 'n/a'} µs.`,
      ...notes,
    ].join('\n');
    mkdirSync(join(HERE, 'results'), { recursive: true });
    writeFileSync(join(HERE, 'results', 'serving.md'), table + '\n');
    process.stdout.write(table + '\n');
  } finally {
    constant.kill('SIGKILL');
    if (gunicorn?.pid) process.kill(-gunicorn.pid, 'SIGTERM');
    stratus.child.kill('SIGTERM');
    await stratus.exited;
  }
}

await main();
