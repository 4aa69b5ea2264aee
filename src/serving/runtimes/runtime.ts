/**
 * The ModelRuntime seam: how the replicas of a variant are started and spoken to. Built-in and
 * ONNX models run in worker threads of the server (`WorkerReplica`); your inference code runs as
 * a child process speaking SageMaker's `/ping` + `/invocations` contract (`ProcessReplica`).
 * `VariantPool` routes, replaces and stops replicas through this interface only.
 */

/** One invocation as it reached the endpoint: the raw body and the caller's media types. */
export interface InvokeRequest {
  body: Buffer | string;
  contentType: string | undefined;
  accept: string | undefined;
  /** Filled by the `VariantPool` that answered (or failed), for the endpoint metrics. */
  trace?: InvocationTrace;
}

/** Where and how long a request ran: the variant and the time inside its replica (ms, -1 when none was reached). */
export interface InvocationTrace {
  variant: string | undefined;
  modelMs: number;
}

export interface InvokeResult {
  body: Buffer | string;
  contentType: string;
}

/** One running copy of a model. */
export interface Replica {
  /** Resolves once the replica can take traffic (model loaded, or `/ping` answered 200). */
  readonly ready: Promise<void>;
  /** Requests sent and not yet answered. */
  readonly outstanding: number;
  /** False once it died, failed its health checks, or was stopped. */
  readonly alive: boolean;
  /**
   * @throws PlatformError Unavailable when the replica died under the request (the pool retries
   *   once elsewhere), ModelError when the model failed, ModelTimeout when it did not answer in time.
   */
  invoke(req: InvokeRequest): Promise<InvokeResult>;
  /** Waits for in-flight requests (up to `timeoutMs`), then ends the replica. */
  drainAndStop(timeoutMs?: number): Promise<void>;
}

/** Called once when a replica stops serving without being asked to (crash, exit, failed health checks). */
export type OnReplicaDeath = (replica: Replica, reason: string) => void;

/** A model ready to be served: starts replicas of it. */
export interface ModelRuntime {
  /** `builtin`, `onnx`, `container` or `python`. */
  readonly kind: string;
  startReplica(onDeath: OnReplicaDeath): Replica;
}
