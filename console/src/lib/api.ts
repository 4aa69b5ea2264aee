import { errorFromResponse, isAbortError, StratusApiError, unreachableError } from '../../../src/sdk/errors.js';
import { SseParser } from '../../../src/sdk/sse.js';
import type {
  AlgorithmList, Artifact, Dataset, DatasetList, DatasetVersion, Endpoint, EndpointConfig, EndpointList, MetricSeries, Model, ModelList,
  Page, TrainingJob, TrainingJobList, CreateTrainingJobRequest, CreateEndpointConfigRequest, UpdateWeightsRequest,
  CreateModelRequest, EndpointMetrics, Experiment, ExperimentList, FeatureImportance, RunComparison, RunList, ScalingEventList,
  ScalingPolicy, ScalingPolicyList, ScalingPolicyRequest, ShadowComparisonReport, TransformJob, TransformJobList, UpdateEndpointRequest,
} from '../../../src/sdk/types.js';

export { StratusApiError };

const TOKEN_KEY = 'stratus.token';

/** The token lives in sessionStorage: it goes when the tab closes. */
export const tokenStore = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (t: string) => sessionStorage.setItem(TOKEN_KEY, t),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();
/** Called when the API says the token is missing or unknown: the app shows the login screen. */
export const onUnauthorized = (fn: Listener) => {
  unauthorizedListeners.add(fn);
  return () => {
    unauthorizedListeners.delete(fn);
  };
};

function check(err: StratusApiError): StratusApiError {
  if (err.status === 401) for (const fn of unauthorizedListeners) fn();
  return err;
}

type Query = Record<string, string | number | boolean | undefined>;
const qs = (q?: Query) => {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};
const enc = encodeURIComponent;

/** One API request with the session's token; a non-2xx answer is thrown as a StratusApiError. */
export async function send(method: string, path: string, opts: { json?: unknown; query?: Query; signal?: AbortSignal; token?: string } = {}): Promise<Response> {
  const headers = new Headers({ accept: 'application/json' });
  const token = opts.token ?? tokenStore.get();
  if (token) headers.set('authorization', `Bearer ${token}`);
  let body: string | undefined;
  if (opts.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(opts.json);
  }
  let res: Response;
  try {
    res = await fetch(path + qs(opts.query), { method, headers, body, signal: opts.signal });
  } catch (e) {
    if (isAbortError(e)) throw e;
    throw unreachableError(location.origin, e);
  }
  if (!res.ok) {
    const err = await errorFromResponse(res);
    // A token being tried at sign-in is not the session's token: its 401 does not sign out.
    throw opts.token ? err : check(err);
  }
  return res;
}

/** One API request answered as JSON (undefined for 204). */
export async function json<T>(method: string, path: string, opts?: Parameters<typeof send>[2]): Promise<T> {
  const res = await send(method, path, opts);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** GET with the token, answered as a Blob and the file name the server suggests. */
async function download(path: string, query?: Query): Promise<{ blob: Blob; fileName: string | undefined }> {
  const res = await send('GET', path, { query });
  const cd = res.headers.get('content-disposition') ?? '';
  const m = /filename\*=UTF-8''([^;]+)/i.exec(cd) ?? /filename="?([^";]+)"?/i.exec(cd);
  return { blob: await res.blob(), fileName: m ? decodeURIComponent(m[1]) : undefined };
}

