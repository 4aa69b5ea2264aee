import type { Transport } from '../transport.js';
import type { CreateEndpointConfigRequest, EndpointConfig } from '../types.js';
import { NamedResourceApi } from './named-resource.js';

/**
 * Endpoint configs: the production variants (model, instances, traffic weight) of an endpoint.
 * @example
 * await client.endpointConfigs.create({ name: 'bc-config', variants: [{ name: 'AllTraffic', model: 'bc-model' }] });
 */
export class EndpointConfigsApi extends NamedResourceApi<EndpointConfig, CreateEndpointConfigRequest> {
  constructor(transport: Transport) {
    super(transport, '/api/v1/endpoint-configs');
  }
}
