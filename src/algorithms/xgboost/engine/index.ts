/**
 * Training engine of Stratus's XGBoost-compatible gradient-boosted trees (XGBoost 1.7
 * semantics, tree_method=hist).
 *
 * Layout and threading: the binned matrix is row-major (each cell its global histogram slot,
 * Uint16) in a SharedArrayBuffer, with a row-index array partitioned per node; histogram
 * building walks a node's (ascending) rows and touches all features of a row at once, which
 * measured faster than column-blocked building even for the root. A column-major Uint8 copy of
 * the local bins (+22 MB) serves partitioning, which reads one feature per row. The main thread
 * and nthread − 1 persistent workers split every phase (gradients, root histogram, partition,
 * smaller-child histograms, reduction + split search, margin update) by contiguous shares and
 * meet at an Atomics barrier (spin, then futex wait); gradients are quantized to exact integer
 * sums so the model does not depend on nthread. See kernels.ts, grow.ts and binning.ts for details.
 *
 * All state lives in one shared WebAssembly.Memory (shared.ts), so that WebAssembly SIMD kernels
 * emitted at start-up (wasm/kernels.ts: histograms, partition, logistic gradients) work on it by
 * byte address; where WebAssembly SIMD is unavailable (or STRATUS_XGB_KERNELS=js) the same phases
 * run as JS loops on a SharedArrayBuffer, giving the same model bit for bit.
 *
 * Data-parallel (`TrainOptions.collective` of several hosts, each with a shard of the rows):
 * the same phases on each host's rows, with the global quantities exchanged at the phase
 * boundaries listed in distributed.ts — cuts, quantization bounds, the histograms before each
 * split search, metrics — so every host grows the same trees. One host takes none of these paths.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Worker } from 'node:worker_threads';
import type { Collective } from '../../distributed/collective.js';
import { createRng, type Rng } from '../../kernels/rng.js';
import type { BoosterModel, EvalMetric, Objective, Tree } from '../model.js';
import { binRows, findCuts, padCuts, transposeBins } from './binning.js';
import { globalCuts, globalLeafQuantiles, globalMax, globalMetricValues, globalRows, histogramSync } from './distributed.js';
import { Grower, type GrownTree } from './grow.js';
import { P_GRAD, P_UPDATE } from './kernels.js';
import { leafMedians, setLeafValues } from './leaf-median.js';
import { addTreeMargins } from './margins.js';
import { evalMetric, maximizes } from './metrics.js';
import { baseMargin, defaultMetric, isMulti, OBJ_CODE, transformMargins } from './objectives.js';
import {
  allocShared, makeCtx, F_ALPHA, F_GROUP, F_IDENTITY, F_LAMBDA, F_LEAVES, F_M, F_MCW, F_MDS, F_OBJ, F_OBJ_MDS, F_QG, F_QH, F_SG, F_SH, F_SPW, F_TRAVERSE, F_FUSED, F_ROOT_IN_GRAD,
  type Layout,
} from './shared.js';
import { Team, terminateAll } from './team.js';

export interface TrainingMatrix {
  rows: number;
  cols: number;
  /** Row-major rows × cols; NaN = missing. */
  features: Float32Array;
  labels: Float32Array;
  weights?: Float32Array;
}

/** XGBoost's names and semantics (1.7), validated and defaulted by the caller. */
export interface BoosterParams {
  objective: Objective;
  num_class: number;
  num_round: number;
  eta: number;
  gamma: number;
  max_depth: number;
  max_leaves: number;
  grow_policy: 'depthwise' | 'lossguide';
  min_child_weight: number;
  lambda: number;
  alpha: number;
  max_delta_step: number;
  subsample: number;
  colsample_bytree: number;
  colsample_bylevel: number;
  colsample_bynode: number;
  scale_pos_weight: number;
  base_score: number;
  seed: number;
  max_bin: number;
  /** Empty = the objective's default metric. */
  eval_metric: EvalMetric[];
  early_stopping_rounds?: number;
  nthread: number;
}

export interface RoundReport {
  round: number;
  results: { dataset: string; metric: EvalMetric; value: number }[];
}

export interface TrainOptions {
  evals?: { name: string; data: TrainingMatrix }[];
  onRound?: (r: RoundReport) => void;
  signal?: AbortSignal;
  /**
   * The job's hosts when training data-parallel: `train` (and each eval set) is this host's
   * shard, and every host returns the same model. Absent or of size 1: one host.
   */
  collective?: Collective;
}

