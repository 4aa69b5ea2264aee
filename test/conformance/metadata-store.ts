import { describe, expect, it } from 'vitest';
import type { MetadataStore } from '../../src/store/metadata-store.js';
import { apiKeyCases } from './metadata-store/api-keys.js';
import { useFreshStore, type StoreCleanup, type StoreFactory } from './metadata-store/context.js';
import { datasetCases } from './metadata-store/datasets.js';
import { experimentCases } from './metadata-store/experiments.js';
import { servingCases } from './metadata-store/endpoints.js';
import { endpointScalingCases } from './metadata-store/endpoint-scaling.js';
import { endpointMetricsCases } from './metadata-store/endpoint-metrics.js';
import { evaluationRegistryCases } from './metadata-store/evaluation-registry.js';
import { monitoringCases } from './metadata-store/monitoring.js';
import { pipelineCases } from './metadata-store/pipelines.js';
import { sagemakerCompatCases } from './metadata-store/sagemaker-compat.js';
import { trainingJobCases } from './metadata-store/training-jobs.js';
import { transactionCases } from './metadata-store/transactions.js';
import { transformJobCases } from './metadata-store/transform-jobs.js';

export type { StoreCleanup, StoreFactory };

/**
 * The MetadataStore conformance suite: every implementation's test file calls it.
 * `make` returns a fresh, empty store for each test; the suite closes it after the test and
 * then calls `cleanup` with it (to drop a database, schema or file).
 *
 * @example metadataStoreConformance('sqlite', () => openMetadataStore('sqlite::memory:'));
 */
export function metadataStoreConformance(name: string, make: () => Promise<MetadataStore>, cleanup?: StoreCleanup): void {
  describe(`${name}: MetadataStore`, () => {
    const ctx = useFreshStore(make, cleanup);

    it('names its dialect', () => {
      expect(ctx.store.dialect).toMatch(/^\w+$/);
    });

    datasetCases(ctx);
    trainingJobCases(ctx);
    experimentCases(ctx);
    transformJobCases(ctx);
    servingCases(ctx);
    endpointScalingCases(ctx);
    endpointMetricsCases(ctx);
    apiKeyCases(ctx);
    sagemakerCompatCases(ctx);
    evaluationRegistryCases(ctx);
    monitoringCases(ctx);
    pipelineCases(ctx);
    transactionCases(ctx);
  });
}
