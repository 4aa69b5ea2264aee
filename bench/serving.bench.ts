/**
 * Endpoint serving benchmark: a Stratus endpoint (linear-learner on breast_cancer, 30 features,
 * one-row CSV requests) against a bare Node HTTP server that returns a constant (the loopback
 * ceiling, from ../shared/anchors/serve/node_const.js), loaded with wrk at several concurrencies
 * in the same run.
 *
 *   apt-get install -y wrk
 *   node --import tsx bench/serving.bench.ts            # DURATION=10 CONCS="1 8 64" REPLICAS=1
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, spawnServer } from '../test/helpers/server-process.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
import { SHARED } from '../test/helpers/shared.js';
const DURATION = Number(process.env.DURATION ?? 10);
const CONCS = (process.env.CONCS ?? '1 8 64').split(/\s+/).map(Number);
const REPLICAS = Number(process.env.REPLICAS ?? 1);
const TOKEN = 'bench-token';

interface WrkResult { rps: number; p50: number; p90: number; p99: number; errors: number }

function parseWrk(out: string): WrkResult {
  const ms = (label: string) => {
    const m = new RegExp(`\\s${label}\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!m) return NaN;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const sockErr = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = non2xx + (sockErr ? sockErr.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  return { rps, p50: ms('50%'), p90: ms('90%'), p99: ms('99%'), errors };
}

function wrk(url: string, lua: string, conc: number, seconds: number): WrkResult {
  const out = execFileSync('wrk', ['-t1', `-c${conc}`, `-d${seconds}s`, '--timeout', '5s', '--latency', '-s', lua, url], { encoding: 'utf8' });
  return parseWrk(out);
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

async function startConstServer(port: number) {
  const child = spawn(process.execPath, [join(SHARED, 'anchors', 'serve', 'node_const.js'), String(port)], { stdio: 'ignore', env: { ...process.env, NODE_WORKERS: '1' } });
  for (let i = 0; i < 100; i++) {
    if (await fetch(`http://127.0.0.1:${port}/ping`).then((r) => r.ok, () => false)) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('constant server did not start');
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'stratus-bench-'));
  const stratusPort = await freePort();
  const stratus = await spawnServer(join(work, 'home'), stratusPort, TOKEN, { STRATUS_LOG_LEVEL: 'warn' });
  const constPort = await freePort();
  const constant = await startConstServer(constPort);
  try {
    const row = await deployEndpoint(stratus.url);
    const targets = [
      { name: 'bare Node server, constant reply (ceiling)', url: `http://127.0.0.1:${constPort}/invocations`, lua: luaScript(work, row, false) },
      { name: `Stratus endpoint, linear-learner, ${REPLICAS} replica(s)`, url: `${stratus.url}/endpoints/bc/invocations`, lua: luaScript(work, row, true) },
    ];
    const rows: string[] = [];
    const results: Record<string, Record<number, WrkResult>> = {};
    for (const conc of CONCS) {
      for (const t of targets) {
        wrk(t.url, t.lua, conc, 2);
        const r = wrk(t.url, t.lua, conc, DURATION);
        (results[t.name] ??= {})[conc] = r;
        rows.push(`| ${t.name} | ${conc} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(3)} | ${r.p90.toFixed(3)} | ${r.p99.toFixed(3)} | ${r.errors} |`);
        process.stderr.write(`${t.name} c=${conc}: ${r.rps.toFixed(0)} req/s p50 ${r.p50} ms p99 ${r.p99} ms\n`);
      }
    }
    const c1 = results[targets[1].name][1];
    const base1 = results[targets[0].name][1];
    const overhead = c1 && base1 ? (c1.p50 - base1.p50).toFixed(3) : 'n/a';
    const table = [
      `Serving benchmark (${new Date().toISOString()}, ${DURATION} s per point, wrk -t1, one 30-value CSV row per request, ${REPLICAS} replica(s))`,
      '',
      '| server | concurrency | req/s | p50 ms | p90 ms | p99 ms | errors |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...rows,
      '',
      `Endpoint overhead at concurrency 1 (p50 Stratus − p50 bare server): ${overhead} ms.`,
    ].join('\n');
    mkdirSync(join(HERE, 'results'), { recursive: true });
    writeFileSync(join(HERE, 'results', 'serving.md'), table + '\n');
    process.stdout.write(table + '\n');
  } finally {
    constant.kill('SIGKILL');
    stratus.child.kill('SIGTERM');
    await stratus.exited;
  }
}

await main();
