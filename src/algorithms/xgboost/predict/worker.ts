/** Worker thread of the prediction pool (see parallel.ts): scores the row ranges it is sent. */
import { parentPort } from 'node:worker_threads';
import { marginRowsImpl, type CompiledForest } from '../predict.js';
import { FORESTS_KEPT, type PredictJob } from './parallel.js';

const port = parentPort;
if (!port) throw new Error('xgboost predict worker: no parent port');

const forests = new Map<number, CompiledForest>();
port.on('message', (m: PredictJob) => {
  try {
    if (m.forest) {
      forests.set(m.id, m.forest);
      if (forests.size > FORESTS_KEPT) forests.delete(forests.keys().next().value!);
    }
    const forest = forests.get(m.id);
    if (!forest) throw new Error(`forest ${m.id} was never sent`);
    marginRowsImpl(forest, m.features, 0, m.rows, m.out);
    port.postMessage({ job: m.job });
  } catch (e) {
    port.postMessage({ job: m.job, error: e instanceof Error ? e.message : String(e) });
  }
});
port.postMessage({ ready: true });
