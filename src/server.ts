import type { FastifyInstance } from 'fastify';
import { buildApp } from './api/app.js';
import { loadConfig, type ConfigInput } from './core/config.js';
import { createPlatform, type Platform, type PlatformOverrides } from './platform.js';

export interface StartOptions {
  flags?: ConfigInput;
  env?: NodeJS.ProcessEnv;
  configFile?: string;
  /** Print where it listens, where data lives and a newly generated token; handle SIGINT/SIGTERM. */
  banner?: boolean;
  /** Parts of the platform to replace (tests: a controllable clock). */
  overrides?: PlatformOverrides;
}

/** How long shutdown waits for in-flight requests before closing every connection. */
const CLOSE_GRACE_MS = 5_000;

export interface RunningServer {
  url: string;
  token: string;
  platform: Platform;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** config → platform → listen; with `banner`, also wires graceful shutdown on signals. */
export async function startServer(opts: StartOptions = {}): Promise<RunningServer> {
  const config = loadConfig({ flags: opts.flags, env: opts.env, configFile: opts.configFile });
  const platform = await createPlatform(config, opts.overrides);
  const admin = await platform.auth.ensureAdminToken(config.home, config.token);
  const app = await buildApp(platform, platform.log);
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  // Jobs reach the advertised URL; else, on this machine, a server listening on every interface is reached on loopback.
  const wildcard = config.host === '0.0.0.0' || config.host === '::';
  platform.training.setApiUrl(config.advertisedUrl ?? (wildcard ? `http://127.0.0.1:${port}` : url));
  platform.cluster.identify(url);
  await platform.recover();
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // In-flight requests get a grace period; then connections that never finish a request
      // (a pooled socket that sent nothing counts as busy until the headers timeout) are cut.
      const cut = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS);
      try {
        await app.close();
      } finally {
        clearTimeout(cut);
      }
      await platform.close();
    })());
  if (opts.banner) printBanner(url, config.home, config.databaseUrl, config.artifactUrl, admin);
  if (opts.banner) handleSignals(close);
  return { url, token: admin.token, platform, app, close };
}

function printBanner(url: string, home: string, db: string, artifacts: string, admin: { token: string; generated: boolean }) {
  const lines = [
    `Stratus is running at ${url}`,
    `  API docs:   ${url}/api/docs`,
    `  data:       ${home}`,
    `  metadata:   ${db.replace(/\/\/[^@/]*@/, '//***@')}`,
    `  artifacts:  ${artifacts}`,
    admin.generated
      ? `  admin token (shown once; also saved in ${home}/admin-token): ${admin.token}`
      : `  admin token: from ${process.env.STRATUS_TOKEN ? 'STRATUS_TOKEN' : `${home}/admin-token`}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

function handleSignals(close: () => Promise<void>) {
  const stop = (signal: string) => {
    process.stdout.write(`\n${signal}: shutting down\n`);
    close().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`shutdown failed: ${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
