/** Worker-thread entry of one endpoint replica: loads a built-in or ONNX model and answers invocations. */
import { parentPort, workerData } from 'node:worker_threads';
import type { Predictor } from '../algorithms/algorithm.js';
import { builtinAlgorithm } from '../algorithms/registry.js';
import { formatResponse, negotiateAccept, parseRequest } from './codecs.js';
import { BatchAnswerer, toReplicaError, type WorkerModelHandler } from './replica-answerer.js';
import { ReplicaState, type InvokeBatch, type ReadyMessage, type ReplicaWorkerData } from './replica-protocol.js';

const ACCEPTED = ['application/json', 'application/jsonlines', 'text/csv'];

function builtinHandler(predictor: Predictor): WorkerModelHandler {
  return {
    answer(body, contentType, acceptHeader) {
      const accept = negotiateAccept(acceptHeader, ACCEPTED, predictor.defaultAccept ?? 'application/json') as 'application/json' | 'application/jsonlines' | 'text/csv';
      const { features, rows } = parseRequest(body, contentType, predictor.featureCount);
      const records = predictor.predict(features, rows);
      return formatResponse(records, accept, (r) => predictor.csvLine(r));
    },
  };
}

async function load(data: ReplicaWorkerData): Promise<WorkerModelHandler> {
  if (data.runtime === 'onnx') {
    // Loaded only by ONNX replicas, so built-in replicas never pay for onnxruntime's start.
    const { loadOnnxHandler } = await import('./runtimes/onnx.js');
    return loadOnnxHandler(data.modelDir);
  }
  return builtinHandler(await builtinAlgorithm(data.algorithm).loadPredictor(data.modelDir));
}

async function main() {
  const port = parentPort!;
  const data = workerData as ReplicaWorkerData;
  let handler: WorkerModelHandler;
  try {
    handler = await load(data);
  } catch (e) {
    port.postMessage({ ready: false, error: toReplicaError(e) } satisfies ReadyMessage);
    return;
  }
  // process.exit in a worker ends this thread only.
  const answerer = new BatchAnswerer(port, handler, { state: new ReplicaState(data.shared), exit: () => process.exit(0) });
  port.on('message', (b: InvokeBatch | null) => answerer.answerAll(b));
  port.postMessage({ ready: true } satisfies ReadyMessage);
}

void main();
