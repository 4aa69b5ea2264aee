import type { CreateEndpointRequest, Endpoint, EndpointVariantState, UpdateWeightsRequest } from '../contracts/endpoint.js';
import type { Clock } from '../core/clock.js';
import { failedPrecondition, notFound, PlatformError, validationError } from '../core/errors.js';
import { arnOf } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { EndpointPatch, EndpointRecord, EndpointStatus, ListQuery, MetadataStore } from '../store/metadata-store.js';
import { Fleet } from './fleet.js';
import type { EndpointConfigSpec, ModelService } from './model-service.js';
import type { InvokeRequest, InvokeResult } from './runtimes/runtime.js';
import type { ModelRuntimes } from './runtimes/runtimes.js';
import { VariantPool } from './variant-pool.js';

export interface EndpointDeps {
  store: MetadataStore;
  models: ModelService;
  runtimes: ModelRuntimes;
  clock: Clock;
  log: Logger;
}

const toView = (r: EndpointRecord): Endpoint => ({
  name: r.name,
  arn: r.arn,
  config: r.configName,
  status: r.status,
  ...(r.failureReason ? { failureReason: r.failureReason } : {}),
  variants: r.variants as EndpointVariantState[],
  statusHistory: r.transitions.map((t) => ({
    status: t.status,
    startTime: t.startTime.toISOString(),
    ...(t.endTime ? { endTime: t.endTime.toISOString() } : {}),
    ...(t.message ? { message: t.message } : {}),
  })),
  url: `/endpoints/${r.name}/invocations`,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

const initialVariants = (spec: EndpointConfigSpec): EndpointVariantState[] =>
  spec.variants.map((v) => ({
    name: v.name,
    model: v.model,
    instanceType: v.instanceType,
    currentWeight: v.weight,
    desiredWeight: v.weight,
    currentInstanceCount: v.instanceCount,
    desiredInstanceCount: v.instanceCount,
  }));

/**
 * Endpoints: a fleet of replicas (worker threads or processes, by the model's runtime) per endpoint, built from its config. Updates are
 * blue/green: the new fleet starts beside the old one, traffic switches at once, the old fleet
 * finishes its in-flight requests and stops. One change at a time per endpoint.
 */
export class EndpointService {
  #fleets = new Map<string, Fleet>();
  #ops = new Map<string, Promise<void>>();

  constructor(private readonly deps: EndpointDeps) {}

  async create(req: CreateEndpointRequest): Promise<Endpoint> {
    const config = await this.deps.models.configSpec(req.config);
    const record = await this.deps.store.endpoints.create({
      name: req.name,
      arn: arnOf('endpoint', req.name),
      configName: req.config,
      variants: initialVariants(config),
      at: this.deps.clock.now(),
    });
    this.#enqueue(req.name, () => this.#deploy(record.name, initialVariants(config), 'Endpoint created'));
    return toView(record);
  }

  async get(name: string) {
    return toView(await this.deps.store.endpoints.get(name));
  }

  async list(q: ListQuery & { status?: EndpointStatus }) {
    const page = await this.deps.store.endpoints.list(q);
    return {
      items: page.items.map((r) => {
        const { statusHistory: _h, ...rest } = toView(r);
        return rest;
      }),
      ...(page.nextToken ? { nextToken: page.nextToken } : {}),
    };
  }

  /** Moves the endpoint to another config without dropping requests; rolls back on failure. */
  async update(name: string, configName: string): Promise<Endpoint> {
    const current = await this.#requireInService(name);
    const config = await this.deps.models.configSpec(configName);
    const updated = await this.#patch(name, { status: 'Updating', statusMessage: `Updating to config '${configName}'`, failureReason: null });
    this.#enqueue(name, async () => {
      try {
        const variants = initialVariants(config);
        const fleet = await this.#buildFleet(variants);
        const old = this.#fleets.get(name);
        this.#fleets.set(name, fleet);
        await this.#patch(name, { configName, variants, status: 'InService', statusMessage: `Serving config '${configName}'` });
        await old?.stop();
      } catch (e) {
        const reason = `update to config '${configName}' failed: ${(e as Error).message}; still serving '${current.configName}'`;
        this.deps.log.error({ endpoint: name, err: e }, 'endpoint update failed');
        await this.#patch(name, { status: 'InService', statusMessage: reason, failureReason: reason });
      }
    });
    return toView(updated);
  }

  /** Changes weights and instance counts of live variants (UpdateEndpointWeightsAndCapacities). */
  async updateWeights(name: string, req: UpdateWeightsRequest): Promise<Endpoint> {
    const record = await this.#requireInService(name);
    const variants = structuredClone(record.variants as EndpointVariantState[]);
    for (const change of req.variants) {
      const v = variants.find((x) => x.name === change.name);
      if (!v) throw validationError(`endpoint '${name}' has no variant '${change.name}'; variants: ${variants.map((x) => x.name).join(', ')}`, { variant: change.name });
      if (change.weight !== undefined) v.desiredWeight = change.weight;
      if (change.instanceCount !== undefined) v.desiredInstanceCount = change.instanceCount;
    }
    if (variants.every((v) => v.desiredWeight === 0)) throw validationError('at least one variant needs a weight above 0', { field: 'variants' });
    const updated = await this.#patch(name, { status: 'Updating', statusMessage: 'Updating weights and capacities', variants });
    this.#enqueue(name, async () => {
      const fleet = this.#fleets.get(name);
      for (const v of variants) {
        await fleet?.pool(v.name).scale(v.desiredInstanceCount);
        fleet?.setWeight(v.name, v.desiredWeight);
        v.currentWeight = v.desiredWeight;
        v.currentInstanceCount = v.desiredInstanceCount;
      }
      await this.#patch(name, { status: 'InService', statusMessage: 'Weights and capacities updated', variants });
    });
    return toView(updated);
  }

  async delete(name: string): Promise<void> {
    await this.deps.store.endpoints.get(name);
    await this.#patch(name, { status: 'Deleting', statusMessage: 'Deleting' });
    await this.#ops.get(name)?.catch(() => undefined);
    const fleet = this.#fleets.get(name);
    this.#fleets.delete(name);
    await fleet?.stop();
    await this.deps.store.endpoints.delete(name);
  }

  async invoke(name: string, req: InvokeRequest, targetVariant?: string): Promise<InvokeResult & { variant: string }> {
    const fleet = this.#fleets.get(name);
    if (fleet) return fleet.invoke(req, targetVariant);
    const record = await this.deps.store.endpoints.find(name);
    if (!record) throw notFound('endpoint', name);
    throw new PlatformError('Unavailable', `endpoint '${name}' is ${record.status}, not InService; wait until it is InService`, { status: record.status });
  }

  /** After a restart: every endpoint comes back from its stored config and variant state. */
  async recover(): Promise<void> {
    for (const e of await this.deps.store.endpoints.listAll()) {
      if (e.status === 'Deleting') {
        await this.deps.store.endpoints.delete(e.name);
      } else if (e.status !== 'Failed') {
        const variants = (e.variants as EndpointVariantState[]).map((v) => ({ ...v, currentWeight: v.desiredWeight, currentInstanceCount: v.desiredInstanceCount }));
        await this.#patch(e.name, { status: 'Creating', statusMessage: 'Restoring after a server restart', variants });
        this.#enqueue(e.name, () => this.#deploy(e.name, variants, 'Restored after a server restart'));
      }
    }
  }

  /** Resolves once every pending change (deploys, updates) has finished. */
  async settled(name: string): Promise<void> {
    await this.#ops.get(name);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.#ops.values());
    await Promise.all([...this.#fleets.values()].map((f) => f.stop()));
    this.#fleets.clear();
  }

  async #deploy(name: string, variants: EndpointVariantState[], message: string) {
    try {
      this.#fleets.set(name, await this.#buildFleet(variants));
      await this.#patch(name, { status: 'InService', statusMessage: message, failureReason: null });
    } catch (e) {
      const reason = (e as Error).message;
      this.deps.log.error({ endpoint: name, err: e }, 'endpoint deployment failed');
      await this.#patch(name, { status: 'Failed', statusMessage: reason, failureReason: reason });
    }
  }

  async #buildFleet(variants: EndpointVariantState[]): Promise<Fleet> {
    const pools: VariantPool[] = [];
    try {
      for (const v of variants) {
        const model = await this.deps.store.models.get(v.model);
        const runtime = await this.deps.runtimes.forModel(model, `variant '${v.name}'`);
        const pool = new VariantPool(v.name, v.model, runtime, this.deps.log);
        pools.push(pool);
        await pool.start(v.currentInstanceCount);
      }
    } catch (e) {
      await Promise.all(pools.map((p) => p.stop()));
      throw e;
    }
    return new Fleet(pools, variants.map((v) => v.currentWeight));
  }

  async #requireInService(name: string) {
    const record = await this.deps.store.endpoints.get(name);
    if (record.status !== 'InService') {
      throw failedPrecondition(`endpoint '${name}' is ${record.status}; it can change only when InService`, { status: record.status });
    }
    return record;
  }

  #patch(name: string, patch: EndpointPatch) {
    return this.deps.store.endpoints.update(name, patch, this.deps.clock.now());
  }

  #enqueue(name: string, op: () => Promise<void>) {
    const prev = this.#ops.get(name) ?? Promise.resolve();
    const next = prev.then(op).catch((e: unknown) => this.deps.log.error({ endpoint: name, err: e }, 'endpoint operation failed'));
    this.#ops.set(name, next);
  }
}
