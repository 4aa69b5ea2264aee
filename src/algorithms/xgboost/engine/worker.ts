/** Worker thread of the training team: waits on the shared control words and runs phases. */
import { parentPort } from 'node:worker_threads';
import { P_EXIT, runPhase } from './kernels.js';
import { C_DONE, C_ERROR, C_GEN, C_PHASE, makeCtx } from './shared.js';
import { SPINS, type InitMessage } from './team.js';

const port = parentPort;
if (!port) throw new Error('xgboost worker: no parent port');

port.once('message', (m: InitMessage) => {
  const ctx = makeCtx(m.layout, m.shm);
  const ctrl = ctx.ctrl;
  let gen = Atomics.load(ctrl, C_GEN);
  port.postMessage({ ready: true });
  for (;;) {
    let spins = 0;
    while (Atomics.load(ctrl, C_GEN) === gen) {
      if (++spins > SPINS) Atomics.wait(ctrl, C_GEN, gen, 1000);
    }
    gen = Atomics.load(ctrl, C_GEN);
    const phase = Atomics.load(ctrl, C_PHASE);
    if (phase === P_EXIT) break;
    try {
      runPhase(ctx, phase, m.tid);
    } catch (e) {
      Atomics.store(ctrl, C_ERROR, 1);
      port.postMessage({ error: e instanceof Error ? e.message : String(e) });
    }
    Atomics.add(ctrl, C_DONE, 1);
    Atomics.notify(ctrl, C_DONE);
  }
  port.close();
});
