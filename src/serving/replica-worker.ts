/** Worker-thread entry of one endpoint replica: loads a built-in model and answers invocations. */
import { parentPort, workerData } from 'node:worker_threads';
import type { Predictor } from '../algorithms/algorithm.js';
import { builtinAlgorithm } from '../algorithms/registry.js';
import { isPlatformError } from '../core/errors.js';
import { formatResponse, negotiateAccept, parseRequest } from './codecs.js';
import type { InvokeMessage, ReadyMessage, ReplicaError, ReplicaWorkerData, ReplyMessage } from './replica-protocol.js';

const ACCEPTED = ['application/json', 'application/jsonlines', 'text/csv'];

function toReplicaError(e: unknown): ReplicaError {
  if (isPlatformError(e)) return { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) };
  return { code: 'ModelError', message: `the model failed: ${e instanceof Error ? e.message : String(e)}` };
}

function answer(predictor: Predictor, m: InvokeMessage): ReplyMessage {
  const accept = negotiateAccept(m.accept, ACCEPTED, predictor.defaultAccept ?? 'application/json') as 'application/json' | 'application/jsonlines' | 'text/csv';
  const { features, rows } = parseRequest(m.body, m.contentType, predictor.featureCount);
  const records = predictor.predict(features, rows);
  const out = formatResponse(records, accept, (r) => predictor.csvLine(r));
  return { id: m.id, ok: true, body: out.body, contentType: out.contentType };
}

async function main() {
  const port = parentPort!;
  const data = workerData as ReplicaWorkerData;
  let predictor: Predictor;
  try {
    predictor = await builtinAlgorithm(data.algorithm).loadPredictor(data.modelDir);
  } catch (e) {
    port.postMessage({ ready: false, error: toReplicaError(e) } satisfies ReadyMessage);
    return;
  }
  port.on('message', (m: InvokeMessage) => {
    let reply: ReplyMessage;
    try {
      reply = answer(predictor, m);
    } catch (e) {
      reply = { id: m.id, ok: false, error: toReplicaError(e) };
    }
    port.postMessage(reply);
  });
  port.postMessage({ ready: true, featureCount: predictor.featureCount } satisfies ReadyMessage);
}

void main();
