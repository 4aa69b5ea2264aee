/**
 * Tree growth on the main thread: decides which nodes to split and hands the row work to the
 * team in batches (one SPLIT and one FIND phase per batch). Depthwise expands every valid node
 * of a level per batch; lossguide expands the best node of a priority queue (loss_chg, then
 * node id), as XGBoost 1.7's hist driver. Histograms of the smaller child (by row count) are
 * built, the sibling's derived from the parent's by subtraction.
 *
 * Data-parallel (a `HistogramSync`): each host builds histograms of its own rows; between the
 * reduction of the threads' partial histograms (REDUCE) and the split search (FIND) the built
 * histograms are summed over the hosts, so every host searches the same global histograms and
 * grows the same tree. Which child is built is then decided from the split's global hessians
 * (as XGBoost does), since row counts are per host.
 */
import { allocateTree, type Tree } from '../model.js';
import { thresholdOf, type BinInfo } from './binning.js';
import { P_BUILD, P_FIND, P_PARTITION, P_REDUCE, P_ROOT } from './kernels.js';
import { F_ITEMS, F_M, F_REDUCED, F_ROOT_IN_GRAD, T_BEGIN, T_BIN, T_BUILD, T_DLEFT, T_END, T_FEAT, T_FIND, T_PARENT_SLOT, T_PARTITION, T_SLOT_L, T_SLOT_R, TS } from './shared.js';
import { calcWeight, R_BIN, R_DLEFT, R_FEAT, R_LOSS, R_QG, R_QGL, R_QH, R_QHL, RS } from './split.js';
import type { Team } from './team.js';

const RT_EPS = 1e-6;

export interface GrowParams {
  eta: number;
  gamma: number;
  maxDepth: number;
  maxLeaves: number;
  lossguide: boolean;
  lambda: number;
  alpha: number;
  minChildWeight: number;
  maxDeltaStep: number;
}

interface Cand {
  nid: number;
  depth: number;
  begin: number;
  end: number;
  /** Pool slot holding the node's histogram, or -1. */
  slot: number;
  qG: number;
  qH: number;
  loss: number;
  feat: number;
  bin: number;
  dleft: number;
  qGL: number;
  qHL: number;
}

/** Built tree plus the row segment of each leaf (positions in the shared rows array). */
export interface GrownTree {
  tree: Tree;
  leafNodes: number[];
  leafBegin: number[];
  leafEnd: number[];
  /** Split bin of each internal node (bins ≤ it go left), 0 for leaves. */
  splitBins: number[];
}

/** Chooses the features a node may split on (colsample_by*); writes 0/1 into mask[mo..mo+cols). */
export type FeatureSampler = (depth: number, mask: Uint8Array, mo: number) => void;

/** Sums the histograms in these pool slots over the job's hosts, in place (data-parallel training). */
export type HistogramSync = (slots: number[]) => Promise<void>;

export class Grower {
  #free: number[] = [];
  #reserve: number;

  constructor(
    private readonly team: Team,
    private readonly info: BinInfo,
    private readonly p: GrowParams,
    private readonly sync?: HistogramSync,
  ) {
    const L = team.ctx.L;
    for (let s = L.poolSlots - 1; s >= 0; s--) this.#free.push(s);
    this.#reserve = 2 * L.maxItems;
  }

