import type { Transport } from '../transport.js';
import type { AlgorithmList } from '../types.js';

/** The built-in algorithms, with their hyperparameters and metrics. */
export class AlgorithmsApi {
  constructor(readonly transport: Transport) {}

  list(): Promise<AlgorithmList> {
    return this.transport.json({ path: '/api/v1/algorithms' });
  }
}
