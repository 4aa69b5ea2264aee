import { INVOKED_VARIANT_HEADER, TARGET_VARIANT_HEADER } from '../../contracts/index.js';
import { StratusApiError } from '../errors.js';
import { pollUntil, type WaitOptions } from '../poll.js';
import { pathOf, type Transport } from '../transport.js';
import type {
  CreateEndpointRequest,
  Endpoint,
  EndpointList,
  EndpointListOptions,
  EndpointStatus,
  UpdateWeightsRequest,
} from '../types.js';
import { NamedResourceApi } from './named-resource.js';

/** Options of {@link EndpointsApi.invoke}. */
export interface InvokeOptions {
  /** `text/csv`, `application/json` or `application/jsonlines`. @defaultValue `'text/csv'` */
  contentType?: string;
  /** The response format, e.g. `text/csv`. @defaultValue the model's default (JSON) */
  accept?: string;
  /** Sends the request to this production variant instead of a weighted pick. */
  targetVariant?: string;
  signal?: AbortSignal;
}

/** The answer of an invocation. */
export interface InvokeResult {
  body: string;
  contentType: string;
  /** The production variant that answered. */
  variant: string | undefined;
}

/** Endpoints: live inference services built from an endpoint config. */
export class EndpointsApi extends NamedResourceApi<Endpoint, CreateEndpointRequest, EndpointList['items'][number], EndpointListOptions> {
  constructor(transport: Transport) {
    super(transport, '/api/v1/endpoints');
  }

  /** Moves the endpoint to another config without downtime (`Updating`, then `InService`). */
  update(name: string, config: string): Promise<Endpoint> {
    return this.transport.json({ method: 'PUT', path: pathOf(this.base, name), body: { config } });
  }

  /** Changes variants' traffic weights or instance counts in place. */
  updateWeights(name: string, request: UpdateWeightsRequest): Promise<Endpoint> {
    return this.transport.json({ method: 'POST', path: pathOf(this.base, name, 'weights'), body: request });
  }

  /**
   * Polls until the endpoint reaches `status` (default `InService`); throws when it becomes
   * `Failed` on the way.
   * @example
   * await client.endpoints.create({ name: 'bc', config: 'bc-config' });
   * await client.endpoints.waitFor('bc', 'InService', { timeoutMs: 60_000 });
   */
  waitFor(name: string, status: EndpointStatus = 'InService', opts: WaitOptions<Endpoint> = {}): Promise<Endpoint> {
    return pollUntil(`endpoint ${name} to be ${status}`, () => this.get(name), (e) => reached(e, status), opts);
  }

  /**
   * Sends one inference request (the SageMaker runtime call).
   * @example
   * const { body, variant } = await client.endpoints.invoke('bc', '17.99,10.38,122.8,1001');
   */
  async invoke(name: string, body: string | Uint8Array, opts: InvokeOptions = {}): Promise<InvokeResult> {
    const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'text/csv', accept: opts.accept ?? '*/*' };
    if (opts.targetVariant) headers[TARGET_VARIANT_HEADER] = opts.targetVariant;
    const res = await this.transport.send({ method: 'POST', path: pathOf('/endpoints', name, 'invocations'), headers, body, signal: opts.signal });
    return {
      body: await res.text(),
      contentType: res.headers.get('content-type') ?? '',
      variant: res.headers.get(INVOKED_VARIANT_HEADER) ?? undefined,
    };
  }
}

function reached(endpoint: Endpoint, status: EndpointStatus): boolean {
  if (endpoint.status === status) return true;
  if (endpoint.status !== 'Failed') return false;
  const reason = endpoint.failureReason ? `: ${endpoint.failureReason}` : '';
  throw new StratusApiError(0, 'EndpointFailed', `endpoint ${endpoint.name} failed${reason}`, { endpoint: endpoint.name });
}