  /** Grows one tree on the rows already in ctx.rows[0..m) (conf F_M, gradients set up by the caller). */
  async grow(sampler: FeatureSampler, sg: number, sh: number): Promise<GrownTree> {
    const c = this.team.ctx;
    const p = this.p;
    const m = c.conf[F_M];
    // Node storage (grows as needed).
    const N = {
      left: [] as number[], right: [] as number[], parent: [] as number[], feat: [] as number[], thr: [] as number[],
      dl: [] as number[], bin: [] as number[], gain: [] as number[], cover: [] as number[], base: [] as number[], leaf: [] as number[],
    };
    const newNode = (parent: number): number => {
      N.left.push(-1); N.right.push(-1); N.parent.push(parent); N.feat.push(0); N.thr.push(0);
      N.dl.push(0); N.bin.push(0); N.gain.push(0); N.cover.push(0); N.base.push(0); N.leaf.push(0);
      return N.left.length - 1;
    };
    const leafNodes: number[] = [], leafBegin: number[] = [], leafEnd: number[] = [];
    const weight = (qG: number, qH: number) => calcWeight(qG * sg, qH * sh, p.lambda, p.alpha, p.minChildWeight, p.maxDeltaStep);
    const finishLeaf = (cd: Cand) => {
      const w = weight(cd.qG, cd.qH) * p.eta;
      N.leaf[cd.nid] = w;
      N.base[cd.nid] = w;
      N.cover[cd.nid] = cd.qH * sh;
      leafNodes.push(cd.nid);
      leafBegin.push(cd.begin);
      leafEnd.push(cd.end);
      this.#release(cd.slot);
    };
    let numLeaves = 1;
    const valid = (cd: Cand) =>
      cd.loss > RT_EPS &&
      cd.qHL !== 0 &&
      cd.qH - cd.qHL !== 0 &&
      !(cd.loss < p.gamma) &&
      !(p.maxDepth > 0 && cd.depth >= p.maxDepth) &&
      !(p.maxLeaves > 0 && numLeaves >= p.maxLeaves);
    const canSplitAt = (depth: number) => p.maxDepth === 0 || depth < p.maxDepth;

    // Root.
    const rootSlot = this.#take(true);
    const root = newNode(-1);
    if (c.conf[F_ROOT_IN_GRAD] !== 1) this.team.run(P_ROOT);
    c.task.fill(0, 0, TS);
    c.task[T_BUILD] = 1;
    c.task[T_FIND] = 1;
    c.task[T_SLOT_L] = rootSlot;
    c.task[T_PARENT_SLOT] = -1;
    sampler(0, c.mask, 0);
    c.conf[F_ITEMS] = 1;
    await this.#find();
    const rootCand = this.#cand(root, 0, 0, m, rootSlot, 0);
    if (!canSplitAt(0)) rootCand.loss = -Infinity;

    // Expands `batch` (valid candidates); returns the children as candidates.
    const expand = async (batch: Cand[]): Promise<Cand[]> => {
      const out: Cand[] = [];
      let i = 0;
      while (i < batch.length) {
        const items: { cd: Cand; l: number; r: number; find: boolean; keep: boolean[]; slots: number[] }[] = [];
        while (i < batch.length && items.length < c.L.maxItems) {
          const cd = batch[i++];
          const l = newNode(cd.nid), r = newNode(cd.nid);
          const find = canSplitAt(cd.depth + 1) && !(p.maxLeaves > 0 && numLeaves >= p.maxLeaves);
          items.push({ cd, l, r, find, keep: [false, false], slots: [-1, -1] });
        }
        c.conf[F_ITEMS] = items.length;
        for (let b = 0; b < items.length; b++) {
          const it = items[b];
          const cd = it.cd;
          const o = b * TS;
          c.task[o + T_BEGIN] = cd.begin;
          c.task[o + T_END] = cd.end;
          c.task[o + T_FEAT] = cd.feat;
          c.task[o + T_BIN] = cd.bin;
          c.task[o + T_DLEFT] = cd.dleft;
          c.task[o + T_PARTITION] = 1;
          c.task[o + T_PARENT_SLOT] = cd.slot;
          if (it.find) {
            for (let s = 0; s < 2; s++) {
              const kept = this.#take(false);
              it.keep[s] = kept >= 0;
              it.slots[s] = kept >= 0 ? kept : this.#take(true);
            }
            // Narrowed to the smaller child once the partition has counted rows; across hosts, now.
            c.task[o + T_BUILD] = this.sync && cd.slot >= 0 ? (cd.qHL <= cd.qH - cd.qHL ? 1 : 2) : 3;
            c.task[o + T_FIND] = 3;
            sampler(cd.depth + 1, c.mask, 2 * b * c.L.cols);
            sampler(cd.depth + 1, c.mask, (2 * b + 1) * c.L.cols);
          } else {
            c.task[o + T_BUILD] = 0;
            c.task[o + T_FIND] = 0;
          }
          c.task[o + T_SLOT_L] = it.slots[0];
          c.task[o + T_SLOT_R] = it.slots[1];
        }
        this.team.run(P_PARTITION);
        const T = c.L.T;
        for (let b = 0; b < items.length && !this.sync; b++) {
          const o = b * TS;
          if (c.task[o + T_BUILD] === 0 || items[b].cd.slot < 0) continue;
          let NL = 0, NR = 0;
          for (let u = 0; u < T; u++) {
            NL += c.counts[2 * (b * T + u)];
            NR += c.counts[2 * (b * T + u) + 1];
          }
          c.task[o + T_BUILD] = NL <= NR ? 1 : 2;
        }
        this.team.run(P_BUILD);
        await this.#find();
        for (let b = 0; b < items.length; b++) {
          const it = items[b];
          const cd = it.cd;
          let NL = 0;
          for (let u = 0; u < T; u++) NL += c.counts[2 * (b * T + u)];
          // The parent becomes an internal node.
          N.left[cd.nid] = it.l;
          N.right[cd.nid] = it.r;
          N.feat[cd.nid] = cd.feat;
          N.thr[cd.nid] = thresholdOf(this.info, cd.feat, cd.bin);
          N.dl[cd.nid] = cd.dleft;
          N.bin[cd.nid] = cd.bin;
          N.gain[cd.nid] = cd.loss;
          N.cover[cd.nid] = cd.qH * sh;
          N.base[cd.nid] = weight(cd.qG, cd.qH) * p.eta;
          this.#release(cd.slot);
          const mid = cd.begin + NL;
          const kids: [number, number, number, number, number][] = [
            [it.l, cd.begin, mid, cd.qGL, cd.qHL],
            [it.r, mid, cd.end, cd.qG - cd.qGL, cd.qH - cd.qHL],
          ];
          for (let s = 0; s < 2; s++) {
            const [nid, begin, end, qG, qH] = kids[s];
            if (it.find) {
              const kc = this.#cand(nid, cd.depth + 1, begin, end, it.keep[s] ? it.slots[s] : -1, 2 * b + s);
              if (!it.keep[s]) this.#release(it.slots[s]);
              out.push(kc);
            } else {
              out.push({ nid, depth: cd.depth + 1, begin, end, slot: -1, qG, qH, loss: -Infinity, feat: 0, bin: 0, dleft: 0, qGL: 0, qHL: 0 });
            }
          }
        }
      }
      return out;
    };

    if (!p.lossguide) {
      let level = [rootCand];
      while (level.length > 0) {
        const batch: Cand[] = [];
        for (const cd of level) {
          if (valid(cd)) {
            batch.push(cd);
            numLeaves++;
          } else finishLeaf(cd);
        }
        level = batch.length > 0 ? await expand(batch) : [];
      }
    } else {
      const queue: Cand[] = [rootCand];
      while (queue.length > 0) {
        let bi = 0;
        for (let j = 1; j < queue.length; j++) {
          const a = queue[j], b = queue[bi];
          if (a.loss > b.loss || (a.loss === b.loss && a.nid < b.nid)) bi = j;
        }
        const cd = queue[bi];
        queue[bi] = queue[queue.length - 1];
        queue.pop();
        if (!valid(cd)) {
          finishLeaf(cd);
          continue;
        }
        numLeaves++;
        for (const kc of await expand([cd])) queue.push(kc);
      }
    }

    const n = N.left.length;
    const tree = allocateTree(n);
    for (let i = 0; i < n; i++) {
      tree.left[i] = N.left[i];
      tree.right[i] = N.right[i];
      tree.parent[i] = N.parent[i];
      tree.splitFeature[i] = N.feat[i];
      tree.threshold[i] = N.thr[i];
      tree.leafValue[i] = N.leaf[i];
      tree.defaultLeft[i] = N.dl[i];
      tree.gain[i] = N.gain[i];
      tree.cover[i] = N.cover[i];
      tree.baseWeight[i] = N.base[i];
    }
    return { tree, leafNodes, leafBegin, leafEnd, splitBins: N.bin };
  }

