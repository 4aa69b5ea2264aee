/**
 * The ONNX runtime, inside a replica worker thread: finds the model's .onnx file, opens an ONNX
 * Runtime session and answers requests through `onnx-io.ts`.
 */
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import * as ort from 'onnxruntime-node';
import { PlatformError } from '../../core/errors.js';
import type { ModelAnswer, WorkerModelHandler, WorkerRequest } from '../replica-answerer.js';
import { checkInputs, feedsOf, formatOutputs, joinFeeds, joinKey, recordsOf, splitOutputs, takesBatches, type Feed, type Fetched, type TensorSpec } from './onnx-io.js';

const MAX_DEPTH = 4;

async function onnxFiles(dir: string, depth = 0): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isFile() && entry.name.endsWith('.onnx')) found.push(path);
    else if (entry.isDirectory() && depth < MAX_DEPTH) found.push(...(await onnxFiles(path, depth + 1)));
  }
  return found.sort();
}

/**
 * The model file: `model.onnx` at the top of the artifact, else its only `.onnx` file.
 * @throws PlatformError ModelError when there is none, or several and no model.onnx.
 */
export async function findOnnxFile(modelDir: string): Promise<string> {
  const files = await onnxFiles(modelDir);
  const top = files.find((f) => relative(modelDir, f) === 'model.onnx');
  if (top) return top;
  if (files.length === 1) return files[0];
  if (files.length === 0) throw new PlatformError('ModelError', 'the model artifact holds no .onnx file; upload a .onnx file, or a model.tar.gz with one (model.onnx)');
  const names = files.map((f) => relative(modelDir, f)).join(', ');
  throw new PlatformError('ModelError', `the model artifact holds several .onnx files (${names}); name the one to serve model.onnx`);
}

const tensorSpecs = (meta: readonly ort.InferenceSession.ValueMetadata[]): TensorSpec[] =>
  meta.map((m) => (m.isTensor ? { name: m.name, type: m.type, shape: m.shape } : { name: m.name, type: 'non-tensor', shape: [] }));

/** Loads the model in `modelDir` and returns the handler the worker calls per request or batch. */
export async function loadOnnxHandler(modelDir: string): Promise<WorkerModelHandler> {
  const file = await findOnnxFile(modelDir);
  let session: ort.InferenceSession;
  try {
    // One thread each: replicas, not intra-op threads, are how a variant uses more cores. Run
    // failures reach the caller as ModelError, so ONNX Runtime's own log says only fatal ones.
    session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 4 });
  } catch (e) {
    throw new PlatformError('ModelError', `ONNX Runtime cannot load '${relative(modelDir, file)}': ${(e as Error).message}`);
  }
  const inputs = tensorSpecs(session.inputMetadata);
  checkInputs(inputs);
  const outputs = tensorSpecs(session.outputMetadata).filter((o) => o.type !== 'non-tensor').map((o) => o.name);
  if (outputs.length === 0) throw new PlatformError('ModelError', 'the ONNX model has no tensor outputs (sequence and map outputs, e.g. ZipMap, are not served)');
  return new OnnxHandler(session, inputs, outputs);
}

/** One request's feeds, parsed and checked, waiting for its run. */
interface Parsed {
  index: number;
  feeds: Record<string, Feed>;
  rows: number;
  accept: string | undefined;
}

/**
 * Answers requests with one session. A batch's valid requests of the same shape go in one run
 * when the model takes any number of rows (each row's outputs do not depend on the others); if
 * that run fails, each request runs on its own, so the failure is only theirs that cause it.
 */
class OnnxHandler implements WorkerModelHandler {
  readonly #joins: boolean;

  constructor(
    private readonly session: ort.InferenceSession,
    private readonly inputs: TensorSpec[],
    private readonly outputs: string[],
  ) {
    this.#joins = takesBatches(inputs);
  }

  async answer(body: string, contentType: string | undefined, accept: string | undefined): Promise<ModelAnswer> {
    const { feeds, rows } = feedsOf(body, contentType, this.inputs);
    return formatOutputs(recordsOf(await this.#run(feeds), rows), accept);
  }

  answerBatch(requests: WorkerRequest[]): Array<Promise<ModelAnswer>> {
    if (!this.#joins) return requests.map((r) => this.answer(r.body, r.contentType, r.accept));
    const answers: Array<Promise<ModelAnswer>> = new Array(requests.length);
    const groups = new Map<string, Parsed[]>();
    for (let i = 0; i < requests.length; i++) {
      const r = requests[i];
      let parsed: Parsed;
      try {
        parsed = { index: i, ...feedsOf(r.body, r.contentType, this.inputs), accept: r.accept };
      } catch (e) {
        answers[i] = Promise.reject(e);
        continue;
      }
      const key = joinKey(parsed.feeds, parsed.rows, this.inputs);
      if (key === undefined) answers[i] = this.#answerParsed(parsed);
      else if (groups.has(key)) groups.get(key)!.push(parsed);
      else groups.set(key, [parsed]);
    }
    for (const group of groups.values()) {
      if (group.length === 1) answers[group[0].index] = this.#answerParsed(group[0]);
      else this.#answerJoined(group, answers);
    }
    return answers;
  }

  async #answerParsed(p: Parsed): Promise<ModelAnswer> {
    return formatOutputs(recordsOf(await this.#run(p.feeds), p.rows), p.accept);
  }

  #answerJoined(group: Parsed[], answers: Array<Promise<ModelAnswer>>) {
    const rows = group.map((p) => p.rows);
    const run = this.#run(joinFeeds(group.map((p) => p.feeds), this.inputs)).then((fetched) => splitOutputs(fetched, rows));
    group.forEach((p, k) => {
      answers[p.index] = run.then(
        (parts) => formatOutputs(recordsOf(parts[k], p.rows), p.accept),
        () => this.#answerParsed(p),
      );
    });
  }

  async #run(feeds: Record<string, Feed>): Promise<Array<[string, Fetched]>> {
    const tensors: Record<string, ort.Tensor> = {};
    for (const [name, f] of Object.entries(feeds)) tensors[name] = new ort.Tensor(f.type as ort.Tensor.Type, f.data, f.dims);
    let result: ort.InferenceSession.ReturnType;
    try {
      result = await this.session.run(tensors, this.outputs);
    } catch (e) {
      throw new PlatformError('ModelError', `the ONNX model failed: ${(e as Error).message}`);
    }
    return this.outputs.map((name) => [name, result[name] as unknown as Fetched]);
  }
}
