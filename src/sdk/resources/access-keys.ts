import { pathOf, type Transport } from '../transport.js';
import type { AccessKey, AccessKeyList, NewAccessKey } from '../../contracts/access-key.js';

export type { AccessKey, AccessKeyList, NewAccessKey };

/**
 * SigV4 access key pairs for the SageMaker-compatible API (AWS SDKs, boto3). A key gets the role
 * of the token that creates it; the secret is returned once.
 * @example
 * const { accessKeyId, secretAccessKey } = await client.accessKeys.create();
 * new SageMakerClient({ endpoint: client.url, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey } });
 */
export class AccessKeysApi {
  constructor(private readonly transport: Transport) {}

  create(): Promise<NewAccessKey> {
    return this.transport.json({ method: 'POST', path: '/api/v1/access-keys' });
  }

  list(): Promise<AccessKeyList> {
    return this.transport.json({ path: '/api/v1/access-keys' });
  }

  async revoke(accessKeyId: string): Promise<void> {
    await this.transport.send({ method: 'DELETE', path: pathOf('/api/v1/access-keys', accessKeyId) });
  }
}
