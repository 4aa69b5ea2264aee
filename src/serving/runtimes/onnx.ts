/**
 * The ONNX runtime, inside a replica worker thread: finds the model's .onnx file, opens an ONNX
 * Runtime session and answers requests through `onnx-io.ts`.
 */
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import * as ort from 'onnxruntime-node';
import { PlatformError } from '../../core/errors.js';
import type { WorkerModelHandler } from '../replica-answerer.js';
import { checkInputs, feedsOf, formatOutputs, recordsOf, type Fetched, type TensorSpec } from './onnx-io.js';

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

/** Loads the model in `modelDir` and returns the handler the worker calls per request. */
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
  return {
    async answer(body, contentType, accept) {
      const { feeds, rows } = feedsOf(body, contentType, inputs);
      const tensors: Record<string, ort.Tensor> = {};
      for (const [name, f] of Object.entries(feeds)) tensors[name] = new ort.Tensor(f.type as ort.Tensor.Type, f.data, f.dims);
      let result: ort.InferenceSession.ReturnType;
      try {
        result = await session.run(tensors, outputs);
      } catch (e) {
        throw new PlatformError('ModelError', `the ONNX model failed: ${(e as Error).message}`);
      }
      const fetched = outputs.map((name) => [name, result[name] as unknown as Fetched] as [string, Fetched]);
      return formatOutputs(recordsOf(fetched, rows), accept);
    },
  };
}
