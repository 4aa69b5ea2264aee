import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PlatformError } from '../../core/errors.js';

/** Where `npm run build:console` puts the built single-page app. */
export const CONSOLE_DIST = fileURLToPath(new URL('../../../console/dist', import.meta.url));

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.map': 'application/json',
};

// The app talks only to this origin; inline styles are React style props (set through the CSSOM).
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Stratus console not built</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5">
<h1>The Stratus console is not built yet</h1>
<p>The API is running (see <a href="/api/docs">/api/docs</a>), but the web console's files are missing from <code>console/dist</code>.</p>
<p>Build it once, in the Stratus folder, then reload this page:</p>
<pre style="background:#f3f4f6;padding:1rem;border-radius:6px">npm run build:console</pre>
<p><code>npm start</code> builds it by itself when it is missing or out of date.</p>
</body></html>`;

/**
 * Serves the web console (console/dist): `/` and every `/console/...` path answer index.html, so
 * the app's own router handles deep links; `/assets/...` are the hashed bundles. Nothing here
 * shadows `/api/...` or `/endpoints/...`: those prefixes are never matched by these routes.
 */
export const consoleRoutes: FastifyPluginAsync<{ dir?: string }> = async (app, opts) => {
  const dir = resolve(opts.dir ?? CONSOLE_DIST);
  const assets = join(dir, 'assets');

  const sendIndex = async (reply: FastifyReply) => {
    const index = join(dir, 'index.html');
    reply.header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff');
    if (!existsSync(index)) return reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT);
    return reply.header('content-security-policy', CSP).type('text/html; charset=utf-8').send(createReadStream(index));
  };

  const page = { schema: { hide: true } };
  app.get('/', page, async (_req, reply) => sendIndex(reply));
  app.get('/console', page, async (_req, reply) => sendIndex(reply));
  app.get('/console/*', page, async (_req, reply) => sendIndex(reply));

  app.get('/assets/*', page, async (req, reply) => {
    const rel = (req.params as { '*': string })['*'];
    const file = resolve(assets, rel);
    if (!file.startsWith(assets + sep)) throw new PlatformError('NotFound', `no console asset '${rel}'`);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) throw new PlatformError('NotFound', `no console asset '${rel}'; rebuild the console (npm run build:console) and reload`);
    return reply
      .type(TYPES[extname(file)] ?? 'application/octet-stream')
      .header('content-length', info.size)
      // File names carry a content hash: a changed file gets a new name.
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .send(createReadStream(file));
  });
};
