/**
 * The thread team: the main thread (tid 0) plus nthread − 1 persistent workers, synchronized
 * through Atomics on the shared control words. A phase is: the main thread bumps the
 * generation word and wakes the workers, runs its own share, then waits until every worker
 * has counted itself done. Workers run TypeScript through src/core/tsx-bootstrap.mjs.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { P_EXIT, runPhase } from './kernels.js';
import { C_DONE, C_ERROR, C_GEN, C_PHASE, makeCtx, type Ctx, type Layout, type Shm } from './shared.js';

const BOOTSTRAP = fileURLToPath(new URL('../../../core/tsx-bootstrap.mjs', import.meta.url));
const ENTRY = fileURLToPath(new URL('./worker.ts', import.meta.url));
const STALL_MS = 300_000;
/** Busy-wait iterations (~0.1–0.5 ms) before sleeping on a barrier: a futex wake-up can cost a scheduler tick on a busy machine. */
export const SPINS = 1 << 18;

export interface InitMessage {
  tid: number;
  layout: Layout;
  shm: Shm;
}

/** Per-phase times of the last closed team (STRATUS_XGB_PROFILE set), indexed by phase number. */
export let lastProfile: { wallMs: number[]; cpuMs: number[]; wasm: boolean } | undefined;

export class Team {
  readonly ctx: Ctx;
  #workers: Worker[] = [];
  #errors: string[] = [];
  #closed = false;

  private constructor(ctx: Ctx) {
    this.ctx = ctx;
  }

  /** Boots the workers (they load in parallel with whatever the caller does next). */
  static spawn(count: number): Worker[] {
    const ws: Worker[] = [];
    for (let i = 0; i < count; i++) ws.push(new Worker(BOOTSTRAP, { workerData: { entry: ENTRY } }));
    return ws;
  }

  /** Hands the shared state to booted workers and waits until each is in its phase loop. */
  static async start(layout: Layout, shm: Shm, workers: Worker[]): Promise<Team> {
    const team = new Team(makeCtx(layout, shm));
    team.#workers = workers;
    await Promise.all(
      workers.map(
        (w, i) =>
          new Promise<void>((resolve, reject) => {
            const onExit = (code: number) => reject(new Error(`xgboost worker exited with code ${code} while starting`));
            w.once('error', reject);
            w.once('exit', onExit);
            w.once('message', (m: { ready?: boolean }) => {
              w.off('error', reject);
              w.off('exit', onExit);
              if (m.ready) resolve();
              else reject(new Error('xgboost worker failed to start'));
            });
            const msg: InitMessage = { tid: i + 1, layout, shm };
            w.postMessage(msg);
          }),
      ),
    );
    for (const w of workers) {
      w.on('message', (m: { error?: string }) => {
        if (m.error) team.#errors.push(m.error);
      });
      w.on('error', (e) => team.#errors.push(e.message));
    }
    return team;
  }

  /** A team of one: phases run in this thread. */
  static solo(layout: Layout, shm: Shm): Team {
    return new Team(makeCtx(layout, shm));
  }

  /** Milliseconds spent per phase (own share plus waiting), for profiling. */
  readonly phaseMs = new Float64Array(16);

  /** Process CPU milliseconds per phase (all threads), when STRATUS_XGB_PROFILE is set. */
  readonly phaseCpuMs = new Float64Array(16);
  readonly #profile = !!process.env.STRATUS_XGB_PROFILE;

  run(phase: number): void {
    const t0 = performance.now();
    const c0 = this.#profile ? process.cpuUsage() : undefined;
    this.#run(phase);
    this.phaseMs[phase] += performance.now() - t0;
    if (c0) {
      const c = process.cpuUsage(c0);
      this.phaseCpuMs[phase] += (c.user + c.system) / 1000;
    }
  }

  #run(phase: number): void {
    const ctrl = this.ctx.ctrl;
    const others = this.#workers.length;
    if (others === 0) {
      runPhase(this.ctx, phase, 0);
      return;
    }
    Atomics.store(ctrl, C_DONE, 0);
    Atomics.store(ctrl, C_PHASE, phase);
    Atomics.add(ctrl, C_GEN, 1);
    Atomics.notify(ctrl, C_GEN);
    runPhase(this.ctx, phase, 0);
    let spins = 0;
    const started = Date.now();
    for (;;) {
      const d = Atomics.load(ctrl, C_DONE);
      if (d === others) break;
      if (++spins < SPINS) continue;
      Atomics.wait(ctrl, C_DONE, d, 100);
      if (Date.now() - started > STALL_MS) throw new Error('xgboost workers stalled');
    }
    if (Atomics.load(ctrl, C_ERROR) !== 0) throw new Error(`xgboost worker failed: ${this.#errors.join('; ') || 'unknown error'}`);
  }

  /** Stops the workers (idempotent). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#profile) lastProfile = { wallMs: Array.from(this.phaseMs), cpuMs: Array.from(this.phaseCpuMs), wasm: this.ctx.wasm !== null };
    const ctrl = this.ctx.ctrl;
    if (this.#workers.length > 0) {
      Atomics.store(ctrl, C_PHASE, P_EXIT);
      Atomics.add(ctrl, C_GEN, 1);
      Atomics.notify(ctrl, C_GEN);
    }
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}

/** Terminates workers that never joined a team (failure before start). */
export async function terminateAll(workers: Worker[]): Promise<void> {
  await Promise.all(workers.map((w) => w.terminate()));
}
