import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Builds the web console once before any test file runs, so browser test files running in
 * parallel never rebuild it at the same moment (each still checks it is fresh, a no-op then).
 */
export default function setup(): void {
  const script = fileURLToPath(new URL('../console/scripts/ensure-built.mjs', import.meta.url));
  execFileSync(process.execPath, [script], { stdio: 'inherit', timeout: 180_000 });
}
