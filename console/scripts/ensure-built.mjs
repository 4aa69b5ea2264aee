#!/usr/bin/env node
// Builds the console into console/dist when the build is missing or older than its sources.
// Run by `npm start` (prestart) and by the browser tests; `npm run build:console` always builds.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const consoleDir = fileURLToPath(new URL('..', import.meta.url));
const repo = join(consoleDir, '..');
const SOURCES = [
  join(consoleDir, 'src'),
  join(consoleDir, 'index.html'),
  join(consoleDir, 'vite.config.ts'),
  join(repo, 'src', 'sdk'),
  join(repo, 'src', 'contracts'),
];

function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

/** True when console/dist/index.html is missing or older than any source file. */
export function isStale() {
  const built = join(consoleDir, 'dist', 'index.html');
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  return SOURCES.some((p) => newest(p) > builtAt);
}

/** Builds the console with Vite (a devDependency); returns false when Vite is not installed. */
export async function buildConsole() {
  let vite;
  try {
    vite = await import('vite');
  } catch {
    return false;
  }
  await vite.build({ configFile: join(consoleDir, 'vite.config.ts'), logLevel: 'warn' });
  return true;
}

/** Builds the console when stale; `force` builds anyway. */
export async function ensureConsoleBuilt({ force = false } = {}) {
  if (!force && !isStale()) return 'fresh';
  return (await buildConsole()) ? 'built' : 'no-vite';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const force = process.argv.includes('--force');
  const started = Date.now();
  const result = await ensureConsoleBuilt({ force });
  if (result === 'built') console.log(`console built into console/dist in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  else if (result === 'no-vite') console.warn('console not built: vite is not installed (npm install installs it); the server will say so at /');
}
