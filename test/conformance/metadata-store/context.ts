import { afterEach, beforeEach, expect } from 'vitest';
import { isPlatformError, type ErrorCode } from '../../../src/core/errors.js';
import type { DatasetRepository, MetadataStore } from '../../../src/store/metadata-store.js';

/** Builds a fresh, empty, migrated store. */
export type StoreFactory = () => Promise<MetadataStore>;

/** Implementation-specific teardown after the suite has closed a store, e.g. dropping a schema. */
export type StoreCleanup = (store: MetadataStore) => Promise<void>;

/** The store of the running test. */
export interface StoreContext {
  readonly store: MetadataStore;
}

/** Gives every test its own store, closed (then cleaned up) after the test. */
export function useFreshStore(make: StoreFactory, cleanup?: StoreCleanup): StoreContext {
  let current: MetadataStore | undefined;
  beforeEach(async () => {
    current = await make();
  });
  afterEach(async () => {
    const store = current;
    current = undefined;
    if (!store) return;
    await store.close();
    await cleanup?.(store);
  });
  return {
    get store() {
      if (!current) throw new Error('store used outside a test');
      return current;
    },
  };
}

/** Asserts that `p` rejects with a PlatformError of the given code. */
export async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isPlatformError(error) ? error.code : error).toBe(code);
}

const EPOCH = Date.UTC(2024, 0, 1);

/** A fixed instant `seconds` after 2024-01-01T00:00:00Z. */
export const at = (seconds: number): Date => new Date(EPOCH + seconds * 1000);

/** A dataset version to add, with every field set. */
export function newVersion(datasetName: string, uri = `file:///data/${datasetName}.csv`) {
  return {
    datasetName,
    arn: `arn:stratus:dataset/${datasetName}`,
    uri,
    format: 'csv',
    sizeBytes: 5_000_000_000,
    header: true,
    rows: 3,
    columns: [{ name: 'x', type: 'number', stats: { min: 0, max: 1.5 } }],
  } satisfies Parameters<DatasetRepository['addVersion']>[0];
}

/** Collects every item of a paged listing, following nextToken. */
export async function collectPages<T>(
  list: (nextToken?: string) => Promise<{ items: T[]; nextToken?: string }>,
): Promise<T[][]> {
  const pages: T[][] = [];
  let token: string | undefined;
  do {
    const page = await list(token);
    pages.push(page.items);
    token = page.nextToken;
  } while (token !== undefined);
  return pages;
}
