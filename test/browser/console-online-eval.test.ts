import { join } from 'node:path';
import type { Browser, Dialog, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StratusClient } from '../../src/sdk/client.js';
import { startTestServer, TEST_TOKEN, waitFor, type TestServer } from '../helpers/server.js';
import { findChromium, openBrowser, SHOTS, VIEWPORTS } from './browser.js';

// An online evaluation run from the endpoint page (issue 7, item 7), through Debian's chromium
// against a real server: an endpoint whose weighted candidate variant is a better model than
// production (made through the SDK); the evaluation started with the form (client-side checks,
// the API's 409 for a name taken meanwhile), labels uploaded with the form, the report with both
// variants and the z-test drawn with intervals, "Promote" refused then confirmed only when forced,
// and a canary promotion whose rollout the API confirms; then an automatic decision set in the
// form, concluded by the server when a short period ends and shown on the card.

const executablePath = await findChromium();

/** Seeded normal draws (mulberry32 + Box–Muller), as in test/e2e/online-evaluation.test.ts. */
function gaussian(seed: number) {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}
type Row = [y: number, x1: number, x2: number];
function rows(n: number, seed: number, label: (x1: number, x2: number) => number): Row[] {
  const g = gaussian(seed);
  return Array.from({ length: n }, () => {
    const x1 = g();
    const x2 = g();
    return [label(x1, x2), x1, x2];
  });
}
/** The truth, and a wrong boundary for the production model to learn. */
const truth = (x1: number, x2: number) => (x1 + x2 > 0 ? 1 : 0);
const wrong = (x1: number, x2: number) => (x1 - x2 > 0 ? 1 : 0);
const csv = (rs: Row[]) => rs.map((r) => r.map((v) => (Number.isInteger(v) ? String(v) : v.toFixed(6))).join(',')).join('\n') + '\n';
/** A number as the console shows it (components/Status.tsx fmtNum). */
const fmt = (v: number) => (Number.isInteger(v) ? v.toLocaleString() : Math.abs(v) >= 1000 || Math.abs(v) < 0.001 ? v.toExponential(3) : v.toPrecision(4));
/** Φ⁻¹(0.975), for the interval the chart should draw at α = 0.05. */
const Z_975 = 1.959963984540054;

