import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Clock } from '../core/clock.js';
import { randomSuffix } from '../core/ids.js';
import type { ApiKeyRecord, MetadataStore, Role } from '../store/metadata-store.js';

const CACHE_TTL_MS = 30_000;

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const newToken = () => `stx_${randomBytes(24).toString('base64url')}`;

/** The scope of a training job's own tokens. */
export const jobScope = (jobName: string) => `training-job:${jobName}`;

/** Where the generated admin token is kept (owner-only permissions). */
export const adminTokenFile = (home: string) => join(home, 'admin-token');

export interface AdminToken {
  token: string;
  /** True when this start generated it (print it once). */
  generated: boolean;
}

/** API keys: only hashes are stored; the admin token comes from config or is generated once. */
export class AuthService {
  /**
   * Known keys by token hash, each trusted for CACHE_TTL_MS: a key revoked through another API
   * node stops working here within that time. Unknown tokens are not cached, so random tokens
   * cannot grow the map.
   */
  #cache = new Map<string, { key: ApiKeyRecord; until: number }>();

  constructor(private readonly deps: { store: MetadataStore; clock: Clock }) {}

  /** Makes sure an admin key exists: STRATUS_TOKEN when given, else the stored or a new generated one. */
  async ensureAdminToken(home: string, configured: string | undefined): Promise<AdminToken> {
    if (configured) {
      await this.#ensureKey(configured, 'admin');
      return { token: configured, generated: false };
    }
    const file = adminTokenFile(home);
    if (existsSync(file)) {
      const token = (await readFile(file, 'utf8')).trim();
      await this.#ensureKey(token, 'admin');
      return { token, generated: false };
    }
    const token = newToken();
    await this.#ensureKey(token, 'admin');
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, token + '\n', { mode: 0o600 });
    await chmod(file, 0o600);
    return { token, generated: true };
  }

  async #ensureKey(token: string, role: Role, scope?: string) {
    const tokenHash = hashToken(token);
    if (await this.deps.store.apiKeys.findByHash(tokenHash)) return;
    await this.deps.store.apiKeys.create({ id: `key-${randomSuffix()}`, tokenHash, role, ...(scope ? { scope } : {}), createdAt: this.deps.clock.now() });
  }

  /** Creates a key with the given role; the token is returned once and never stored. */
  async createKey(role: Role, scope?: string): Promise<{ token: string; role: Role }> {
    const token = newToken();
    await this.#ensureKey(token, role, scope);
    return { token, role };
  }

  /**
   * A token for one training job's own process: role `job`, scope `training-job:<name>`, allowed
   * only to post that job's metrics and params (see api/plugins/auth.ts). Revoke it when the job ends.
   */
  async issueJobToken(jobName: string): Promise<string> {
    return (await this.createKey('job', jobScope(jobName))).token;
  }

  /** Ends every token issued for the job. */
  revokeJobTokens(jobName: string): Promise<void> {
    return this.revokeScope(jobScope(jobName));
  }

  async revokeScope(scope: string) {
    await this.deps.store.apiKeys.deleteByScope(scope);
    this.#cache.clear();
  }

  /** The key a bearer token belongs to, or undefined. */
  async authenticate(token: string): Promise<ApiKeyRecord | undefined> {
    const tokenHash = hashToken(token);
    const now = Date.now();
    let key = this.#cache.get(tokenHash);
    if (!key || key.until < now) {
      const found = await this.deps.store.apiKeys.findByHash(tokenHash);
      if (!found) {
        this.#cache.delete(tokenHash);
        return undefined;
      }
      key = { key: found, until: now + CACHE_TTL_MS };
      this.#cache.set(tokenHash, key);
    }
    return timingSafeEqual(Buffer.from(key.key.tokenHash), Buffer.from(tokenHash)) ? key.key : undefined;
  }
}