const MAX_ITEMS = 32;
const POOL_BYTES = 256 * 1024 * 1024;

export async function trainBooster(train: TrainingMatrix, params: BoosterParams, opts: TrainOptions = {}): Promise<BoosterModel> {
  const { rows: n, cols } = train;
  if (train.features.length < n * cols || train.labels.length < n) throw new Error('xgboost: training matrix is smaller than rows × cols');
  if (n === 0) throw new Error('xgboost: no training rows');
  opts.signal?.throwIfAborted();
  const obj = params.objective;
  const K = isMulti(obj) ? params.num_class : 1;
  const T = Math.max(1, Math.floor(params.nthread) || 1);
  const booted: Worker[] = T > 1 ? Team.spawn(T - 1) : [];
  let team: Team | undefined;
  const dist = opts.collective && opts.collective.size > 1 ? opts.collective : undefined;
  try {
    // Bounds that shape the shared state use all hosts' rows, so every host's pool behaves alike.
    const N = dist ? await globalRows(dist, n) : n;
    const info = dist ? await globalCuts(dist, train.features, n, cols, params.max_bin, params.seed) : findCuts(train.features, n, cols, params.max_bin, params.seed);
    const lossguide = params.grow_policy === 'lossguide';
    const depthBound = params.max_depth > 0 ? params.max_depth : 30;
    const leafBound = Math.min(
      lossguide && params.max_leaves > 0 ? params.max_leaves : 2 ** Math.min(depthBound, 30),
      params.max_leaves > 0 ? params.max_leaves : Infinity,
      N,
    );
    const HSbytes = 16 * info.totalSlots;
    const wantSlots = lossguide ? leafBound + 2 : Math.ceil(0.75 * 2 ** Math.min(depthBound, 20)) + 2;
    const poolSlots = Math.max(2 * MAX_ITEMS + 2, Math.min(wantSlots + 2 * MAX_ITEMS, Math.floor(POOL_BYTES / HSbytes)));
    const layout: Layout = {
      n, cols, K, T, totalSlots: info.totalSlots, poolSlots, maxItems: MAX_ITEMS,
      maxNodes: Math.min(2 * leafBound + 1, 2 * N + 1), bytes: info.bytes,
      colBytes: Math.max(...info.nbins) <= 255 ? 1 : 2,
    };
    const shm = allocShared(layout);
    team = booted.length > 0 ? undefined : Team.solo(layout, shm);
    // Bin while the workers boot.
    const views = team ? team.ctx : makeCtx(layout, shm);
    binRows(train.features, cols, info, padCuts(info), views.bins, 0, n);
    transposeBins(views.bins, n, cols, info.off, views.colBins, 0, n);
    if (booted.length > 0) team = await Team.start(layout, shm, booted);
    const c = team!.ctx;
    c.off.set(info.off);
    c.labels.set(train.labels.subarray(0, n));
    if (train.weights) c.weights.set(train.weights.subarray(0, n));
    else c.weights.fill(1);
    const m0 = baseMargin(obj, params.base_score);
    c.margin.fill(m0);
    const conf = c.conf;
    conf[F_LAMBDA] = params.lambda;
    conf[F_ALPHA] = params.alpha;
    conf[F_MCW] = params.min_child_weight;
    conf[F_MDS] = params.max_delta_step;
    conf[F_SPW] = params.scale_pos_weight;
    conf[F_OBJ] = OBJ_CODE[obj];
    conf[F_OBJ_MDS] = obj === 'count:poisson' ? params.max_delta_step : 0;

    const grower = new Grower(team!, info, {
      eta: params.eta, gamma: params.gamma, maxDepth: params.max_depth, maxLeaves: params.max_leaves, lossguide,
      lambda: params.lambda, alpha: params.alpha, minChildWeight: params.min_child_weight, maxDeltaStep: params.max_delta_step,
    }, dist ? histogramSync(dist, c) : undefined);

    // Eval sets: margins kept incrementally (the training set itself reuses the training margins).
    const metrics = params.eval_metric.length > 0 ? params.eval_metric : [defaultMetric(obj)];
    const evals = (opts.evals ?? []).map((e) => ({
      ...e,
      isTrain: e.data === train,
      margin: e.data === train ? c.margin : new Float64Array(e.data.rows * K).fill(m0),
    }));

    const rng = createRng(params.seed);
    // Feature sampling must agree across hosts; row sampling draws per host (a stream of its own).
    const rowRng = dist ? createRng((params.seed ^ Math.imul(dist.rank + 1, 0x85ebca6b)) >>> 0) : rng;
    const trees: Tree[] = [];
    const groups: number[] = [];
    let bestScore = NaN, bestIter = -1;
    const early = params.early_stopping_rounds && evals.length > 0 ? params.early_stopping_rounds : 0;
    const sampled = params.subsample < 1;
    // Logistic objectives, one group: fixed quantization scales from the gradient bounds, so the
    // gradient pass writes quantized gradients directly (no max reduction, no second pass).
    const fused = K === 1 && (obj === 'binary:logistic' || obj === 'binary:logitraw' || obj === 'reg:logistic');
    conf[F_FUSED] = fused ? 1 : 0;
    if (fused) {
      let maxW = 0, maxY = 0;
      for (let r = 0; r < n; r++) {
        maxW = Math.max(maxW, c.weights[r] * Math.max(1, params.scale_pos_weight));
        maxY = Math.max(maxY, Math.abs(c.labels[r]));
      }
      if (dist) [maxW, maxY] = await globalMax(dist, [maxW, maxY]);
      conf[F_QG] = quantScale(maxW * (1 + maxY), N);
      conf[F_QH] = quantScale(maxW * 0.25, N);
      conf[F_SG] = 1 / conf[F_QG];
      conf[F_SH] = 1 / conf[F_QH];
    }

    for (let round = 0; round < params.num_round; round++) {
      opts.signal?.throwIfAborted();
      // Logistic, all rows: the gradient phase also builds the root histogram (one pass, one barrier less).
      conf[F_ROOT_IN_GRAD] = fused && !sampled ? 1 : 0;
      if (conf[F_ROOT_IN_GRAD] === 1) {
        conf[F_GROUP] = 0;
        conf[F_IDENTITY] = 1;
        conf[F_M] = n;
      }
      team!.run(P_GRAD);
      const bounds: number[] = [];
      for (let k = 0; k < K && !fused; k++) {
        let mg = 0, mh = 0;
        for (let t = 0; t < T; t++) {
          mg = Math.max(mg, c.stats[2 * K * t + 2 * k]);
          mh = Math.max(mh, c.stats[2 * K * t + 2 * k + 1]);
        }
        bounds.push(mg, mh);
      }
      const maxima = dist && !fused ? await globalMax(dist, bounds) : bounds;
      // Quantization: |Σ q| ≤ 2^52 for any set of rows, so integer sums stay exact in float64.
      const scales: [number, number][] = [];
      for (let k = 0; k < K && !fused; k++) scales.push([quantScale(maxima[2 * k], N), quantScale(maxima[2 * k + 1], N)]);
      for (let k = 0; k < K; k++) {
        if (!fused) {
          [conf[F_QG], conf[F_QH]] = scales[k];
          conf[F_SG] = 1 / conf[F_QG];
          conf[F_SH] = 1 / conf[F_QH];
        }
        conf[F_GROUP] = k;
        let m = n;
        if (sampled) {
          m = 0;
          for (let r = 0; r < n; r++) if (rowRng.next() < params.subsample) c.rows[m++] = r;
          conf[F_IDENTITY] = 0;
        } else conf[F_IDENTITY] = 1;
        conf[F_M] = m;
        const sampler = makeSampler(cols, params, rng);
        const grown = await grower.grow(sampler, conf[F_SG], conf[F_SH]);
        if (obj === 'reg:absoluteerror') {
          const { q, count } = leafMedians(grown, c.rows, c.labels, c.weights, c.margin);
          setLeafValues(grown, dist ? await globalLeafQuantiles(dist, q, count) : q, params.eta);
        }
        updateTrainMargins(team!, grown, sampled);
        for (const e of evals) if (!e.isTrain) addTreeMargins(grown.tree, e.data.features, e.data.rows, e.data.cols, e.margin, K, k);
        trees.push(grown.tree);
        groups.push(k);
      }
      if (evals.length > 0) {
        const results = dist ? await globalResults(dist, evals, metrics, obj, K) : localResults(evals, metrics, obj, K);
        opts.onRound?.({ round, results });
        if (early > 0) {
          const last = results[results.length - 1];
          const better = bestIter < 0 || (maximizes(last.metric) ? last.value > bestScore : last.value < bestScore);
          if (better) {
            bestScore = last.value;
            bestIter = round;
          } else if (round - bestIter >= early) break;
        }
      }
      await yieldToLoop();
    }
    const model: BoosterModel = {
      objective: obj,
      numClass: K,
      numFeature: cols,
      baseScore: params.base_score,
      trees,
      treeGroup: Int32Array.from(groups),
      params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)])),
    };
    if (early > 0 && bestIter >= 0) {
      model.bestIteration = bestIter;
      model.bestScore = bestScore;
    }
    return model;
  } finally {
    if (team) await team.close();
    else await terminateAll(booted);
  }
}