describe.skipIf(!executablePath)('web console, online evaluation and promotion (chromium)', () => {
  let server: TestServer;
  let client: StratusClient;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  async function train(name: string, data: Row[]) {
    await client.datasets.upload(name, Buffer.from(csv(data)), { format: 'csv', header: false });
    await client.trainingJobs.create({ name, algorithm: 'linear-learner', hyperparameters: { predictor_type: 'binary_classifier', epochs: 10 }, inputs: [{ channel: 'train', dataset: name }] });
    const job = await client.trainingJobs.waitFor(name, { timeoutMs: 120_000, intervalMs: 250 });
    expect(job.status, job.failureReason).toBe('Completed');
    await client.models.create({ name, trainingJob: name });
  }

  beforeAll(async () => {
    server = await startTestServer({ invocationTimeoutMs: 5000 });
    client = new StratusClient({ url: server.url, token: TEST_TOKEN });
    await Promise.all([train('oe-good', rows(600, 1, truth)), train('oe-bad', rows(600, 2, wrong))]);
    await client.endpointConfigs.create({
      name: 'oe-ab', dataCapture: { samplingPercentage: 100 },
      variants: [{ name: 'prod', model: 'oe-bad', weight: 1 }, { name: 'cand', model: 'oe-good', weight: 1 }],
    });
    await client.endpoints.create({ name: 'oe-ep', config: 'oe-ab' });
    // The same models as production and shadow, scored as regression (|label − score|) in the second test.
    await client.endpointConfigs.create({
      name: 'oe-shadowed', dataCapture: { samplingPercentage: 100 },
      variants: [{ name: 'AllTraffic', model: 'oe-bad' }], shadowVariants: [{ name: 'challenger', model: 'oe-good', samplingPercentage: 100 }],
    });
    await client.endpoints.create({ name: 'oe-shadow-ep', config: 'oe-shadowed' });
    await client.endpoints.waitFor('oe-ep', 'InService', { timeoutMs: 60_000, intervalMs: 200 });
    await client.endpoints.waitFor('oe-shadow-ep', 'InService', { timeoutMs: 60_000, intervalMs: 200 });
    ({ browser, page } = await openBrowser(executablePath!, consoleErrors));
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    server?.app.server.closeAllConnections();
    await server?.stop();
  });

  const url = (path: string) => server.url + path;

  it('starts an evaluation with the form, reads its report and promotes the candidate with a canary', async () => {
    try {
      await flow();
    } catch (e) {
      await page.screenshot({ path: join(SHOTS, 'online-eval-failure.png'), fullPage: true }).catch(() => undefined);
      const shown = await page.locator('main').innerText().catch(() => '');
      throw new Error(`${(e as Error).message}\n--- page text ---\n${shown.slice(0, 3000)}`, { cause: e });
    }
  }, 240_000);

  it('starts a regression evaluation of a shadow and draws the bootstrap interval', async () => {
    try {
      await shadowFlow();
    } catch (e) {
      await page.screenshot({ path: join(SHOTS, 'online-eval-shadow-failure.png'), fullPage: true }).catch(() => undefined);
      const shown = await page.locator('main').innerText().catch(() => '');
      throw new Error(`${(e as Error).message}\n--- page text ---\n${shown.slice(0, 3000)}`, { cause: e });
    }
  }, 120_000);

  it('starts an evaluation that decides automatically and shows its conclusion', async () => {
    try {
      await automaticFlow();
    } catch (e) {
      await page.screenshot({ path: join(SHOTS, 'online-eval-auto-failure.png'), fullPage: true }).catch(() => undefined);
      const shown = await page.locator('main').innerText().catch(() => '');
      throw new Error(`${(e as Error).message}\n--- page text ---\n${shown.slice(0, 3000)}`, { cause: e });
    }
  }, 120_000);

  async function automaticFlow() {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(url('/console/endpoints/oe-shadow-ep'));
    await page.getByRole('button', { name: 'Start an online evaluation' }).click();
    const form = page.getByTestId('online-evaluation-form');
    await form.getByLabel('Name').fill('auto-ui');
    await form.getByLabel('Period').fill('3');
    await form.getByLabel('Unit').selectOption('seconds');
    await form.getByLabel(/^Decide automatically at the end/).check();
    // A shadow takes no traffic share: no weight to reset.
    expect(await form.getByLabel(/weight to 0 if the baseline is kept/).count()).toBe(0);
    await form.getByLabel('Labels needed per variant').fill('0');
    await form.getByText('A whole number from 1 to 1000000.').waitFor();
    expect(await form.getByRole('button', { name: 'Start evaluation' }).isDisabled()).toBe(true);
    await form.getByLabel('Labels needed per variant').fill('50');
    await form.getByRole('button', { name: 'Start evaluation' }).click();
    const card = page.locator('[data-testid="online-evaluation"][data-name="auto-ui"]');
    await card.waitFor();
    expect(await client.onlineEvaluations.get('auto-ui')).toMatchObject({
      candidateVariant: 'challenger', durationSeconds: 3, decision: { automatic: true, minimumLabelled: 50, resetCandidateWeight: false },
    });
    expect(await card.getByTestId('decision').textContent()).toMatch(/at least 50 labelled answers on each side, else keeps the baseline\.$/);

    // No labelled traffic in the period: the server keeps the baseline, and the card follows.
    const conclusion = card.getByTestId('conclusion');
    await conclusion.waitFor({ timeout: 40_000 });
    expect(await conclusion.getAttribute('data-outcome')).toBe('KeptBaseline');
    expect(await conclusion.getAttribute('data-reason')).toBe('TooFewLabels');
    expect(await conclusion.innerText()).toMatch(/Concluded: baseline kept[\s\S]*too few labelled answers: baseline 0, candidate 0; 50 needed on each side\./);
    await expect.poll(() => card.locator('.head-row .status').first().textContent(), { timeout: 10_000 }).toBe('Concluded');
    expect((await client.onlineEvaluations.get('auto-ui')).conclusion).toMatchObject({ outcome: 'KeptBaseline', reason: 'TooFewLabels' });
    await page.getByTestId('endpoint-timeline').locator('[data-kind="online-evaluation"]', { hasText: "online evaluation 'auto-ui' concluded: kept the baseline 'AllTraffic' (TooFewLabels)" })
      .waitFor({ timeout: 20_000 });
    await card.screenshot({ path: join(SHOTS, 'online-eval-auto-1440x900.png') });
    expect(consoleErrors).toEqual([]);
  }

  async function shadowFlow() {
    // The shadow pool mirrors once it is up.
    const g = gaussian(9);
    await waitFor(async () => {
      await client.endpoints.invoke('oe-shadow-ep', `${g()},${g()}`);
      return client.endpoints.shadowComparison('oe-shadow-ep');
    }, (c) => (c.shadows[0]?.mirrored ?? 0) > 0, 20_000, 200);
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(url('/console/endpoints/oe-shadow-ep'));
    await page.getByRole('button', { name: 'Start an online evaluation' }).click();
    const form = page.getByTestId('online-evaluation-form');
    expect(await form.getByLabel('Candidate variant').inputValue()).toBe('challenger');
    await form.getByLabel('Name').fill('shadow-reg');
    await form.getByLabel('Labels are').selectOption('regression');
    expect(await form.getByLabel('Threshold').count()).toBe(0);
    await form.getByLabel('Bootstrap resamples').fill('50');
    await form.getByText('Resamples: A whole number from 100 to 100000.').waitFor();
    await form.getByLabel('Bootstrap resamples').fill('500');
    await form.getByLabel('Seed').fill('1');
    await form.getByRole('button', { name: 'Start evaluation' }).click();
    const card = page.locator('[data-testid="online-evaluation"][data-name="shadow-reg"]');
    await card.waitFor();
    expect(await client.onlineEvaluations.get('shadow-reg')).toMatchObject({
      candidateVariant: 'challenger', candidateIsShadow: true, baselineVariant: 'AllTraffic', problemType: 'regression', bootstrap: { samples: 500, seed: 1 },
    });

    const traffic = rows(120, 6, truth);
    const written = async () => (await client.endpoints.metrics('oe-shadow-ep', { window: 300 })).capture?.written ?? 0;
    const before = await written();
    for (let i = 0; i < traffic.length; i += 8) {
      await Promise.all(traffic.slice(i, i + 8).map((r, k) => client.endpoints.invoke('oe-shadow-ep', `${r[1]},${r[2]}`, { inferenceId: `sh-${i + k}` })));
    }
    // Production and the shadow both capture every request.
    await waitFor(written, (n) => n >= before + 2 * traffic.length, 20_000, 200);
    await client.onlineEvaluations.groundTruth('shadow-reg', traffic.map((r, i) => ({ inferenceId: `sh-${i}`, label: r[0] })));
    const report = await waitFor(() => client.onlineEvaluations.report('shadow-reg'), (r) => r.variants.every((v) => v.joined === traffic.length), 20_000, 250);
    expect(report.test).toMatchObject({ kind: 'bootstrap', metric: 'mae', paired: true, samples: 500, significant: true, better: 'candidate' });
    await card.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => card.getByTestId('significance').textContent(), { timeout: 10_000 })
      .toBe(`Bootstrap of the mean absolute error (paired by inference id, 500 resamples): difference ${fmt(report.test.difference)} (candidate − baseline), 95 % interval [${fmt(report.test.interval!.lower)}, ${fmt(report.test.interval!.upper)}], p = ${fmt(report.test.pValue)}. Significant at α = 0.05: the candidate is better (lower MAE).`);
    const table = card.getByRole('table', { name: 'Variants of shadow-reg' });
    expect(await table.locator('tr', { hasText: 'Correct' }).count()).toBe(0);
    for (const m of ['rmse', 'mae', 'mape', 'r2']) expect(await table.locator(`tr[data-metric="${m}"]`).count()).toBe(1);
    const difference = card.locator('.chart[data-chart="online-test"] [data-testid="difference"]');
    expect(Number(await difference.getAttribute('data-lower'))).toBe(report.test.interval!.lower);
    expect(Number(await difference.getAttribute('data-upper'))).toBe(report.test.interval!.upper);
    expect(Number(await card.locator('.chart[data-chart="online-test"] [data-role="candidate"]').getAttribute('data-value'))).toBe(report.variants[1].metrics.mae);
    expect(await card.locator('.chart[data-chart="online-test"] .whisker').count()).toBe(1);
    expect(await card.locator('.chart[data-chart="online-metrics"]').count()).toBe(0);
    expect(await card.getByTestId('promote-blocked').count()).toBe(0);
    await card.screenshot({ path: join(SHOTS, 'online-eval-shadow-1440x900.png') });
    expect(consoleErrors).toEqual([]);
  }

  async function flow() {
    await page.goto(url('/'));
    await page.getByLabel('API token').fill(TEST_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Home' }).waitFor();
    await page.goto(url('/console/endpoints/oe-ep'));
    await page.getByText(/^None\. Compare a shadow or weighted variant/).waitFor();

    // The form: both production variants can be the candidate; the baseline defaults to the heaviest other one.
    await page.getByRole('button', { name: 'Start an online evaluation' }).click();
    const form = page.getByTestId('online-evaluation-form');
    expect(await form.getByLabel('Candidate variant').locator('option').allTextContents()).toEqual(['prod (weight 1, oe-bad)', 'cand (weight 1, oe-good)']);
    await form.getByLabel('Candidate variant').selectOption('cand');
    expect(await form.getByLabel('Baseline variant').locator('option').allTextContents()).toEqual(['Heaviest other production variant (prod)', 'prod (weight 1, oe-bad)']);
    await form.getByLabel('Baseline variant').selectOption('prod');
    const start = form.getByRole('button', { name: 'Start evaluation' });
    await form.getByLabel('Name').fill('bad name!');
    await form.getByText('Letters, digits and single hyphens; starts and ends with a letter or digit; at most 63 characters.').waitFor();
    await form.getByLabel('Significance level α').fill('1.5');
    await form.getByText('Significance level: Strictly between 0 and 1, such as 0.05.').waitFor();
    expect(await form.getByLabel('Significance level α').getAttribute('aria-invalid')).toBe('true');
    expect(await start.isDisabled()).toBe(true);
    await form.getByLabel('Significance level α').fill('0.05');
    await form.getByLabel('Period').fill('2');

    // Someone else takes the name while the form is open: the API's 409 shows, on the name field.
    await client.onlineEvaluations.create({ name: 'taken', endpoint: 'oe-ep', candidateVariant: 'cand', durationSeconds: 60 });
    await form.getByLabel('Name').fill('taken');
    await start.click();
    const notice = form.getByRole('alert').filter({ hasText: 'Could not start the online evaluation' });
    await notice.waitFor();
    expect(await notice.innerText()).toContain("OnlineEvaluation 'taken' already exists; choose another name or delete it first");
    expect(await form.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');
    await expect.poll(() => consoleErrors.length).toBe(1);
    expect(consoleErrors.splice(0)).toEqual([expect.stringMatching(/status of 409 .*@ .*\/api\/v1\/online-evaluations$/)]);
    await client.onlineEvaluations.delete('taken');

    await form.getByLabel('Name').fill('ab-ui');
    expect(await form.getByLabel('Name').getAttribute('aria-invalid')).toBe('false');
    await start.click();
    const card = page.locator('[data-testid="online-evaluation"][data-name="ab-ui"]');
    await card.getByTestId('significance').waitFor();
    expect(await client.onlineEvaluations.get('ab-ui')).toMatchObject({
      endpoint: 'oe-ep', candidateVariant: 'cand', baselineVariant: 'prod', candidateIsShadow: false, durationSeconds: 7200, alpha: 0.05, problemType: 'binary', threshold: 0.5,
    });
    expect(await card.getByTestId('significance').textContent()).toMatch(/Not significant at α = 0.05 \(no labels joined yet\)/);

    // No evidence yet: Promote is disabled with the reason; "Force" enables it behind a confirmation (declined here).
    const promote = card.getByRole('button', { name: 'Promote', exact: true });
    expect(await promote.isDisabled()).toBe(true);
    expect(await card.getByTestId('promote-blocked').textContent()).toMatch(/^Not significant at α = 0.05 \(p = 1\).*Tick “Force” to promote it anyway/);
    await card.getByLabel('Force (promote without a significant win)').check();
    expect(await promote.isEnabled()).toBe(true);
    const dialog = new Promise<string>((resolve) => page.once('dialog', (d) => { resolve(d.message()); void d.dismiss(); }));
    await promote.click();
    expect(await dialog).toMatch(/^Promote cand to all of oe-ep's traffic although it is not significantly better than prod\?/);
    expect((await client.onlineEvaluations.get('ab-ui')).promotion).toBeUndefined();
    await card.getByLabel('Force (promote without a significant win)').uncheck();
    expect(await promote.isDisabled()).toBe(true);

    // Live traffic with inference ids, then its labels uploaded through the form.
    const traffic = rows(240, 5, truth);
    for (let i = 0; i < traffic.length; i += 8) {
      await Promise.all(traffic.slice(i, i + 8).map((r, k) => client.endpoints.invoke('oe-ep', `${r[1]},${r[2]}`, { inferenceId: `ab-${i + k}` })));
    }
    await waitFor(() => client.onlineEvaluations.report('ab-ui'), (r) => r.variants[0].captured + r.variants[1].captured === traffic.length, 20_000, 250);
    const labels = `inferenceId,label\n${traffic.map((r, i) => `ab-${i},${r[0]}`).join('\n')}\n`;
    await card.getByLabel(/^Upload labels/).setInputFiles({ name: 'labels.csv', mimeType: 'text/csv', buffer: Buffer.from(labels) });
    await card.getByText('Uploaded 240 labels from labels.csv.').waitFor();

    // The report: both variants side by side, the verdict, and the intervals drawn from the counts.
    await expect.poll(() => card.getByTestId('significance').textContent(), { timeout: 10_000 }).toMatch(/Significant at α = 0.05: the candidate is better\./);
    const report = await client.onlineEvaluations.report('ab-ui');
    const [base, cand] = report.variants;
    expect(report.test).toMatchObject({ kind: 'two-proportion-z', significant: true, better: 'candidate' });
    expect(cand.metrics.accuracy).toBeGreaterThan(base.metrics.accuracy + 0.15);
    const table = card.getByRole('table', { name: 'Variants of ab-ui' });
    expect(await table.locator('thead th').allTextContents()).toEqual(['', 'Candidate: cand', 'Baseline: prod']);
    expect(await table.locator('tr', { hasText: 'With a label' }).locator('td').allTextContents()).toEqual([String(cand.joined), String(base.joined)]);
    expect(cand.joined + base.joined).toBe(240);
    expect(await table.locator('tr[data-metric="accuracy"] td').allTextContents()).toEqual([fmt(cand.metrics.accuracy), fmt(base.metrics.accuracy)]);
    for (const m of ['precision', 'recall', 'f1', 'rocAuc']) expect(await table.locator(`tr[data-metric="${m}"]`).count()).toBe(1);
    expect(await card.getByTestId('significance').textContent()).toContain(`z = ${fmt(report.test.z!)}, p = ${fmt(report.test.pValue)}.`);

    const chart = card.locator('.chart[data-chart="online-test"]');
    const num = async (sel: string, attr: string) => Number(await chart.locator(sel).getAttribute(attr));
    const pooled = (cand.correct! + base.correct!) / 240;
    const se = Math.sqrt(pooled * (1 - pooled) * (1 / cand.joined + 1 / base.joined));
    expect(await num('[data-testid="difference"]', 'data-difference')).toBeCloseTo(report.test.difference, 12);
    expect(await num('[data-testid="difference"]', 'data-lower')).toBeCloseTo(report.test.difference - Z_975 * se, 6);
    expect(await num('[data-testid="difference"]', 'data-upper')).toBeCloseTo(report.test.difference + Z_975 * se, 6);
    expect(await num('[data-testid="difference"]', 'data-lower')).toBeGreaterThan(0);
    const candLower = await num('[data-role="candidate"]', 'data-lower');
    const candUpper = await num('[data-role="candidate"]', 'data-upper');
    expect(candLower).toBeLessThan(cand.metrics.accuracy);
    expect(candUpper).toBeGreaterThan(cand.metrics.accuracy);
    expect(candUpper).toBeLessThanOrEqual(1);
    expect(await num('[data-role="baseline"]', 'data-upper')).toBeLessThan(candLower);
    expect(await chart.locator('.whisker').count()).toBe(3);

    // Promote with a canary of 50 % through the form; the API rolls the candidate out.
    expect(await card.getByTestId('promote-blocked').count()).toBe(0);
    await card.getByLabel('Traffic shifting').selectOption('CANARY');
    await card.getByLabel('Size', { exact: true }).fill('50');
    await card.getByLabel('Wait after each step (s)').fill('1');
    await card.screenshot({ path: join(SHOTS, 'online-eval-report-1440x900.png') });
    const dialogs: string[] = [];
    const onDialog = (d: Dialog) => { dialogs.push(d.message()); void d.dismiss(); };
    page.on('dialog', onDialog);
    await promote.click();
    await card.getByTestId('promotion').waitFor();
    page.off('dialog', onDialog);
    expect(dialogs).toEqual([]);
    const promotion = (await client.onlineEvaluations.get('ab-ui')).promotion!;
    expect(promotion).toMatchObject({ fromConfig: 'oe-ab', variant: 'cand', model: 'oe-good', fromShadow: false, forced: false, metric: 'accuracy' });
    const ep = await waitFor(() => client.endpoints.get('oe-ep'), (e) => e.status === 'InService' && e.config === promotion.config && !e.pendingDeployment, 60_000, 200);
    expect(ep.variants.map((v) => [v.name, v.model, v.currentWeight])).toEqual([['cand', 'oe-good', 1]]);
    expect(ep.statusHistory.some((h) => /canary 50% to config/.test(h.message ?? ''))).toBe(true);

    // The page follows the rollout: the promotion completes, the status history shows the canary step.
    await expect.poll(() => card.getByTestId('promotion').getAttribute('data-outcome'), { timeout: 30_000, interval: 500 }).toBe('Completed');
    expect(await card.getByTestId('promotion').innerText()).toContain(`oe-ab → ${promotion.config}`);
    await expect.poll(() => page.locator('.facts').first().innerText(), { timeout: 30_000, interval: 500 }).toContain(promotion.config);
    await expect.poll(() => page.locator('.card', { has: page.getByRole('heading', { name: 'Status history' }) }).innerText(), { timeout: 30_000, interval: 500 }).toMatch(/canary 50%/);
    await page.getByTestId('endpoint-timeline').locator('[data-kind="online-evaluation"]', { hasText: "online evaluation 'ab-ui' promoted variant 'cand'" }).waitFor({ timeout: 20_000 });

    // Screenshots at both sizes, with the form open; nothing may overflow sideways.
    for (const vp of VIEWPORTS) {
      await page.setViewportSize({ width: vp.width, height: vp.height });
      await page.goto(url('/console/endpoints/oe-ep'));
      await card.getByTestId('promotion').waitFor();
      await page.getByRole('button', { name: 'Start an online evaluation' }).click();
      await page.getByLabel('Set how a promotion shifts traffic').check();
      await page.waitForLoadState('networkidle', { timeout: 3_000 }).catch(() => undefined);
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      const wide = overflow > 1 ? await page.evaluate<string>(`[...document.querySelectorAll('main *')]
        .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !el.closest('.table-wrap'))
        .slice(0, 5).map((el) => el.tagName.toLowerCase() + '.' + el.className).join(' ')`) : '';
      expect(overflow, `endpoint page at ${vp.width}px overflows by ${overflow}px: ${wide}`).toBeLessThanOrEqual(1);
      await page.screenshot({ path: join(SHOTS, `online-eval-${vp.width}x${vp.height}.png`), fullPage: true });
      await page.locator('.card', { has: page.getByRole('heading', { name: 'Online evaluations' }) }).screenshot({ path: join(SHOTS, `online-eval-card-${vp.width}x${vp.height}.png`) });
    }
    expect(consoleErrors).toEqual([]);
  }
});
