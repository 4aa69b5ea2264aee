import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { ListQuery, NameParams } from '../../contracts/common.js';
import {
  AliasParams, AliasResult, CreateModelPackageGroupRequest, GroupParams, LineageQuery, LineageResult, ModelPackage, ModelPackageGroup, ModelPackageGroupList,
  ModelPackageList, ModelPackageListQuery, RegisterModelPackageRequest, RegistryEventList, RegistryEventQuery, ServedVersions, ServedVersionsQuery,
  SetAliasRequest, UpdateApprovalRequest, VersionParams,
} from '../../contracts/model-registry.js';
import type { RegistryService } from '../../registry/registry-service.js';

/** Who made the request, as the registry records it: the token's role and key id. */
export const identityOf = (req: FastifyRequest): string =>
  req.principal ? `${req.principal.role}:${req.principal.id}` : req.aws ? `access-key:${req.aws.key.accessKeyId}` : 'anonymous';

export const modelRegistryRoutes: FastifyPluginAsyncTypebox<{ registry: RegistryService }> = async (app, { registry }) => {
  app.post('/model-package-groups', { schema: { summary: 'Create a model package group', body: CreateModelPackageGroupRequest, response: { 201: ModelPackageGroup } } }, async (req, reply) =>
    reply.code(201).send(await registry.createGroup(req.body, identityOf(req))),
  );
  app.get('/model-package-groups', { schema: { summary: 'List model package groups', querystring: ListQuery, response: { 200: ModelPackageGroupList } } }, async (req) =>
    registry.listGroups(req.query),
  );
  app.get('/model-package-groups/:group', { schema: { summary: 'Describe a group, with its aliases', params: GroupParams, response: { 200: ModelPackageGroup } } }, async (req) =>
    registry.getGroup(req.params.group),
  );
  app.delete('/model-package-groups/:group', { schema: { summary: 'Delete a group with its versions, aliases and events', params: GroupParams } }, async (req, reply) => {
    await registry.deleteGroup(req.params.group);
    return reply.code(204).send();
  });

  app.post('/model-package-groups/:group/versions', {
    schema: { summary: 'Register the next version of a group', params: GroupParams, body: RegisterModelPackageRequest, response: { 201: ModelPackage } },
  }, async (req, reply) => reply.code(201).send(await registry.register(req.params.group, req.body, identityOf(req))));
  app.get('/model-package-groups/:group/versions', {
    schema: { summary: 'List the versions of a group, newest first', params: GroupParams, querystring: ModelPackageListQuery, response: { 200: ModelPackageList } },
  }, async (req) => registry.listVersions(req.params.group, req.query));
  app.get('/model-package-groups/:group/versions/:version', { schema: { summary: 'Describe a version', params: VersionParams, response: { 200: ModelPackage } } }, async (req) =>
    registry.getVersion(req.params.group, req.params.version),
  );
  app.put('/model-package-groups/:group/versions/:version/approval', {
    schema: { summary: 'Approve or reject a version (who, when and why are recorded)', params: VersionParams, body: UpdateApprovalRequest, response: { 200: ModelPackage } },
  }, async (req) => registry.setApproval(req.params.group, req.params.version, req.body.approvalStatus, req.body.reason, identityOf(req)));

  app.put('/model-package-groups/:group/aliases/:alias', {
    schema: { summary: 'Point an alias (any name: production, candidate, …) at a version', params: AliasParams, body: SetAliasRequest, response: { 200: AliasResult } },
  }, async (req) => registry.setAlias(req.params.group, req.params.alias, req.body.version, identityOf(req)));
  app.get('/model-package-groups/:group/aliases/:alias', { schema: { summary: 'The version an alias points at', params: AliasParams, response: { 200: ModelPackage } } }, async (req) =>
    registry.resolveAlias(req.params.group, req.params.alias),
  );
  app.delete('/model-package-groups/:group/aliases/:alias', { schema: { summary: 'Remove an alias', params: AliasParams } }, async (req, reply) => {
    await registry.deleteAlias(req.params.group, req.params.alias, identityOf(req));
    return reply.code(204).send();
  });

  app.get('/model-package-groups/:group/events', {
    schema: { summary: 'The append-only event history of a group, oldest first', params: GroupParams, querystring: RegistryEventQuery, response: { 200: RegistryEventList } },
  }, async (req) => registry.events(req.params.group, req.query));

  app.get('/model-package-lineage', {
    schema: { summary: 'Versions registered from a model, training job or evaluation job', querystring: LineageQuery, response: { 200: LineageResult } },
  }, async (req) => registry.lineage(req.query));

  app.get('/endpoints/:name/served-versions', {
    schema: { summary: 'Which models, and registered versions, an endpoint served at a time', params: NameParams, querystring: ServedVersionsQuery, response: { 200: ServedVersions } },
  }, async (req) => registry.servedVersions(req.params.name, req.query.at ? new Date(req.query.at) : new Date()));
};