interface EvalState {
  name: string;
  data: TrainingMatrix;
  margin: Float64Array;
}

function localResults(evals: EvalState[], metrics: EvalMetric[], obj: Objective, K: number): RoundReport['results'] {
  const results: RoundReport['results'] = [];
  for (const e of evals) {
    const pred = transformMargins(obj, e.margin, e.data.rows, K);
    for (const metric of metrics) results.push({ dataset: e.name, metric, value: evalMetric(metric, pred, e.data.labels, e.data.weights, e.data.rows, K) });
  }
  return results;
}

/** The round's metrics over every host's rows of each eval set (the same values on every host). */
async function globalResults(c: Collective, evals: EvalState[], metrics: EvalMetric[], obj: Objective, K: number): Promise<RoundReport['results']> {
  const shards = evals.map((e) => ({ pred: transformMargins(obj, e.margin, e.data.rows, K), labels: e.data.labels, weights: e.data.weights, n: e.data.rows }));
  const values = await globalMetricValues(c, shards, metrics, K);
  return evals.flatMap((e, i) => metrics.map((metric, j) => ({ dataset: e.name, metric, value: values[i * metrics.length + j] })));
}

/** Power of two q with max·n·q ≤ 2^52. */
function quantScale(max: number, n: number): number {
  if (!(max > 0)) return 1;
  const e = Math.floor(Math.log2(2 ** 52 / (max * n)));
  return 2 ** Math.max(-1000, Math.min(1000, e));
}

