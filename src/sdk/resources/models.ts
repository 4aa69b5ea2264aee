import { pathOf, type Transport } from '../transport.js';
import type { CreateModelRequest, FeatureImportance, Model } from '../types.js';
import { NamedResourceApi } from './named-resource.js';

/**
 * Models: a trained artifact plus how to serve it.
 * @example
 * await client.models.create({ name: 'bc-model', trainingJob: 'bc-1' });
 * // or from a model.tar.gz trained elsewhere:
 * const { uri } = await client.artifacts.upload('models/churn/model.tar.gz', './model.tar.gz');
 * await client.models.create({ name: 'churn', artifactUri: uri, algorithm: 'xgboost' });
 */
export class ModelsApi extends NamedResourceApi<Model, CreateModelRequest> {
  constructor(transport: Transport) {
    super(transport, '/api/v1/models');
  }

  /**
   * Per-feature importance of the model, most important first. Fails with a ValidationError
   * for an algorithm without feature importance (e.g. linear-learner).
   * @param type the algorithm's importance type. @defaultValue `'gain'`
   * @example
   * const { features } = await client.models.featureImportance('churn', 'total_gain');
   */
  featureImportance(name: string, type = 'gain'): Promise<FeatureImportance> {
    return this.transport.json({ path: pathOf(this.base, name, 'feature-importance'), query: { type } });
  }

  /**
   * The model in a portable format: for xgboost, 'onnx' (ai.onnx.ml tree ensemble, for
   * onnxruntime) or 'xgboost-json' (loads with python-xgboost's Booster.load_model).
   * @example
   * await writeFile('model.onnx', await client.models.export('churn', 'onnx'));
   */
  async export(name: string, format: string): Promise<Uint8Array> {
    const res = await this.transport.send({ path: pathOf(this.base, name, 'export'), query: { format }, headers: { accept: '*/*' } });
    return new Uint8Array(await res.arrayBuffer());
  }
}
