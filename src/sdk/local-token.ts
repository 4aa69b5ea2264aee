import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Finds the token of a local server: `STRATUS_TOKEN`, else the admin token the server wrote to
 * `<STRATUS_HOME or ./.stratus>/admin-token` at its first start. `undefined` when neither exists.
 *
 * @example
 * const client = new StratusClient({ url: 'http://127.0.0.1:8080', token: findLocalToken(process.env) });
 */
export function findLocalToken(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  if (env.STRATUS_TOKEN) return env.STRATUS_TOKEN;
  const home = resolve(cwd, env.STRATUS_HOME || '.stratus');
  try {
    return readFileSync(join(home, 'admin-token'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