/** colsample_bytree (per tree), colsample_bylevel (per depth), colsample_bynode (per node), nested as XGBoost. */
function makeSampler(cols: number, params: BoosterParams, rng: Rng): (depth: number, mask: Uint8Array, mo: number) => void {
  const all = Array.from({ length: cols }, (_, i) => i);
  if (params.colsample_bytree >= 1 && params.colsample_bylevel >= 1 && params.colsample_bynode >= 1) {
    return (_d, mask, mo) => mask.fill(1, mo, mo + cols);
  }
  const pick = (from: number[], frac: number): number[] => {
    if (frac >= 1) return from;
    const k = Math.max(1, Math.floor(frac * from.length));
    const a = from.slice();
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(rng.next() * (a.length - i));
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a.slice(0, k).sort((x, y) => x - y);
  };
  const tree = pick(all, params.colsample_bytree);
  const levels = new Map<number, number[]>();
  return (depth, mask, mo) => {
    let lv = levels.get(depth);
    if (!lv) levels.set(depth, (lv = pick(tree, params.colsample_bylevel)));
    const node = pick(lv, params.colsample_bynode);
    mask.fill(0, mo, mo + cols);
    for (const f of node) mask[mo + f] = 1;
  };
}

function updateTrainMargins(team: Team, grown: GrownTree, traverse: boolean): void {
  const c = team.ctx;
  const { tree, leafNodes, leafBegin, leafEnd } = grown;
  if (traverse) {
    for (let i = 0; i < tree.left.length; i++) {
      c.treeI[4 * i] = tree.left[i];
      c.treeI[4 * i + 1] = tree.right[i];
      c.treeI[4 * i + 2] = tree.splitFeature[i];
      c.treeV[i] = tree.leafValue[i];
    }
    // Bin index of each split, recovered from the node's threshold via the grower's record.
    for (let i = 0; i < grown.splitBins.length; i++) c.treeI[4 * i + 3] = (grown.splitBins[i] << 1) | tree.defaultLeft[i];
    c.conf[F_TRAVERSE] = 1;
  } else {
    c.conf[F_TRAVERSE] = 0;
    for (let i = 0; i < leafNodes.length; i++) {
      c.leaves[3 * i] = leafBegin[i];
      c.leaves[3 * i + 1] = leafEnd[i];
      c.leaves[3 * i + 2] = tree.leafValue[leafNodes[i]];
    }
    c.conf[F_LEAVES] = leafNodes.length;
  }
  team.run(P_UPDATE);
}
