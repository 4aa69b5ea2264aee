/**
 * Data-parallel training: three "hosts" in this process, each training on a third of the rows,
 * connected by the real TCP collective on loopback, against one host on all the rows.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { aucOf, loglossOf, pickRows, probabilities, readLabelFirstCsv, shards, syntheticBinary } from '../../../../test/helpers/boosting-data.js';
import { freePort, loopbackHosts, loopbackOptions } from '../../../../test/helpers/collective-hosts.js';
import { DATASETS } from '../../../../test/helpers/shared.js';
import { connectCollective } from '../../distributed/tcp-collective.js';
import type { BoosterModel } from '../model.js';
import { toXGBoostJson } from '../xgboost-json.js';
import { findCuts } from './binning.js';
import { trainBooster, type BoosterParams, type RoundReport, type TrainingMatrix } from './index.js';
import { encodeLocalSketch, mergeSketches } from './sketch.js';

const BASE: BoosterParams = {
  objective: 'binary:logistic', num_class: 1, num_round: 20, eta: 0.3, gamma: 0, max_depth: 6, max_leaves: 0,
  grow_policy: 'depthwise', min_child_weight: 1, lambda: 1, alpha: 0, max_delta_step: 0, subsample: 1,
  colsample_bytree: 1, colsample_bylevel: 1, colsample_bynode: 1, scale_pos_weight: 1, base_score: 0.5, seed: 0,
  max_bin: 256, eval_metric: [], nthread: 1,
};

const BREAST = join(DATASETS, 'breast_cancer.csv');
const HOST_SCRIPT = fileURLToPath(new URL('../../../../test/fixtures/distributed/xgb-host.ts', import.meta.url));

interface HostRun {
  model: BoosterModel;
  reports: RoundReport[];
}

/**
 * Trains on `hosts` shards at once, each host with its shard of `train` and of every eval set
 * (eval sets named as given; the training set is always evaluated as 'train').
 */
async function trainOnHosts(train: TrainingMatrix, hosts: number, params: BoosterParams, evals: Record<string, TrainingMatrix> = {}): Promise<HostRun[]> {
  const cs = await loopbackHosts(hosts);
  try {
    const trainShards = shards(train, hosts);
    const evalShards = Object.entries(evals).map(([name, m]) => [name, shards(m, hosts)] as const);
    return await Promise.all(
      cs.map(async (collective, r) => {
        const reports: RoundReport[] = [];
        const sets = [{ name: 'train', data: trainShards[r] }, ...evalShards.map(([name, s]) => ({ name, data: s[r] }))];
        const model = await trainBooster(trainShards[r], params, { collective, evals: sets, onRound: (x) => reports.push(x) });
        return { model, reports };
      }),
    );
  } finally {
    await Promise.all(cs.map((c) => c.close()));
  }
}

async function trainOneHost(train: TrainingMatrix, params: BoosterParams, evals: Record<string, TrainingMatrix> = {}): Promise<HostRun> {
  const reports: RoundReport[] = [];
  const sets = [{ name: 'train', data: train }, ...Object.entries(evals).map(([name, data]) => ({ name, data }))];
  const model = await trainBooster(train, params, { evals: sets, onRound: (x) => reports.push(x) });
  return { model, reports };
}

const json = (m: BoosterModel) => toXGBoostJson(m);

function expectSameModelOnEveryHost(runs: HostRun[]) {
  for (const r of runs.slice(1)) expect(json(r.model)).toBe(json(runs[0].model));
  for (const r of runs.slice(1)) expect(r.reports).toEqual(runs[0].reports);
}

