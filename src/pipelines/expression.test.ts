import { describe, expect, it } from 'vitest';
import { evaluate, parseExpression, referencesOf } from './expression.js';

const run = (src: string, ctx: Record<string, unknown> = {}, fns = {}) => evaluate(parseExpression(src), ctx, fns);

describe('pipeline expressions', () => {
  const ctx = { params: { minAuc: 0.9, name: 'x' }, steps: { eval: { metrics: { 'validation:auc': 0.95, auc: 0.93 } } } };

  it('compares metrics with and/or/not, brackets and arithmetic', async () => {
    expect(await run("steps.eval.metrics['validation:auc'] >= params.minAuc and steps.eval.metrics.auc > 0.9", ctx)).toBe(true);
    expect(await run('not (steps.eval.metrics.auc >= params.minAuc + 0.05) || false', ctx)).toBe(true);
    expect(await run("params.name == 'x' && 2 * 3 - 1 == 5", ctx)).toBe(true);
    expect(await run('-1 < 0 and 1e-3 == 0.001', ctx)).toBe(true);
  });

  it('reads missing properties as null; ordering against null is false', async () => {
    expect(await run('steps.eval.metrics.missing', ctx)).toBeNull();
    expect(await run('steps.eval.metrics.missing >= 0', ctx)).toBe(false);
    expect(await run('steps.eval.metrics.missing == null', ctx)).toBe(true);
    expect(await run("steps.eval['__proto__'] == null", ctx)).toBe(true);
  });

  it('calls only the functions it is given', async () => {
    const fns = { registry: async (g: unknown, a: unknown) => (g === 'churn' && a === 'production' ? { metrics: { auc: 0.92 } } : null) };
    expect(await run("steps.eval.metrics.auc >= registry('churn', 'production').metrics.auc", ctx, fns)).toBe(true);
    expect(await run("registry('churn', 'candidate') == null", ctx, fns)).toBe(true);
    await expect(run('constructor(1)', ctx)).rejects.toThrow(/unknown function 'constructor'/);
  });

  it('rejects syntax and type errors with a message', async () => {
    expect(() => parseExpression('a >= ')).toThrow(/unexpected end/);
    expect(() => parseExpression('a b')).toThrow(/unexpected 'b'/);
    expect(() => parseExpression("'open")).toThrow(/unterminated string/);
    expect(() => parseExpression('a ; b')).toThrow(/unexpected character ';'/);
    await expect(run("1 < 'a'")).rejects.toThrow(/cannot compare a number < a string/);
    await expect(run('nope')).rejects.toThrow(/unknown name 'nope'/);
  });

  it('lists the steps and parameters it reads', () => {
    const r = referencesOf(parseExpression("steps.train.metrics['x'] > params.t and steps['ev'].a == 1"));
    expect([...r.steps].sort()).toEqual(['ev', 'train']);
    expect([...r.params]).toEqual(['t']);
    expect([...r.roots].sort()).toEqual(['params', 'steps']);
  });
});
