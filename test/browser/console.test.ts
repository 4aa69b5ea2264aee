import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { findChromium, openBrowser, SHOTS, VIEWPORTS } from './browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, startTestServer, TEST_TOKEN, waitFor, type TestServer } from '../helpers/server.js';

// The web console driven through Debian's chromium: the whole lifecycle through the UI against a
// real server. Screenshots of each page land in test-output/screenshots/ (not committed).

const executablePath = await findChromium();

describe.skipIf(!executablePath)('web console (chromium)', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    ({ browser, page } = await openBrowser(executablePath!, consoleErrors));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const url = (path: string) => server.url + path;
  const statusOf = (selector: string) => page.locator(selector).first().getAttribute('data-status');

  it('logs in, uploads, trains, deploys, invokes and re-weights an endpoint through the UI', async () => {
    try {
      await lifecycle();
    } catch (e) {
      // Leave what the page showed, to see why.
      await page.screenshot({ path: join(SHOTS, 'failure.png'), fullPage: true }).catch(() => undefined);
      const shown = await page.locator('main').innerText().catch(() => '');
      throw new Error(`${(e as Error).message}\n--- page text ---\n${shown.slice(0, 3000)}`, { cause: e });
    }
  }, 300_000);

  async function lifecycle() {
    // Log in with the token (kept in sessionStorage).
    await page.goto(url('/'));
    await page.getByLabel('API token').fill(TEST_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Home' }).waitFor();
    expect(await page.evaluate("sessionStorage.getItem('stratus.token')")).toBe(TEST_TOKEN);

    // Upload breast_cancer.csv with the progress bar; land on the dataset page with statistics.
    await page.getByRole('link', { name: 'Datasets', exact: true }).click();
    await page.getByLabel('File').setInputFiles(join(DATASETS, 'breast_cancer.csv'));
    await expect.poll(() => page.getByLabel('Dataset name').inputValue()).toBe('breast-cancer');
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.waitForURL('**/console/datasets/breast-cancer');
    await page.getByRole('table', { name: 'Column statistics' }).waitFor();
    expect(await page.locator('svg.hist').count()).toBeGreaterThan(10);
    await page.getByRole('table', { name: /First \d+ rows/ }).waitFor();

    // Start a linear-learner job: hyperparameters checked as typed.
    await page.getByRole('link', { name: 'Train on this dataset' }).click();
    await page.getByLabel('Job name').fill('bc-ui');
    await page.getByLabel('predictor_type *').selectOption('binary_classifier');
    await page.getByRole('button', { name: /Show all \d+ hyperparameters/ }).click();
    await page.getByLabel('epochs', { exact: true }).fill('0');
    await page.getByText('Must be of at least 1.').waitFor();
    await page.getByLabel('epochs', { exact: true }).fill('4');
    expect(await page.locator('#hp-epochs-err').textContent()).toBe('');
    expect(await page.getByLabel('train *').inputValue()).toBe('breast-cancer');
    await page.getByLabel('validation (optional)').selectOption('breast-cancer');
    await page.getByRole('button', { name: 'Start training' }).click();
    await page.waitForURL('**/console/training/bc-ui');

    // Watch it complete: live log lines, and a metric chart drawn as an SVG path.
    await expect.poll(() => statusOf('h1 + .status'), { timeout: 120_000, interval: 500 }).toBe('Completed');
    await page.locator('.chart path.series').first().waitFor({ timeout: 20_000 });
    expect(await page.locator('.chart path.series').first().getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+L/);
    // train and validation curves of one metric share a chart.
    await expect.poll(() => page.locator('.chart:has([data-series="validation"]) path.series').count(), { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    await expect.poll(() => page.getByTestId('job-logs').textContent(), { timeout: 20_000 }).toMatch(/epoch/i);

    // Create the model from the job, deploy it with two variants.
    await page.getByRole('button', { name: 'Create model' }).click();
    await page.waitForURL('**/console/models?deploy=bc-ui-model');
    await page.getByLabel('Endpoint name').fill('bc-ui-ep');
    await page.getByRole('button', { name: 'Add variant' }).click();
    await page.getByRole('button', { name: 'Deploy endpoint' }).click();
    await page.waitForURL('**/console/endpoints/bc-ui-ep');
    await expect.poll(() => statusOf('h1 + .status'), { timeout: 60_000, interval: 500 }).toBe('InService');

    // Try it: a training row without its label; the answer and the variant that gave it show.
    await page.getByRole('button', { name: 'Fill with a training row' }).click();
    await expect.poll(() => page.getByLabel('Request body').inputValue()).toMatch(/^[\d.]+(,[\d.e-]+){29}$/);
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByTestId('try-answer').waitFor();
    expect(await page.getByTestId('try-answer').textContent()).toMatch(/predicted_label/);
    expect(await page.getByTestId('answer-variant').textContent()).toMatch(/^(AllTraffic|Variant2)$/);

    // Change the weights with the slider (the number box beside it is the keyboard-friendly twin).
    await page.getByLabel('Weight of Variant2', { exact: true }).fill('3');
    await expect.poll(() => page.getByTestId('share-Variant2').textContent()).toMatch(/^75 %/);
    await page.getByRole('button', { name: 'Apply weights' }).click();
    await page.getByText('Weights sent').waitFor();
    type EndpointView = { status: string; variants: { name: string; currentWeight: number }[] };
    const ep = await waitFor(() => server.api('/api/v1/endpoints/bc-ui-ep').then((r) => r.json() as Promise<EndpointView>), (e) => e.status === 'InService', 30_000, 250);
    expect(ep.variants.map((v) => [v.name, v.currentWeight])).toEqual([['AllTraffic', 1], ['Variant2', 3]]);

    // Screenshots of every page at both sizes, for a person to look at.
    const pages: [string, string][] = [
      ['home', '/console'], ['datasets', '/console/datasets'], ['dataset', '/console/datasets/breast-cancer'],
      ['training', '/console/training'], ['training-new', '/console/training/new'], ['training-job', '/console/training/bc-ui'],
      ['models', '/console/models'], ['deploy', '/console/models?deploy=bc-ui-model'], ['endpoints', '/console/endpoints'], ['endpoint', '/console/endpoints/bc-ui-ep'],
    ];
    for (const vp of VIEWPORTS) {
      await page.setViewportSize({ width: vp.width, height: vp.height });
      for (const [name, path] of pages) {
        await page.goto(url(path));
        await page.locator('main h1').first().waitFor();
        await page.waitForLoadState('networkidle', { timeout: 5_000 }).catch(() => undefined);
        if (name === 'training-job') await page.locator('.chart path.series').first().waitFor();
        // Nothing may overflow the page sideways (tables scroll inside their own box).
        // (Browser-side expressions as strings: this file is type-checked without the DOM library.)
        const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
        const wide = overflow > 1 ? await page.evaluate<string>(`[...document.querySelectorAll('main *')]
          .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !el.closest('.table-wrap'))
          .slice(0, 5).map((el) => el.tagName.toLowerCase() + '.' + el.className).join(' ')`) : '';
        expect(overflow, `${name} at ${vp.width}px overflows by ${overflow}px: ${wide}`).toBeLessThanOrEqual(1);
        await page.screenshot({ path: join(SHOTS, `${name}-${vp.width}x${vp.height}.png`), fullPage: true });
      }
    }
    expect(consoleErrors).toEqual([]);
  }

  it('keeps the app off the API paths and falls back to index.html for console paths', async () => {
    const api = await fetch(url('/api/v1/no-such-thing'), { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('NotFound');
    const deep = await fetch(url('/console/training/whatever'));
    expect(deep.status).toBe(200);
    expect(await deep.text()).toContain('<div id="root">');
    const inv = await fetch(url('/endpoints/bc-ui-ep/invocations'), { method: 'POST', headers: { 'content-type': 'text/csv' }, body: '1,2' });
    expect(inv.status).toBe(401);
  });

  it('shows an API error in plain words, with what to do', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(url('/console/training/no-such-job'));
    const alert = page.getByRole('alert').first();
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/Not found.*does not exist.*Go back to the list/s);
    // The 404 itself is logged by chromium as a failed resource load: that one is expected.
    expect(consoleErrors.filter((e) => !/status of 404/.test(e))).toEqual([]);
  });
});