describe('quantile sketches across hosts', () => {
  it('merge into the one-host cuts when every host summarises exactly (breast_cancer in 3 shards)', () => {
    const data = readLabelFirstCsv(BREAST);
    const parts = shards(data, 3).map((s, r) => encodeLocalSketch(s.features, s.rows, s.cols, 256, 0, r));
    const merged = mergeSketches(parts, 256);
    const one = findCuts(data.features, data.rows, data.cols, 256, 0);
    expect(Array.from(merged.nbins)).toEqual(Array.from(one.nbins));
    expect(Array.from(merged.cuts)).toEqual(Array.from(one.cuts));
    expect(Array.from(merged.minCut)).toEqual(Array.from(one.minCut));
    expect(Math.max(...one.nbins)).toBe(255); // some features have more distinct values than bins
  });

  it('place each cut within a fraction of a bin of the one-host cut on large shards', () => {
    const data = syntheticBinary(90_000, 4, 11, 0);
    const parts = shards(data, 3).map((s, r) => encodeLocalSketch(s.features, s.rows, s.cols, 256, 0, r));
    const merged = mergeSketches(parts, 256);
    const one = findCuts(data.features, data.rows, data.cols, 256, 0);
    for (let f = 0; f < data.cols; f++) {
      const sorted = Float32Array.from({ length: data.rows }, (_, r) => data.features[r * data.cols + f]).sort();
      const rank = (v: number) => {
        let lo = 0, hi = sorted.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (sorted[mid] < v) lo = mid + 1;
          else hi = mid;
        }
        return lo;
      };
      expect(merged.nbins[f]).toBe(one.nbins[f]);
      let worst = 0;
      for (let i = 0; i < one.nbins[f] - 1; i++) worst = Math.max(worst, Math.abs(rank(merged.cuts[merged.cutOff[f] + i]) - rank(one.cuts[one.cutOff[f] + i])));
      // A bin holds 90000 / 255 ≈ 353 rows; each host's summary is off by at most 30000 / 2040 ranks.
      expect(worst).toBeLessThanOrEqual(45);
    }
  });
});

