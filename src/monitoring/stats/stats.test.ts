/**
 * KS, chi-square and PSI against scipy/numpy (Debian's python3-scipy under /usr/bin/python3) on
 * fixed samples: statistics to 1e-9, p-values to 1e-6. Skipped, saying why, without scipy.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { chiSquareHomogeneityImpl, gammaQ, ks2SampImpl, kolmogorovSf, psiCategoricalImpl, psiNumericImpl } from './index.js';

const PYTHON = '/usr/bin/python3';

function scipyMissing(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import scipy.stats, numpy'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `scipy is not installed for ${PYTHON} (apt-get install -y python3-scipy)`;
}
const missing = scipyMissing();
if (missing) console.warn(`skipping the scipy parity tests: ${missing}`);

const REFERENCE = String.raw`
import json, sys
import numpy as np
from scipy import stats, special
cases = json.load(sys.stdin)
out = []
for c in cases:
    k = c['kind']
    if k == 'ks':
        r = stats.ks_2samp(np.array(c['a']), np.array(c['b']), method=c.get('method', 'auto'))
        out.append({'statistic': float(r.statistic), 'pValue': float(r.pvalue)})
    elif k == 'kstwobign':
        out.append({'sf': float(stats.kstwobign.sf(c['z']))})
    elif k == 'chi2':
        s, p, dof, _ = stats.chi2_contingency(np.array(c['table']), correction=False)
        out.append({'statistic': float(s), 'pValue': float(p), 'dof': int(dof)})
    elif k == 'gammaincc':
        out.append({'q': float(special.gammaincc(c['a'], c['x']))})
    elif k == 'psi':
        b = np.array(c['a']); cur = np.array(c['b']); eps = 1e-4
        edges = np.quantile(b, np.arange(1, 10) / 10)
        pb = np.bincount(np.searchsorted(edges, b, side='right'), minlength=10) / len(b)
        pc = np.bincount(np.searchsorted(edges, cur, side='right'), minlength=10) / len(cur)
        pb = np.maximum(pb, eps); pc = np.maximum(pc, eps)
        out.append({'psi': float(np.sum((pc - pb) * np.log(pc / pb)))})
    elif k == 'psicat':
        keys = sorted(set(c['a']) | set(c['b']))
        pb = np.maximum(np.array([c['a'].get(x, 0) for x in keys]) / sum(c['a'].values()), 1e-4)
        pc = np.maximum(np.array([c['b'].get(x, 0) for x in keys]) / sum(c['b'].values()), 1e-4)
        out.append({'psi': float(np.sum((pc - pb) * np.log(pc / pb)))})
print(json.dumps(out))
`;

function reference(cases: unknown[]): Array<Record<string, number>> {
  const r = spawnSync(PYTHON, ['-c', REFERENCE], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`scipy reference failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Array<Record<string, number>>;
}

/** mulberry32 → standard normals (Box–Muller), deterministic. */
function normals(n: number, seed: number, mean = 0, sd = 1, round?: number): number[] {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
  return Array.from({ length: n }, () => {
    const v = mean + sd * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    return round === undefined ? v : Math.round(v * round) / round;
  });
}

