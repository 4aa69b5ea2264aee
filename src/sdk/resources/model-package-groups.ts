import type { Static } from '@sinclair/typebox';
import type {
  AliasResult, ApprovalStatus, CreateModelPackageGroupRequest, LineageResult, ModelPackage, ModelPackageGroup, ModelPackageGroupList, ModelPackageList,
  RegisterModelPackageRequest, RegistryEventList, ServedVersions,
} from '../../contracts/model-registry.js';
import type { ListOptions } from '../types.js';
import { pathOf, type Transport } from '../transport.js';

const BASE = '/api/v1/model-package-groups';

/** The model registry: groups, numbered versions, approval, aliases and the event history. */
export class ModelPackageGroupsApi {
  constructor(readonly transport: Transport) {}

  create(request: CreateModelPackageGroupRequest): Promise<ModelPackageGroup> {
    return this.transport.json({ method: 'POST', path: BASE, body: request });
  }

  list(query: ListOptions = {}): Promise<Static<typeof ModelPackageGroupList>> {
    return this.transport.json({ path: BASE, query });
  }

  get(group: string): Promise<ModelPackageGroup> {
    return this.transport.json({ path: pathOf(BASE, group) });
  }

  delete(group: string): Promise<void> {
    return this.transport.json({ method: 'DELETE', path: pathOf(BASE, group) });
  }

  /**
   * Registers the group's next version.
   * @example
   * const v = await client.modelPackageGroups.register('churn', { model: 'churn-v7', evaluationJob: 'churn-v7-eval' });
   * await client.modelPackageGroups.approve('churn', v.version, 'Approved', 'beats v6 on AUC');
   * await client.modelPackageGroups.setAlias('churn', 'production', v.version);
   */
  register(group: string, request: RegisterModelPackageRequest): Promise<ModelPackage> {
    return this.transport.json({ method: 'POST', path: pathOf(BASE, group, 'versions'), body: request });
  }

  versions(group: string, query: { approvalStatus?: ApprovalStatus; limit?: number; nextToken?: string } = {}): Promise<Static<typeof ModelPackageList>> {
    return this.transport.json({ path: pathOf(BASE, group, 'versions'), query });
  }

  version(group: string, version: number): Promise<ModelPackage> {
    return this.transport.json({ path: pathOf(BASE, group, 'versions', String(version)) });
  }

  approve(group: string, version: number, approvalStatus: ApprovalStatus, reason?: string): Promise<ModelPackage> {
    return this.transport.json({ method: 'PUT', path: pathOf(BASE, group, 'versions', String(version), 'approval'), body: { approvalStatus, ...(reason ? { reason } : {}) } });
  }

  setAlias(group: string, alias: string, version: number): Promise<Static<typeof AliasResult>> {
    return this.transport.json({ method: 'PUT', path: pathOf(BASE, group, 'aliases', alias), body: { version } });
  }

  /** The version an alias points at. */
  alias(group: string, alias: string): Promise<ModelPackage> {
    return this.transport.json({ path: pathOf(BASE, group, 'aliases', alias) });
  }

  deleteAlias(group: string, alias: string): Promise<void> {
    return this.transport.json({ method: 'DELETE', path: pathOf(BASE, group, 'aliases', alias) });
  }

  events(group: string, query: { type?: string; since?: number } = {}): Promise<Static<typeof RegistryEventList>> {
    return this.transport.json({ path: pathOf(BASE, group, 'events'), query });
  }

  /** Versions registered from a model, training job or evaluation job. */
  lineage(query: { model?: string; trainingJob?: string; evaluationJob?: string }): Promise<Static<typeof LineageResult>> {
    return this.transport.json({ path: '/api/v1/model-package-lineage', query });
  }

  /** Which models and registered versions an endpoint served at a time (default: now). */
  servedVersions(endpoint: string, at?: Date | string): Promise<ServedVersions> {
    return this.transport.json({ path: pathOf('/api/v1/endpoints', endpoint, 'served-versions'), query: at ? { at: typeof at === 'string' ? at : at.toISOString() } : {} });
  }
}