  /** FIND on the current items; data-parallel: REDUCE, the sum over the hosts, then FIND. */
  async #find(): Promise<void> {
    const c = this.team.ctx;
    if (!this.sync) {
      this.team.run(P_FIND);
      return;
    }
    this.team.run(P_REDUCE);
    const slots: number[] = [];
    for (let b = 0; b < c.conf[F_ITEMS]; b++) {
      const o = b * TS;
      if (c.task[o + T_FIND] === 0) continue;
      for (let side = 0; side < 2; side++) if ((c.task[o + T_BUILD] & (1 << side)) !== 0) slots.push(c.task[o + T_SLOT_L + side]);
    }
    await this.sync(slots);
    c.conf[F_REDUCED] = 1;
    try {
      this.team.run(P_FIND);
    } finally {
      c.conf[F_REDUCED] = 0;
    }
  }

  #cand(nid: number, depth: number, begin: number, end: number, slot: number, r: number): Cand {
    const res = this.team.ctx.res;
    const o = r * RS;
    return {
      nid, depth, begin, end, slot,
      qG: res[o + R_QG], qH: res[o + R_QH], loss: res[o + R_LOSS], feat: res[o + R_FEAT], bin: res[o + R_BIN],
      dleft: res[o + R_DLEFT], qGL: res[o + R_QGL], qHL: res[o + R_QHL],
    };
  }

  /** A pool slot; `temp` may dip into the reserve kept for one batch's temporary histograms. */
  #take(temp: boolean): number {
    if (this.#free.length > (temp ? 0 : this.#reserve)) return this.#free.pop()!;
    if (temp) throw new Error('xgboost: histogram pool exhausted');
    return -1;
  }

  #release(slot: number): void {
    if (slot >= 0) this.#free.push(slot);
  }
}
