/**
 * The one place batch transform touches the serving layer: it starts a model's replicas for the
 * duration of a job (no endpoint, no HTTP) and sends them request bodies. If the serving layer's
 * replica surface changes, this file is what changes.
 */
import { isPlatformError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ModelRuntimes } from '../serving/runtimes/runtimes.js';
import { VariantPool } from '../serving/variant-pool.js';
import type { ModelRecord } from '../store/metadata-store.js';

/** A running model: requests in, response bodies out. */
export interface ModelRunner {
  /**
   * One request.
   * @throws PlatformError as the replica reports it; see {@link isBadInput}.
   */
  invoke(body: string, contentType: string, accept: string): Promise<string>;
  /** Waits for requests in flight, then ends every replica. */
  stop(): Promise<void>;
}

/** Starts model runners; injectable so the service can be tested with a fake model. */
export type StartModelRunner = (model: ModelRecord, instanceCount: number, log: Logger) => Promise<ModelRunner>;

/** Runners over the serving layer's replicas, of whatever runtime the model has (built-in, ONNX, your code). */
export function replicaRunners(runtimes: Pick<ModelRuntimes, 'forModel'>): StartModelRunner {
  return async (model, instanceCount, log) => {
    const runtime = await runtimes.forModel(model, `transform replica of model '${model.name}'`);
    const pool = new VariantPool('transform', model.name, runtime, log);
    try {
      await pool.start(instanceCount);
    } catch (e) {
      await pool.stop().catch(() => undefined);
      throw e;
    }
    return {
      async invoke(body, contentType, accept) {
        const answer = (await pool.invoke({ body, contentType, accept })).body;
        return typeof answer === 'string' ? answer : answer.toString('utf8');
      },
      stop: () => pool.stop(),
    };
  };
}

/** Whether an invocation error blames the request (a bad record, HTTP 400) rather than the model. */
export const isBadInput = (e: unknown): boolean => isPlatformError(e) && e.code === 'ValidationError';

/** The 1-based row of the request an error names (`details.row`), if any. */
export function rowOf(e: unknown): number | undefined {
  if (!isPlatformError(e)) return undefined;
  const row = e.details?.row;
  return typeof row === 'number' && Number.isInteger(row) && row >= 1 ? row : undefined;
}
