import { describe, expect, it } from 'vitest';
import { erfc, normalCdf, twoProportionZTest } from './z-test.js';

/*
 * Reference values from Python's standard library only (math.erfc; the test's formula written
 * out), so they need neither scipy nor statsmodels:
 *   p1=x1/n1; p2=x2/n2; p=(x1+x2)/(n1+n2); z=(p1-p2)/math.sqrt(p*(1-p)*(1/n1+1/n2))
 *   p_value=math.erfc(abs(z)/math.sqrt(2))
 */
const close = (actual: number, expected: number, rel = 1e-12) =>
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(rel * Math.abs(expected) + 1e-300);

describe('erfc and the normal CDF', () => {
  it('match math.erfc and 0.5*erfc(-x/sqrt(2))', () => {
    const cases: Array<[number, number, number]> = [
      [0, 1.0, 0.5],
      [0.1, 0.8875370839817152, 0.539827837277029],
      [0.5, 0.4795001221869535, 0.6914624612740131],
      [1, 0.15729920705028513, 0.8413447460685429],
      [1.96, 0.005573724535172132, 0.9750021048517795],
      [3, 2.2090496998585438e-05, 0.9986501019683699],
      [5, 1.5374597944280351e-12, 0.9999997133484281],
      [8, 1.1224297172982928e-29, 0.9999999999999993],
      [-1.5, 1.9661051464753108, 0.06680720126885809],
    ];
    for (const [x, e, phi] of cases) {
      close(erfc(x), e, 1e-12);
      close(normalCdf(x), phi, 1e-12);
    }
  });
});

describe('two-proportion z-test', () => {
  it('matches the pooled formula (z and two-sided p-value)', () => {
    const cases: Array<[number, number, number, number, number, number]> = [
      [90, 100, 80, 100, 1.9802950859533481, 0.047670380656161505],
      [45, 50, 44, 50, 0.31960138605029687, 0.749270523528457],
      [180, 200, 120, 200, 6.9282032302755105, 4.262191597843626e-12],
      [510, 1000, 490, 1000, 0.8944271909999166, 0.3710933695226972],
      [30, 40, 10, 40, 4.47213595499958, 7.744216431044096e-06],
    ];
    for (const [x1, n1, x2, n2, z, p] of cases) {
      const t = twoProportionZTest(x1, n1, x2, n2);
      close(t.z, z, 1e-12);
      close(t.pValue, p, 1e-10);
      close(twoProportionZTest(x2, n2, x1, n1).z, -z, 1e-12);
    }
  });

  it('is undefined for an empty sample and 1 when both are all right or all wrong', () => {
    expect(Number.isNaN(twoProportionZTest(0, 0, 1, 2).pValue)).toBe(true);
    expect(twoProportionZTest(5, 5, 7, 7)).toMatchObject({ z: 0, pValue: 1 });
  });
});
