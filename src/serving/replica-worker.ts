/** Worker-thread entry of one endpoint replica: loads a built-in or ONNX model and answers invocations. */
import { parentPort, workerData } from 'node:worker_threads';
import type { Predictor } from '../algorithms/algorithm.js';
import { builtinAlgorithm } from '../algorithms/registry.js';
import { isPlatformError } from '../core/errors.js';
import { formatResponse, negotiateAccept, parseRequest } from './codecs.js';
import type { InvokeMessage, ReadyMessage, ReplicaError, ReplicaWorkerData, ReplyMessage } from './replica-protocol.js';

const ACCEPTED = ['application/json', 'application/jsonlines', 'text/csv'];

/** A loaded model: turns one request into a response body (synchronously when it can). */
export interface WorkerModelHandler {
  answer(body: string, contentType: string | undefined, accept: string | undefined): { body: string; contentType: string } | Promise<{ body: string; contentType: string }>;
}

function toReplicaError(e: unknown): ReplicaError {
  if (isPlatformError(e)) return { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) };
  return { code: 'ModelError', message: `the model failed: ${e instanceof Error ? e.message : String(e)}` };
}

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
  const fail = (id: number, e: unknown): ReplyMessage => ({ id, ok: false, error: toReplicaError(e) });
  port.on('message', (m: InvokeMessage) => {
    let out: ReturnType<WorkerModelHandler['answer']>;
    try {
      out = handler.answer(m.body, m.contentType, m.accept);
    } catch (e) {
      port.postMessage(fail(m.id, e));
      return;
    }
    if (out instanceof Promise) {
      out.then(
        (r) => port.postMessage({ id: m.id, ok: true, body: r.body, contentType: r.contentType } satisfies ReplyMessage),
        (e: unknown) => port.postMessage(fail(m.id, e)),
      );
    } else {
      port.postMessage({ id: m.id, ok: true, body: out.body, contentType: out.contentType } satisfies ReplyMessage);
    }
  });
  port.postMessage({ ready: true } satisfies ReadyMessage);
}

void main();