/** Hands a Blob to the browser as a file download. */
export function saveBlob(blob: Blob, fileName: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export interface ListArgs { limit?: number; nextToken?: string; nameContains?: string; status?: string }

/** The result of an invocation: the body as text, the answering variant, the content type. */
export interface InvokeAnswer { status: number; body: string; variant: string | null; contentType: string | null; ms: number }

/** A typed client of the public REST API, for the browser (fetch + XHR; no Node modules). */
export const api = {
  /** Checks a token by a cheap authenticated read. */
  verify: (token: string) => send('GET', '/api/v1/datasets', { query: { limit: 1 }, token }).then(() => undefined),

  algorithms: () => json<AlgorithmList>('GET', '/api/v1/algorithms'),

  datasets: (a: ListArgs = {}) => json<DatasetList>('GET', '/api/v1/datasets', { query: { ...a } }),
  dataset: (name: string) => json<Dataset>('GET', `/api/v1/datasets/${enc(name)}`),
  datasetVersion: (name: string, v: number) => json<DatasetVersion>('GET', `/api/v1/datasets/${enc(name)}/versions/${v}`),
  deleteDataset: (name: string) => json<void>('DELETE', `/api/v1/datasets/${enc(name)}`),

  trainingJobs: (a: ListArgs = {}) => json<TrainingJobList>('GET', '/api/v1/training-jobs', { query: { ...a } }),
  trainingJob: (name: string, signal?: AbortSignal) => json<TrainingJob>('GET', `/api/v1/training-jobs/${enc(name)}`, { signal }),
  createTrainingJob: (req: CreateTrainingJobRequest) => json<TrainingJob>('POST', '/api/v1/training-jobs', { json: req }),
  stopTrainingJob: (name: string) => json<TrainingJob>('POST', `/api/v1/training-jobs/${enc(name)}/stop`),
  metrics: (name: string, signal?: AbortSignal) => json<MetricSeries>('GET', `/api/v1/training-jobs/${enc(name)}/metrics`, { signal }),

  models: (a: ListArgs = {}) => json<ModelList>('GET', '/api/v1/models', { query: { ...a } }),
  model: (name: string) => json<Model>('GET', `/api/v1/models/${enc(name)}`),
  createModel: (name: string, trainingJob: string) => json<Model>('POST', '/api/v1/models', { json: { name, trainingJob } }),
  createModelFrom: (req: CreateModelRequest) => json<Model>('POST', '/api/v1/models', { json: req }),
  featureImportance: (name: string, type = 'gain') => json<FeatureImportance>('GET', `/api/v1/models/${enc(name)}/feature-importance`, { query: { type } }),
  /** Downloads the model in a portable format as a Blob (with the token, so not a plain link). */
  exportModel: (name: string, format: string) => download(`/api/v1/models/${enc(name)}/export`, { format }),

  experiments: (a: ListArgs = {}) => json<ExperimentList>('GET', '/api/v1/experiments', { query: { limit: a.limit, nextToken: a.nextToken, nameContains: a.nameContains } }),
  experiment: (name: string) => json<Experiment>('GET', `/api/v1/experiments/${enc(name)}`),
  runs: (name: string, a: ListArgs & { sortBy?: string; order?: 'asc' | 'desc' } = {}) =>
    json<RunList>('GET', `/api/v1/experiments/${enc(name)}/runs`, { query: { limit: a.limit, nextToken: a.nextToken, sortBy: a.sortBy, order: a.order, status: a.status } }),
  compareRuns: (name: string, runs: string[]) => json<RunComparison>('GET', `/api/v1/experiments/${enc(name)}/compare`, { query: { runs: runs.join(',') } }),

  transformJobs: (a: ListArgs = {}) => json<TransformJobList>('GET', '/api/v1/transform-jobs', { query: { ...a } }),
  transformJob: (name: string) => json<TransformJob>('GET', `/api/v1/transform-jobs/${enc(name)}`),
  stopTransformJob: (name: string) => json<TransformJob>('POST', `/api/v1/transform-jobs/${enc(name)}/stop`),
  /** Downloads an artifact by key as a Blob. */
  artifactBlob: (key: string) => download(`/api/v1/artifacts/${key.split('/').map(enc).join('/')}`),

  createEndpointConfig: (req: CreateEndpointConfigRequest) => json<EndpointConfig>('POST', '/api/v1/endpoint-configs', { json: req }),
  endpoints: (a: ListArgs = {}) => json<EndpointList>('GET', '/api/v1/endpoints', { query: { ...a } }),
  endpoint: (name: string, signal?: AbortSignal) => json<Endpoint>('GET', `/api/v1/endpoints/${enc(name)}`, { signal }),
  createEndpoint: (name: string, config: string) => json<Endpoint>('POST', '/api/v1/endpoints', { json: { name, config } }),
  updateWeights: (name: string, req: UpdateWeightsRequest) => json<Endpoint>('POST', `/api/v1/endpoints/${enc(name)}/weights`, { json: req }),
  deleteEndpoint: (name: string) => json<void>('DELETE', `/api/v1/endpoints/${enc(name)}`),
  updateEndpoint: (name: string, req: UpdateEndpointRequest) => json<Endpoint>('PUT', `/api/v1/endpoints/${enc(name)}`, { json: req }),
  endpointConfigs: (a: ListArgs = {}) => json<Page<EndpointConfig>>('GET', '/api/v1/endpoint-configs', { query: { limit: a.limit, nextToken: a.nextToken } }),
  endpointConfig: (name: string) => json<EndpointConfig>('GET', `/api/v1/endpoint-configs/${enc(name)}`),
  endpointMetrics: (name: string, period: number, window: number) => json<EndpointMetrics>('GET', `/api/v1/endpoints/${enc(name)}/metrics`, { query: { period, window } }),
  shadowComparison: (name: string) => json<ShadowComparisonReport>('GET', `/api/v1/endpoints/${enc(name)}/shadow-comparison`),
  scalingPolicies: (name: string) => json<ScalingPolicyList>('GET', `/api/v1/endpoints/${enc(name)}/scaling`),
  putScaling: (name: string, variant: string, req: ScalingPolicyRequest) =>
    json<ScalingPolicy>('PUT', `/api/v1/endpoints/${enc(name)}/variants/${enc(variant)}/scaling`, { json: req }),
  deleteScaling: (name: string, variant: string) => json<void>('DELETE', `/api/v1/endpoints/${enc(name)}/variants/${enc(variant)}/scaling`),
  scalingEvents: (name: string, limit = 50) => json<ScalingEventList>('GET', `/api/v1/endpoints/${enc(name)}/scaling-events`, { query: { limit } }),

  /** Sends a body to an endpoint; the API's own errors are thrown, answers are returned as text. */
  async invoke(name: string, body: string, contentType: string, targetVariant?: string): Promise<InvokeAnswer> {
    const headers = new Headers({ 'content-type': contentType, accept: contentType === 'text/csv' ? 'application/json' : contentType });
    const token = tokenStore.get();
    if (token) headers.set('authorization', `Bearer ${token}`);
    if (targetVariant) headers.set('x-amzn-sagemaker-target-variant', targetVariant);
    const started = performance.now();
    let res: Response;
    try {
      res = await fetch(`/endpoints/${enc(name)}/invocations`, { method: 'POST', headers, body });
    } catch (e) {
      throw unreachableError(location.origin, e);
    }
    if (!res.ok) throw check(await errorFromResponse(res));
    return {
      status: res.status,
      body: await res.text(),
      variant: res.headers.get('x-amzn-invoked-production-variant'),
      contentType: res.headers.get('content-type'),
      ms: performance.now() - started,
    };
  },

  /**
   * Reads the first bytes of an artifact (a dataset file) and cancels the rest of the download,
   * so a preview of a large file costs little.
   */
  async artifactHead(key: string, maxBytes = 64 * 1024): Promise<string> {
    const res = await send('GET', `/api/v1/artifacts/${key.split('/').map(enc).join('/')}`);
    const reader = res.body?.getReader();
    if (!reader) return '';
    const decoder = new TextDecoder();
    let text = '';
    let bytes = 0;
    while (bytes < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      text += decoder.decode(value, { stream: true });
    }
    await reader.cancel().catch(() => undefined);
    return text;
  },
};

/** Reads every page of a list (for small lists such as pickers); stops at `max` items. */
export async function listAll<T>(fetchPage: (a: ListArgs) => Promise<Page<T>>, max = 500): Promise<T[]> {
  const out: T[] = [];
  let nextToken: string | undefined;
  do {
    const page = await fetchPage({ limit: 100, nextToken });
    out.push(...page.items);
    nextToken = page.nextToken;
  } while (nextToken && out.length < max);
  return out;
}

/**
 * Uploads a file as the next version of a dataset with XHR, so the browser reports upload
 * progress; the File is streamed from disk by the browser, never read into memory here.
 */
export function uploadDataset(
  name: string,
  file: File,
  opts: { header?: 'auto' | 'true' | 'false'; onProgress?: (sent: number, total: number) => void; signal?: AbortSignal },
): Promise<DatasetVersion> {
  return new Promise((resolvePromise, reject) => {
    const xhr = new XMLHttpRequest();
    const format = /\.parquet$/i.test(file.name) ? 'parquet' : /\.(jsonl|ndjson)$/i.test(file.name) ? 'jsonl' : 'csv';
    const type = format === 'parquet' ? 'application/octet-stream' : format === 'jsonl' ? 'application/jsonlines' : 'text/csv';
    xhr.open('POST', `/api/v1/datasets/${enc(name)}${qs({ format, header: opts.header ?? 'auto' })}`);
    const token = tokenStore.get();
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.setRequestHeader('content-type', type);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) => opts.onProgress?.(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(unreachableError(location.origin, new Error('network error during upload')));
    xhr.onabort = () => reject(new StratusApiError(0, 'Aborted', 'upload cancelled'));
    xhr.onload = async () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolvePromise(JSON.parse(xhr.responseText) as DatasetVersion);
      const res = new Response(xhr.responseText, { status: xhr.status, statusText: xhr.statusText });
      reject(check(await errorFromResponse(res)));
    };
    opts.signal?.addEventListener('abort', () => xhr.abort());
    xhr.send(file);
  });
}