describe('data-parallel trainBooster (3 hosts over TCP on loopback)', () => {
  it('breast_cancer: every host grows the one-host model bit for bit, with the same metrics and early stop', async () => {
    const all = readLabelFirstCsv(BREAST);
    const train = pickRows(all, (i) => i % 4 !== 0);
    const valid = pickRows(all, (i) => i % 4 === 0);
    const params: BoosterParams = { ...BASE, max_depth: 4, eta: 0.5, num_round: 200, eval_metric: ['logloss', 'auc'], early_stopping_rounds: 8 };
    const one = await trainOneHost(train, params, { validation: valid });
    const runs = await trainOnHosts(train, 3, params, { validation: valid });
    expectSameModelOnEveryHost(runs);
    expect(json(runs[0].model)).toBe(json(one.model));
    expect(runs[0].model.bestIteration).toBe(one.model.bestIteration);
    expect(one.model.trees.length).toBeLessThan(200); // it did stop early
    // Metrics: AUC over the gathered predictions is the same number; logloss sums in another order.
    expect(runs[0].reports.length).toBe(one.reports.length);
    runs[0].reports.forEach((r, i) =>
      r.results.forEach((x, j) => {
        const y = one.reports[i].results[j];
        expect([x.dataset, x.metric]).toEqual([y.dataset, y.metric]);
        if (x.metric === 'auc') expect(x.value).toBe(y.value);
        else expect(Math.abs(x.value - y.value)).toBeLessThanOrEqual(1e-12 * Math.max(1, y.value));
      }),
    );
  });

  it('a larger generated set (approximate cuts): hold-out AUC and logloss within 0.002 of one host', async () => {
    const train = syntheticBinary(60_000, 12, 21);
    const holdout = syntheticBinary(20_000, 12, 22);
    const params: BoosterParams = { ...BASE, num_round: 30, eta: 0.2 };
    const one = await trainOneHost(train, params);
    const runs = await trainOnHosts(train, 3, params);
    expectSameModelOnEveryHost(runs);
    const p1 = probabilities(one.model, holdout), p3 = probabilities(runs[0].model, holdout);
    const [auc1, auc3] = [aucOf(p1, holdout.labels), aucOf(p3, holdout.labels)];
    expect(auc1).toBeGreaterThan(0.8);
    expect(Math.abs(auc3 - auc1)).toBeLessThanOrEqual(0.002);
    expect(Math.abs(loglossOf(p3, holdout.labels) - loglossOf(p1, holdout.labels))).toBeLessThanOrEqual(0.002);
    // The training metric is global: close to one host's on the same rows.
    const last = (r: HostRun) => r.reports.at(-1)!.results[0].value;
    expect(Math.abs(last(runs[0]) - last(one))).toBeLessThanOrEqual(0.002);
  }, 120_000);

  it('iris (3 classes, one class per host): multi:softprob gives the one-host model', async () => {
    const iris = readLabelFirstCsv(join(DATASETS, 'iris.csv')); // sorted by class: each shard holds one class
    const params: BoosterParams = { ...BASE, objective: 'multi:softprob', num_class: 3, num_round: 10, max_depth: 3, eval_metric: ['mlogloss', 'merror', 'auc'] };
    const one = await trainOneHost(iris, params);
    const runs = await trainOnHosts(iris, 3, params);
    expectSameModelOnEveryHost(runs);
    expect(json(runs[0].model)).toBe(json(one.model));
    expect(runs[0].reports.at(-1)!.results.find((x) => x.metric === 'auc')!.value).toBe(one.reports.at(-1)!.results.find((x) => x.metric === 'auc')!.value);
  });

  it('sampling, lossguide, worker threads and other objectives: every host grows the same trees', async () => {
    const data = syntheticBinary(9000, 6, 31);
    const y = Float32Array.from(data.labels, (v, i) => v * 3 + (i % 3));
    const variants: Partial<BoosterParams>[] = [
      { subsample: 0.7, colsample_bytree: 0.8, colsample_bylevel: 0.8, colsample_bynode: 0.8 },
      { grow_policy: 'lossguide', max_depth: 0, max_leaves: 15, nthread: 2 },
      { objective: 'reg:squarederror', eval_metric: ['rmse', 'mae'] },
      { objective: 'reg:absoluteerror' },
      { objective: 'count:poisson', max_delta_step: 0.7 },
    ];
    for (const v of variants) {
      const regression = v.objective !== undefined;
      const train = regression ? { ...data, labels: y } : data;
      const params = { ...BASE, num_round: 8, ...v };
      const runs = await trainOnHosts(train, 3, params);
      expectSameModelOnEveryHost(runs);
      const one = await trainOneHost(train, params);
      const final = (r: HostRun) => r.reports.at(-1)!.results[0].value;
      // The same rows, cuts from merged summaries (and other row samples): a close fit.
      expect(Math.abs(final(runs[0]) - final(one)) / final(one), JSON.stringify(v)).toBeLessThan(0.05);
    }
  }, 120_000);

  it('a host whose process dies mid-training fails the others within seconds, naming it', async () => {
    const port = await freePort();
    const job = { rows: 6000, cols: 6, seed: 41, params: { ...BASE, num_round: 500, max_depth: 4 }, killAtRound: 3 };
    const data = shards(syntheticBinary(job.rows, job.cols, job.seed), 3);
    const child = spawn(process.execPath, ['--import', 'tsx', HOST_SCRIPT, JSON.stringify({ ...job, options: loopbackOptions(3, 'algo-3', port) })], { stdio: 'inherit' });
    const died = new Promise<number>((resolve) => child.once('exit', () => resolve(Date.now())));
    const others = ['algo-1', 'algo-2'].map(async (host, r) => {
      const collective = await connectCollective(loopbackOptions(3, host, port));
      try {
        await trainBooster(data[r], job.params, { collective, evals: [{ name: 'train', data: data[r] }] });
      } finally {
        await collective.close();
      }
    });
    const results = await Promise.allSettled(others);
    const failedAt = Date.now();
    expect(failedAt - (await died)).toBeLessThan(5000);
    const messages = results.map((r) => (r as PromiseRejectedResult).reason?.message);
    expect(messages[0]).toMatch(/^collective: lost algo-3 during operation \d+ \(allreduce sum of Float64Array\) \(connection (closed|lost \(ECONNRESET\))\)/);
    expect(messages[1]).toBe(messages[0]); // relayed by algo-1
  }, 60_000);
});
