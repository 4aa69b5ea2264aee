import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AccessKeyList, AccessKeyParams, NewAccessKey } from '../../contracts/access-key.js';
import type { AccessKeyService } from '../../auth/access-key-service.js';

/**
 * SigV4 access keys for the SageMaker-compatible API. A key gets the role of the token that
 * creates it (admin or reader); its secret is answered once.
 */
export const accessKeyRoutes: FastifyPluginAsyncTypebox<{ accessKeys: AccessKeyService }> = async (app, { accessKeys }) => {
  app.post('/access-keys', {
    schema: { summary: 'Create an access key pair with the calling token\'s role (the secret is shown once)', response: { 201: NewAccessKey } },
  }, async (req, reply) => reply.code(201).send(await accessKeys.create(req.principal?.role ?? 'reader')));

  app.get('/access-keys', { schema: { summary: 'List access keys (never their secrets)', response: { 200: AccessKeyList } } }, async () => accessKeys.list());

  app.delete('/access-keys/:id', { schema: { summary: 'Revoke an access key', params: AccessKeyParams } }, async (req, reply) => {
    await accessKeys.revoke(req.params.id);
    return reply.code(204).send();
  });
};
