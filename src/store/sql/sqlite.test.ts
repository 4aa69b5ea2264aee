import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metadataStoreConformance } from '../../../test/conformance/metadata-store.js';
import { openMetadataStore } from '../open-store.js';

metadataStoreConformance('sqlite (memory)', () => openMetadataStore('sqlite::memory:'));

describe('sqlite file store', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stratus-store-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the parent folder, persists across reopen and migrates only once', async () => {
    const url = `sqlite:${join(dir, 'nested', 'deeper', 'stratus.db')}`;
    const first = await openMetadataStore(url);
    await first.datasets.addVersion({
      datasetName: 'iris',
      arn: 'arn:d/iris',
      uri: 'file:///iris.csv',
      format: 'csv',
      sizeBytes: 10,
      header: false,
      rows: 1,
      columns: [],
    });
    await first.close();
    const second = await openMetadataStore(url);
    expect(second.dialect).toBe('sqlite');
    expect((await second.datasets.get('iris')).latestVersion).toBe(1);
    await second.close();
  });

  it('rejects unknown schemes and empty paths with ValidationError', async () => {
    await expect(openMetadataStore('mysql://x')).rejects.toMatchObject({ code: 'ValidationError' });
    await expect(openMetadataStore('sqlite:')).rejects.toMatchObject({ code: 'ValidationError' });
  });
});
