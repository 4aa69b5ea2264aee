import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../core/clock.js';
import { createLogger } from '../core/logger.js';
import type { MetadataStore } from '../store/metadata-store.js';
import { openMetadataStore } from '../store/open-store.js';
import { AccessKeyService } from './access-key-service.js';
import { SecretBox, sealingKeyFile } from './secret-box.js';

/* Two servers on one database, as two cluster nodes: which sealing key each uses decides whether it can check the other's keys. */
let dir: string;
let store: MetadataStore;
const service = async (config: { home: string; sealingKey?: string }) => new AccessKeyService({ store, clock: systemClock, box: await SecretBox.forConfig(config) });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-sealing-'));
  store = await openMetadataStore(`sqlite:${join(dir, 'db.sqlite')}`, { log: createLogger({ level: 'silent' }) });
});
afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('access keys sealed on one node, checked on another', () => {
  it('opens keys on every node given the same STRATUS_SEALING_KEY, and names those sealed under another key', async () => {
    const shared = randomBytes(32).toString('base64');
    const a = await service({ home: join(dir, 'a'), sealingKey: shared });
    const b = await service({ home: join(dir, 'b'), sealingKey: shared });
    const made = await a.create('admin');
    expect((await b.lookup(made.accessKeyId))?.secret).toBe(made.secretAccessKey);
    expect(await b.unsealable()).toEqual([]);

    // A node on its own key file (the single-node default) cannot open them.
    const own = await service({ home: join(dir, 'c') });
    expect((await readFile(sealingKeyFile(join(dir, 'c')), 'utf8')).trim()).toHaveLength(44);
    expect(await own.unsealable()).toEqual([made.accessKeyId]);
    await expect(own.lookup(made.accessKeyId)).rejects.toMatchObject({ code: 'Internal', message: expect.stringContaining('same STRATUS_SEALING_KEY') });
    // The same key file, read again, is the same key: its keys open.
    const mine = await own.create('reader');
    expect((await (await service({ home: join(dir, 'c') })).lookup(mine.accessKeyId))?.secret).toBe(mine.secretAccessKey);
  });
});
