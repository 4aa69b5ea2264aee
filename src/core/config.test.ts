import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

const cwd = mkdtempSync(join(tmpdir(), 'cfg-'));

describe('loadConfig', () => {
  it('has embedded defaults: SQLite and a folder inside ./.stratus', () => {
    const c = loadConfig({ env: {}, cwd });
    expect(c.home).toBe(join(cwd, '.stratus'));
    expect(c.host).toBe('127.0.0.1');
    expect(c.databaseUrl).toBe(`sqlite:${join(cwd, '.stratus', 'stratus.db')}`);
    expect(c.artifactUrl).toBe(`file://${join(cwd, '.stratus', 'artifacts')}`);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('takes flags over environment over the config file', () => {
    const file = join(cwd, 'stratus.config.json');
    writeFileSync(file, JSON.stringify({ port: 1111, host: '0.0.0.0', logLevel: 'debug' }));
    const c = loadConfig({ env: { STRATUS_PORT: '2222', STRATUS_HOST: '127.0.0.2' }, flags: { port: 3333 }, cwd });
    expect(c.port).toBe(3333);
    expect(c.host).toBe('127.0.0.2');
    expect(c.logLevel).toBe('debug');
  });

  it('reads every STRATUS_* variable', () => {
    const c = loadConfig({
      env: { STRATUS_HOME: '/tmp/h', STRATUS_DATABASE_URL: 'postgres://u@h/db', STRATUS_ARTIFACT_URL: '/tmp/a', STRATUS_TOKEN: 't' },
      cwd: mkdtempSync(join(tmpdir(), 'cfg2-')),
    });
    expect(c).toMatchObject({ home: '/tmp/h', databaseUrl: 'postgres://u@h/db', artifactUrl: 'file:///tmp/a', token: 't' });
  });

  it('takes the access-key sealing key from STRATUS_SEALING_KEY or a file, checked to be 32 bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-seal-'));
    const key = randomBytes(32).toString('base64');
    expect(loadConfig({ env: {}, cwd: dir }).sealingKey).toBeUndefined();
    expect(loadConfig({ env: { STRATUS_SEALING_KEY: key }, cwd: dir }).sealingKey).toBe(key);
    writeFileSync(join(dir, 'seal.key'), `${key}\n`);
    expect(loadConfig({ env: { STRATUS_SEALING_KEY_FILE: 'seal.key' }, cwd: dir }).sealingKey).toBe(key);
    expect(loadConfig({ env: {}, flags: { sealingKeyFile: join(dir, 'seal.key') }, cwd: dir }).sealingKey).toBe(key);
    expect(() => loadConfig({ env: { STRATUS_SEALING_KEY: 'c2hvcnQ=' }, cwd: dir })).toThrow(/STRATUS_SEALING_KEY must hold 32 random bytes in base64/);
    expect(() => loadConfig({ env: { STRATUS_SEALING_KEY: key, STRATUS_SEALING_KEY_FILE: 'seal.key' }, cwd: dir })).toThrow(/not both/);
    expect(() => loadConfig({ env: { STRATUS_SEALING_KEY_FILE: 'missing.key' }, cwd: dir })).toThrow(/cannot read STRATUS_SEALING_KEY_FILE/);
  });

  it('reads fileRoots as colon-separated absolute folders, none by default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg4-'));
    expect(loadConfig({ env: {}, cwd: dir }).fileRoots).toEqual([]);
    expect(loadConfig({ env: { STRATUS_FILE_ROOTS: '/srv/code:/home/me/' }, cwd: dir }).fileRoots).toEqual(['/srv/code', '/home/me']);
    expect(() => loadConfig({ env: { STRATUS_FILE_ROOTS: 'relative/path' }, cwd: dir })).toThrow(/fileRoots/);
  });

  it('reads the S3 connection settings, path-style by default with an endpoint', () => {
    expect(loadConfig({ env: {}, cwd }).s3).toEqual({});
    const env = {
      STRATUS_ARTIFACT_URL: 's3://bucket/prefix',
      STRATUS_S3_ENDPOINT: 'http://127.0.0.1:8080',
      STRATUS_S3_REGION: 'eu-west-1',
      STRATUS_S3_ACCESS_KEY_ID: 'id',
      STRATUS_S3_SECRET_ACCESS_KEY: 'secret',
    };
    expect(loadConfig({ env, cwd })).toMatchObject({
      artifactUrl: 's3://bucket/prefix',
      s3: { endpoint: 'http://127.0.0.1:8080', region: 'eu-west-1', accessKeyId: 'id', secretAccessKey: 'secret', forcePathStyle: true },
    });
    expect(loadConfig({ env: { ...env, STRATUS_S3_FORCE_PATH_STYLE: 'false' }, cwd }).s3.forcePathStyle).toBe(false);
    expect(loadConfig({ env: {}, flags: { s3Endpoint: 'https://s3.example.com' }, cwd }).s3.endpoint).toBe('https://s3.example.com');
    expect(() => loadConfig({ env: { STRATUS_S3_ACCESS_KEY_ID: 'id' }, cwd })).toThrow(/STRATUS_S3_SECRET_ACCESS_KEY/);
    expect(() => loadConfig({ env: { STRATUS_S3_ENDPOINT: 'localhost:9000' }, cwd })).toThrow(/s3Endpoint/);
    expect(() => loadConfig({ env: { STRATUS_S3_FORCE_PATH_STYLE: 'yes' }, cwd })).toThrow(/s3ForcePathStyle/);
  });

  it('reads the advertised URL jobs call, without a trailing slash; none by default', () => {
    expect(loadConfig({ env: {}, cwd }).advertisedUrl).toBeUndefined();
    expect(loadConfig({ env: { STRATUS_ADVERTISED_URL: 'http://stratus.internal:8080/' }, cwd }).advertisedUrl).toBe('http://stratus.internal:8080');
    expect(() => loadConfig({ env: { STRATUS_ADVERTISED_URL: 'stratus.internal:8080' }, cwd })).toThrow(/advertisedUrl must be an http:\/\/ or https:\/\/ URL/);
    expect(() => loadConfig({ env: { STRATUS_ADVERTISED_URL: 'http://u:p@lb:8080' }, cwd })).toThrow(/without credentials/);
  });

  it('rejects bad values with a message naming the setting', () => {
    expect(() => loadConfig({ env: { STRATUS_PORT: 'abc' }, cwd })).toThrow(/port/);
    expect(() => loadConfig({ env: { STRATUS_DATABASE_URL: 'mysql://x' }, cwd })).toThrow(/databaseUrl/);
    const bad = mkdtempSync(join(tmpdir(), 'cfg3-'));
    writeFileSync(join(bad, 'stratus.config.json'), JSON.stringify({ prot: 1 }));
    expect(() => loadConfig({ env: {}, cwd: bad })).toThrow(/unknown setting 'prot'/);
  });
});
