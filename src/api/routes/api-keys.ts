import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { AuthService } from '../../auth/auth-service.js';

const CreateKey = Type.Object({ role: Type.Union([Type.Literal('admin'), Type.Literal('reader')]) }, { additionalProperties: false });
const CreatedKey = Type.Object({ token: Type.String(), role: Type.String() });

/** API keys: an admin creates keys; a reader key may only read. The token is shown once. */
export const apiKeyRoutes: FastifyPluginAsyncTypebox<{ auth: AuthService }> = async (app, { auth }) => {
  app.post('/api-keys', { schema: { summary: 'Create an API key (admin only)', body: CreateKey, response: { 201: CreatedKey } } }, async (req, reply) =>
    reply.code(201).send(await auth.createKey(req.body.role)),
  );
};
