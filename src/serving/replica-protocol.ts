/** Messages between the server and a replica worker thread. */
export interface InvokeMessage {
  id: number;
  body: string;
  contentType: string | undefined;
  accept: string | undefined;
}

export interface ReplicaError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export type ReplyMessage =
  | { id: number; ok: true; body: string; contentType: string }
  | { id: number; ok: false; error: ReplicaError };

/** The first message a worker sends: loaded, or why it could not load. */
export type ReadyMessage = { ready: true } | { ready: false; error: ReplicaError };

/** What a worker thread loads: a built-in algorithm's artifact, or an ONNX model. */
export type WorkerModel =
  | { runtime: 'builtin'; algorithm: string; modelDir: string }
  | { runtime: 'onnx'; modelDir: string };

export type ReplicaWorkerData = WorkerModel & { entry: string };