/**
 * Follows a job's log over server-sent events. EventSource cannot send an Authorization header,
 * so this reads the stream with fetch and parses it with the SDK's SSE parser.
 * Resolves with the final status from the `end` event (or null when the stream was cut).
 */
export async function followLogs(name: string, onLine: (line: string) => void, signal: AbortSignal): Promise<string | null> {
  const res = await send('GET', `/api/v1/training-jobs/${enc(name)}/logs`, { query: { follow: true }, signal });
  const reader = res.body?.getReader();
  if (!reader) return null;
  const parser = new SseParser();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return null;
      for (const ev of parser.push(decoder.decode(value, { stream: true }))) {
        if (ev.event === 'log') onLine(ev.data);
        else if (ev.event === 'end') return (JSON.parse(ev.data) as { status: string }).status;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

export { isAbortError };

/**
 * Uploads a file to `uploads/<path>` in the artifact store with XHR (progress events; the File
 * is streamed from disk by the browser). Resolves with the stored artifact (its `uri` is what
 * `POST /models` takes as `artifactUri`).
 */
export function uploadArtifact(path: string, file: File, opts: { onProgress?: (sent: number, total: number) => void; signal?: AbortSignal } = {}): Promise<Artifact> {
  return new Promise((resolvePromise, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', `/api/v1/artifacts/uploads/${path.split('/').map(enc).join('/')}`);
    const token = tokenStore.get();
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) => opts.onProgress?.(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(unreachableError(location.origin, new Error('network error during upload')));
    xhr.onabort = () => reject(new StratusApiError(0, 'Aborted', 'upload cancelled'));
    xhr.onload = async () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolvePromise(JSON.parse(xhr.responseText) as Artifact);
      const res = new Response(xhr.responseText, { status: xhr.status, statusText: xhr.statusText });
      reject(check(await errorFromResponse(res)));
    };
    opts.signal?.addEventListener('abort', () => xhr.abort());
    xhr.send(file);
  });
}

/** The store key inside an artifact URI (`…/transform-jobs/x/output/a.csv.out` → `transform-jobs/x/output/a.csv.out`). */
export function keyOfUri(uri: string, prefix: string): string | undefined {
  const i = uri.lastIndexOf(prefix);
  return i >= 0 ? uri.slice(i) : undefined;
}
