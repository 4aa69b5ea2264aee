import type { Transport } from '../transport.js';
import type { CreateModelRequest, Model } from '../types.js';
import { NamedResourceApi } from './named-resource.js';

/**
 * Models: a trained artifact plus how to serve it.
 * @example
 * await client.models.create({ name: 'bc-model', trainingJob: 'bc-1' });
 */
export class ModelsApi extends NamedResourceApi<Model, CreateModelRequest> {
  constructor(transport: Transport) {
    super(transport, '/api/v1/models');
  }
}
