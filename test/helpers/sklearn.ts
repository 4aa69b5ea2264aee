import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../parity/sklearn_metrics.py', import.meta.url));

/** Why scikit-learn reference values cannot be computed here, or undefined when they can. */
export function sklearnMissing(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import sklearn, numpy'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `scikit-learn is not installed for ${PYTHON} (apt-get install -y python3-sklearn): ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`;
}

/** Runs test/parity/sklearn_metrics.py over the cases; one result per case. */
export function sklearnMetrics(cases: unknown[]): Array<Record<string, unknown>> {
  const r = spawnSync(PYTHON, [SCRIPT], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`sklearn_metrics.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Array<Record<string, unknown>>;
}

/**
 * Checks that every number in `reference` (walked recursively; ours may hold more) equals ours
 * within `tol` (absolute, or relative for large values). Returns how many numbers were compared.
 */
export function expectAgrees(ours: unknown, reference: unknown, tol = 1e-9, path = '$'): number {
  if (typeof reference === 'number') {
    expect(typeof ours, `${path}: ours is ${JSON.stringify(ours)}`).toBe('number');
    const a = ours as number;
    if (Number.isNaN(reference)) {
      expect(Number.isNaN(a), `${path}: expected NaN, got ${a}`).toBe(true);
      return 1;
    }
    expect(Math.abs(a - reference) <= tol * Math.max(1, Math.abs(reference)), `${path}: ours ${a}, sklearn ${reference}`).toBe(true);
    return 1;
  }
  if (Array.isArray(reference)) {
    expect(Array.isArray(ours), `${path}: ours is not an array`).toBe(true);
    expect((ours as unknown[]).length, `${path}: length`).toBe(reference.length);
    return reference.reduce<number>((n, r, i) => n + expectAgrees((ours as unknown[])[i], r, tol, `${path}[${i}]`), 0);
  }
  if (reference !== null && typeof reference === 'object') {
    let n = 0;
    for (const [k, v] of Object.entries(reference)) {
      expect(ours, `${path}.${k}: missing in ours`).toHaveProperty([k]);
      n += expectAgrees((ours as Record<string, unknown>)[k], v, tol, `${path}.${k}`);
    }
    return n;
  }
  expect(ours, path).toEqual(reference);
  return 0;
}
