import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { Artifact, ArtifactList, ArtifactListQuery, ArtifactPathParams } from '../../contracts/artifact.js';
import type { ArtifactService } from '../../artifacts/artifact-service.js';

/**
 * The artifact store over HTTP: read and list any key; write and delete under `uploads/` only.
 * Upload bodies are raw bytes of any content type, streamed to the store.
 */
export const artifactRoutes: FastifyPluginAsyncTypebox<{ artifacts: ArtifactService }> = async (app, { artifacts }) => {
  // Any body (JSON and text included) is an opaque file here: hand the raw stream to the handler.
  // Encapsulation keeps this parser to these routes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

  app.put('/artifacts/uploads/*', {
    schema: {
      summary: 'Upload a file to uploads/<path> in the artifact store (raw body, streamed; replaces an existing one)',
      params: ArtifactPathParams,
      consumes: ['application/octet-stream', '*/*'],
      response: { 201: Artifact },
    },
  }, async (req, reply) => {
    const length = req.headers['content-length'];
    const body = (req.body as Readable | undefined) ?? Readable.from([]);
    const declaredBytes = length === undefined ? undefined : Number(length);
    return reply.code(201).send(await artifacts.upload(req.params['*'], body, { declaredBytes }));
  });

  app.get('/artifacts', {
    schema: { summary: 'List artifacts whose key starts with prefix, in key order', querystring: ArtifactListQuery, response: { 200: ArtifactList } },
  }, async (req) => artifacts.list(req.query));

  app.get('/artifacts/*', {
    schema: { summary: 'Download an artifact (streamed)', params: ArtifactPathParams, produces: ['application/octet-stream'] },
  }, async (req, reply) => {
    const { info, body } = await artifacts.open(req.params['*']);
    const name = info.key.slice(info.key.lastIndexOf('/') + 1);
    return reply
      .type('application/octet-stream')
      .header('content-length', info.sizeBytes)
      .header('last-modified', new Date(info.modifiedAt).toUTCString())
      .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(name)}`)
      .send(body);
  });

  app.delete('/artifacts/uploads/*', {
    schema: { summary: 'Delete uploads/<path> (a file, or a folder of them)', params: ArtifactPathParams, response: { 204: Type.Null() } },
  }, async (req, reply) => {
    await artifacts.delete(req.params['*']);
    return reply.code(204).send(null);
  });

  // Outside uploads/ the store is read-only: say so rather than answering "no route".
  for (const method of ['PUT', 'DELETE'] as const) {
    app.route({ method, url: '/artifacts/*', schema: { hide: true, params: ArtifactPathParams }, handler: async (req) => artifacts.refuseWrite(req.params['*']) });
  }
};
