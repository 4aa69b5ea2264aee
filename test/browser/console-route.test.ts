import Fastify from 'fastify';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerErrorHandling } from '../../src/api/plugins/errors.js';
import { consoleRoutes } from '../../src/api/routes/console.js';

// The server side of the console, without a browser: what `/`, `/console/...` and `/assets/...` answer.
describe('console routes', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stratus-console-'));
    await mkdir(join(dir, 'dist', 'assets'), { recursive: true });
    await writeFile(join(dir, 'dist', 'index.html'), '<!doctype html><div id="root"></div>');
    await writeFile(join(dir, 'dist', 'assets', 'index-abc.js'), 'console.log(1)');
    await writeFile(join(dir, 'secret.txt'), 'no');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const appWith = async (distDir: string) => {
    const app = Fastify();
    registerErrorHandling(app);
    await app.register(consoleRoutes, { dir: distDir });
    return app;
  };

  it('answers index.html at / and for every /console path (client-side routing), never cached', async () => {
    const app = await appWith(join(dir, 'dist'));
    for (const url of ['/', '/console', '/console/training/some-job']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.body).toContain('<div id="root">');
    }
  });

  it('serves hashed assets with a long cache, and refuses paths that leave assets/', async () => {
    const app = await appWith(join(dir, 'dist'));
    const js = await app.inject({ url: '/assets/index-abc.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.headers['cache-control']).toContain('immutable');
    for (const url of ['/assets/missing.js', '/assets/../../secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toBe('no');
    }
  });

  it('says how to build the console when it is not built', async () => {
    const app = await appWith(join(dir, 'nothing-here'));
    const res = await app.inject({ url: '/console/datasets' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build:console');
  });
});