const close = (ours: number, ref: number, tol: number, what: string) =>
  expect(Math.abs(ours - ref), `${what}: ours ${ours}, scipy ${ref}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(ref)));

describe.skipIf(missing !== undefined)('drift statistics agree with scipy', () => {
  it('two-sample KS (auto → exact, with ties, equal and unequal sizes)', () => {
    const pairs: Array<[number[], number[]]> = [
      [normals(50, 1), normals(50, 2)],
      [normals(50, 3), normals(50, 4, 0.8)],
      [normals(37, 5), normals(81, 6, 0.3)],
      [normals(200, 7, 0, 1, 10), normals(150, 8, 0.1, 1, 10)],
      [normals(1000, 9), normals(700, 10, 0.05, 1.1)],
      [normals(3000, 11), normals(2500, 12, 0.02)],
      [normals(10, 13), normals(12, 14, 2)],
      [[1, 2, 3], [1, 2, 3]],
    ];
    const refs = reference(pairs.map(([a, b]) => ({ kind: 'ks', a, b })));
    pairs.forEach(([a, b], i) => {
      const r = ks2SampImpl(Float64Array.from(a), Float64Array.from(b));
      expect(r.method).toBe('exact');
      close(r.statistic, refs[i].statistic, 1e-9, `case ${i} statistic`);
      close(r.pValue, refs[i].pValue, 1e-6, `case ${i} p-value`);
    });
  });

  it('asymptotic KS uses the limiting Kolmogorov distribution (scipy.stats.kstwobign)', () => {
    const zs = [0.1, 0.3, 0.5, 0.8, 0.99, 1.0, 1.2, 1.5, 2, 3];
    const refs = reference(zs.map((z) => ({ kind: 'kstwobign', z })));
    zs.forEach((z, i) => close(kolmogorovSf(z), refs[i].sf, 1e-9, `sf(${z})`));
    const a = normals(12_000, 21);
    const b = normals(11_000, 22, 0.03);
    const [ref] = reference([{ kind: 'ks', a, b, method: 'asymp' }]);
    const r = ks2SampImpl(a, b);
    expect(r.method).toBe('asymp');
    close(r.statistic, ref.statistic, 1e-9, 'statistic');
    const [big] = reference([{ kind: 'kstwobign', z: Math.sqrt((12_000 * 11_000) / 23_000) * r.statistic }]);
    close(r.pValue, big.sf, 1e-9, 'p-value');
  });

  it('regularized upper incomplete gamma (scipy.special.gammaincc)', () => {
    const args = [[0.5, 0.1], [0.5, 3], [1, 1], [2.5, 0.5], [4.5, 10], [10, 3], [10, 30], [50, 45], [50, 80], [150, 140], [0.5, 40]];
    const refs = reference(args.map(([a, x]) => ({ kind: 'gammaincc', a, x })));
    args.forEach(([a, x], i) => close(gammaQ(a, x), refs[i].q, 1e-9, `Q(${a}, ${x})`));
  });

  it('chi-square homogeneity (chi2_contingency without correction)', () => {
    const tables = [
      [[10, 20, 30], [12, 18, 35]],
      [[100, 5], [80, 25]],
      [[50, 30, 15, 5], [20, 30, 30, 20]],
      [[500, 400, 300, 200, 100, 50], [480, 410, 320, 190, 95, 60]],
      [[3, 0, 7, 9], [1, 2, 4, 12], [5, 5, 5, 5]],
    ];
    const refs = reference(tables.map((table) => ({ kind: 'chi2', table })));
    tables.forEach((t, i) => {
      const r = chiSquareHomogeneityImpl(t);
      close(r.statistic, refs[i].statistic, 1e-9, `table ${i} statistic`);
      close(r.pValue, refs[i].pValue, 1e-6, `table ${i} p-value`);
      expect(r.dof).toBe(refs[i].dof);
    });
  });

  it('population stability index (baseline-quantile bins, ε = 1e-4)', () => {
    const pairs: Array<[number[], number[]]> = [
      [normals(1000, 31), normals(800, 32)],
      [normals(1000, 33), normals(800, 34, 0.5)],
      [normals(500, 35, 0, 1, 2), normals(300, 36, 2, 1, 2)],
      [normals(200, 37), normals(100, 38, 10)],
    ];
    const refs = reference(pairs.map(([a, b]) => ({ kind: 'psi', a, b })));
    pairs.forEach(([a, b], i) => close(psiNumericImpl(a, b), refs[i].psi, 1e-9, `case ${i}`));
    const cats = [
      [{ a: 50, b: 30, c: 20 }, { a: 45, b: 35, c: 20 }],
      [{ a: 50, b: 30, c: 20 }, { a: 10, b: 10, d: 80 }],
    ];
    const catRefs = reference(cats.map(([a, b]) => ({ kind: 'psicat', a, b })));
    cats.forEach(([a, b], i) => close(psiCategoricalImpl(new Map(Object.entries(a)), new Map(Object.entries(b))), catRefs[i].psi, 1e-9, `categorical ${i}`));
  });
});
