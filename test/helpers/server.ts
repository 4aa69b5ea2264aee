import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlatformOverrides } from '../../src/platform.js';
import { startServer, type RunningServer } from '../../src/server.js';

export const TEST_TOKEN = 'test-admin-token';
import { DATASETS } from './shared.js';

export { DATASETS };

export interface TestServer extends RunningServer {
  home: string;
  /** fetch against the server with the admin token. */
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  stop(): Promise<void>;
}

/** Starts Stratus in this process on a random port with a temporary data folder. */
export async function startTestServer(flags: Record<string, string | number> = {}, overrides?: PlatformOverrides): Promise<TestServer> {
  const home = await mkdtemp(join(tmpdir(), 'stratus-test-'));
  const server = await startServer({ flags: { home, port: 0, token: TEST_TOKEN, logLevel: 'warn', ...flags }, env: {}, ...(overrides ? { overrides } : {}) });
  const api = (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const headers = new Headers(init.headers);
    if (!headers.has('authorization')) headers.set('authorization', `Bearer ${TEST_TOKEN}`);
    let body = init.body;
    if (init.json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(init.json);
    }
    return fetch(server.url + path, { ...init, headers, body });
  };
  return {
    ...server,
    home,
    api,
    async stop() {
      await server.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns a value that `done` accepts, or fails after `timeoutMs`. */
export async function waitFor<T>(fn: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 60_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting; last value: ${JSON.stringify(v).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
