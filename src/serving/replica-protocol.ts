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
export type ReadyMessage = { ready: true; featureCount: number } | { ready: false; error: ReplicaError };

export interface ReplicaWorkerData {
  entry: string;
  algorithm: string;
  modelDir: string;
}
