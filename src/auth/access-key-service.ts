import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { PlatformError, validationError } from '../core/errors.js';
import type { AccessKeyRecord, MetadataStore, Role } from '../store/metadata-store.js';
import type { SecretBox } from './secret-box.js';

/** An access key as listed: never its secret. */
export interface AccessKeyInfo {
  accessKeyId: string;
  role: Role;
  createdAt: string;
}

/** A new key pair; the secret is shown this once. */
export interface NewAccessKey extends AccessKeyInfo {
  secretAccessKey: string;
}

/** What SigV4 verification needs of a key. */
export interface AccessKeySecret {
  accessKeyId: string;
  role: Role;
  secret: string;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** 20 characters like AWS's (`AKIA…`): a fixed `STRX` prefix and 16 random base32 characters. */
const newId = () => 'STRX' + [...randomBytes(16)].map((b) => ID_ALPHABET[b & 31]).join('');
const newSecret = () => randomBytes(30).toString('base64').replace(/\+/g, 'A').replace(/\//g, 'B');

/** The shapes AWS SDKs accept for credentials (ids 16..128 word characters; secrets 16..128). */
const ID_RE = /^[A-Za-z0-9]{16,128}$/;
const SECRET_RE = /^[\x21-\x7e]{16,128}$/;

const CACHE_MS = 30_000;

const info = (r: AccessKeyRecord): AccessKeyInfo => ({ accessKeyId: r.id, role: r.role, createdAt: r.createdAt.toISOString() });

/**
 * SigV4 access key pairs for the SageMaker-compatible API. Secrets are stored sealed by a
 * SecretBox (see secret-box.ts for why they cannot be hashed). A key has the role of the token
 * that created it: admin (every operation) or reader (Describe*, List* only).
 */
export class AccessKeyService {
  /** Positive lookups for CACHE_MS, so a key revoked by another server process stops working soon. */
  #cache = new Map<string, { key: AccessKeySecret; until: number }>();

  constructor(private readonly deps: { store: MetadataStore; clock: Clock; box: SecretBox }) {}

  async create(role: Role): Promise<NewAccessKey> {
    if (role !== 'admin' && role !== 'reader') throw validationError(`an access key's role is admin or reader, not '${role}'`, { field: 'role' });
    const id = newId();
    const secret = newSecret();
    const record: AccessKeyRecord = { id, secret: this.deps.box.seal(secret, id), role, createdAt: this.deps.clock.now() };
    await this.deps.store.accessKeys.create(record);
    this.#cache.delete(id);
    return { ...info(record), secretAccessKey: secret };
  }

  /** The configured admin pair (STRATUS_ACCESS_KEY_ID / STRATUS_SECRET_ACCESS_KEY): created, or its secret replaced. */
  async ensureConfigured(id: string, secret: string): Promise<void> {
    if (!ID_RE.test(id)) throw validationError('STRATUS_ACCESS_KEY_ID must be 16..128 letters and digits');
    if (!SECRET_RE.test(secret)) throw validationError('STRATUS_SECRET_ACCESS_KEY must be 16..128 printable characters without spaces');
    // A pair sealed under a lost key is sealed again: its secret is the configured one.
    const existing = await this.lookup(id).catch(() => undefined);
    if (existing?.secret === secret && existing.role === 'admin') return;
    await this.deps.store.transaction(async (tx) => {
      if (await tx.accessKeys.find(id)) await tx.accessKeys.delete(id);
      await tx.accessKeys.create({ id, secret: this.deps.box.seal(secret, id), role: 'admin', createdAt: this.deps.clock.now() });
    });
    this.#cache.delete(id);
  }

  async list(): Promise<{ items: AccessKeyInfo[] }> {
    return { items: (await this.deps.store.accessKeys.list()).map(info) };
  }

  /** @throws PlatformError NotFound for an unknown id. */
  async revoke(id: string): Promise<void> {
    await this.deps.store.accessKeys.delete(id);
    this.#cache.delete(id);
  }

  /** The key and its secret, or undefined for an unknown id. Cached briefly; revoke clears the entry. */
  async lookup(id: string): Promise<AccessKeySecret | undefined> {
    const now = Date.now();
    const hit = this.#cache.get(id);
    if (hit && hit.until > now) return hit.key;
    const r = await this.deps.store.accessKeys.find(id);
    if (!r) {
      this.#cache.delete(id);
      return undefined;
    }
    const key = { accessKeyId: r.id, role: r.role, secret: this.#unseal(r) };
    this.#cache.set(id, { key, until: now + CACHE_MS });
    return key;
  }

  /**
   * Ids of the stored keys this node cannot unseal: sealed under another sealing key (another
   * node's key file, or another STRATUS_SEALING_KEY). Checked at startup.
   */
  async unsealable(): Promise<string[]> {
    const bad: string[] = [];
    for (const r of await this.deps.store.accessKeys.list()) {
      try {
        this.deps.box.open(r.secret, r.id);
      } catch {
        bad.push(r.id);
      }
    }
    return bad;
  }

  #unseal(r: AccessKeyRecord): string {
    try {
      return this.deps.box.open(r.secret, r.id);
    } catch {
      throw new PlatformError('Internal', `access key ${r.id} was sealed under another sealing key than this server's (${this.deps.box.source}); every server sharing a database needs the same STRATUS_SEALING_KEY (docs/cluster.md)`);
    }
  }
}

/** The startup error of a node that cannot unseal stored access keys (`ids`). */
export function sealingMismatch(ids: string[], source: string): Error {
  return new Error(
    `${ids.length} SigV4 access key(s) in the database (${ids.slice(0, 3).join(', ')}${ids.length > 3 ? ', …' : ''}) were sealed under another sealing key than this node's (${source}). ` +
      'Every node sharing the database must seal with the same key: set STRATUS_SEALING_KEY (or STRATUS_SEALING_KEY_FILE) to the same value on every node, ' +
      'e.g. the content of <home>/access-key-sealing.key of the node that created the keys. See docs/cluster.md, "Several API nodes".',
  );
}
