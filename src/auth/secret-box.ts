import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseSealingKey } from '../core/config.js';

/** Where the key that seals access-key secrets lives (owner-only permissions). */
export const sealingKeyFile = (home: string) => join(home, 'access-key-sealing.key');

const VERSION = 'v1';

/**
 * Seals secrets with AES-256-GCM under a key kept outside the database, so a copy of the
 * database (a backup, a shared PostgreSQL) does not reveal access-key secrets. SigV4 needs the
 * plain secret to verify a signature, so a one-way hash, as API tokens use, is not possible.
 * `context` (the access key id) is bound as associated data: a sealed secret moved to another
 * key's row does not open.
 */
export class SecretBox {
  /** Where the key came from, for error messages: the configured key or the key file's path. */
  readonly source: string;

  private constructor(
    readonly key: Buffer,
    source = 'a given key',
  ) {
    this.source = source;
  }

  /**
   * The configured key (`sealingKey`, base64 of 32 bytes: the same on every node of a cluster),
   * else the data folder's key file (a single node's default).
   */
  static async forConfig(config: { home: string; sealingKey?: string | undefined }): Promise<SecretBox> {
    if (config.sealingKey === undefined) return SecretBox.open(config.home);
    return new SecretBox(parseSealingKey(config.sealingKey, 'STRATUS_SEALING_KEY'), 'STRATUS_SEALING_KEY');
  }

  /** The box of a data folder: reads its key file, or creates one (0600) at first use. */
  static async open(home: string): Promise<SecretBox> {
    const file = sealingKeyFile(home);
    if (existsSync(file)) {
      const key = Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
      if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`);
      return new SecretBox(key, file);
    }
    const key = randomBytes(32);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' }).catch(async (e: NodeJS.ErrnoException) => {
      // Another process created it first: use theirs.
      if (e.code !== 'EEXIST') throw e;
    });
    await chmod(file, 0o600);
    return new SecretBox(parseSealingKey((await readFile(file, 'utf8')).trim(), file), file);
  }

  static fromKey(key: Buffer): SecretBox {
    if (key.length !== 32) throw new Error('a SecretBox key has 32 bytes');
    return new SecretBox(key);
  }

  seal(plain: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
  }

  /** @throws Error when the sealed text was altered, sealed for another context or under another key. */
  open(sealed: string, context: string): string {
    const [version, iv, tag, body] = sealed.split(':');
    if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('unknown sealed-secret format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
  }
}

