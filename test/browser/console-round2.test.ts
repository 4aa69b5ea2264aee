import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { findChromium, openBrowser, SHOTS, VIEWPORTS } from './browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, startTestServer, TEST_TOKEN, waitFor, type TestServer } from '../helpers/server.js';

// The console's second slice, driven through Debian's chromium against a real server: experiments
// (sorting, two runs overlaid, params compared), the endpoint page's server-side metrics, shadow
// comparison, autoscaling and update form, xgboost feature importance and export, a model created
// from an uploaded file, and batch transform pages. The setup goes through the API (the first
// browser test covers doing it by hand); screenshots land in test-output/screenshots/.

const executablePath = await findChromium();

interface Job { status: string; failureReason?: string; modelArtifact?: string }

describe.skipIf(!executablePath)('web console, round 2 (chromium)', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let work: string;
  const consoleErrors: string[] = [];

  async function ok<T>(res: Promise<Response>, status = 200): Promise<T> {
    const r = await res;
    const text = await r.text();
    expect(r.status, text).toBe(status);
    return (text ? JSON.parse(text) : undefined) as T;
  }
  const post = <T = unknown>(path: string, json: unknown, status = 201) => ok<T>(server.api(path, { method: 'POST', json }), status);

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'console-r2-'));
    server = await startTestServer();

    // Data, two xgboost runs of one experiment, a model, an endpoint with a shadow, a second config, a transform job.
    await ok(server.api('/api/v1/datasets/breast-cancer', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: await readFile(join(DATASETS, 'breast_cancer.csv')) }), 201);
    const inputs = [{ channel: 'train', dataset: 'breast-cancer' }, { channel: 'validation', dataset: 'breast-cancer' }];
    for (const [name, depth] of [['xgb-a', 2], ['xgb-b', 4]] as const) {
      await post('/api/v1/training-jobs', { name, algorithm: 'xgboost', experiment: 'bc-exp', hyperparameters: { objective: 'binary:logistic', num_round: 10, max_depth: depth }, inputs });
    }
    for (const name of ['xgb-a', 'xgb-b']) {
      const job = await waitFor(() => ok<Job>(server.api(`/api/v1/training-jobs/${name}`)), (j) => j.status !== 'InProgress', 120_000, 250);
      expect(job.status, job.failureReason).toBe('Completed');
    }
    await post('/api/v1/models', { name: 'xgb-a-model', trainingJob: 'xgb-a' });
    await post('/api/v1/models', { name: 'xgb-b-model', trainingJob: 'xgb-b' });
    await post('/api/v1/endpoint-configs', {
      name: 'xgb-cfg', variants: [{ name: 'AllTraffic', model: 'xgb-a-model' }],
      shadowVariants: [{ name: 'Shadow', model: 'xgb-b-model', samplingPercentage: 100 }],
    });
    await post('/api/v1/endpoint-configs', { name: 'xgb-cfg-2', variants: [{ name: 'AllTraffic', model: 'xgb-b-model' }] });
    await post('/api/v1/endpoints', { name: 'xgb-ep', config: 'xgb-cfg' });
    await waitFor(() => ok<{ status: string }>(server.api('/api/v1/endpoints/xgb-ep')), (e) => e.status === 'InService', 60_000, 250);
    await post('/api/v1/transform-jobs', { name: 'xgb-batch', model: 'xgb-a-model', input: { dataset: 'breast-cancer' }, dataProcessing: { inputFilter: '$[1:]' } });

    ({ browser, page } = await openBrowser(executablePath!, consoleErrors, { acceptDownloads: true }));
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const url = (path: string) => server.url + path;

  it('shows experiments, endpoint metrics, feature importance, uploaded models and batch jobs', async () => {
    try {
      await flow();
    } catch (e) {
      await page.screenshot({ path: join(SHOTS, 'round2-failure.png'), fullPage: true }).catch(() => undefined);
      const shown = await page.locator('main').innerText().catch(() => '');
      throw new Error(`${(e as Error).message}\n--- page text ---\n${shown.slice(0, 3000)}`, { cause: e });
    }
  }, 300_000);

  async function flow() {
    await page.goto(url('/'));
    await page.getByLabel('API token').fill(TEST_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Home' }).waitFor();
    await expect.poll(() => page.getByTestId('count-experiments').textContent()).toBe('1');

    // Experiments: the list, then the runs sorted by the server when a column header is clicked.
    await page.getByRole('link', { name: 'Experiments', exact: true }).click();
    await page.getByRole('link', { name: 'bc-exp' }).click();
    await page.waitForURL('**/console/experiments/bc-exp');
    await page.getByRole('table', { name: 'Runs' }).waitFor();
    const runNames = () => page.locator('table.runs tbody tr td:nth-child(2) a').allTextContents();
    await expect.poll(runNames).toHaveLength(2);
    await page.getByRole('button', { name: /^Run/ }).click();
    await expect.poll(() => page.locator('th[aria-sort="ascending"]').textContent()).toMatch(/^Run/);
    await expect.poll(runNames).toEqual(['xgb-a', 'xgb-b']);
    await page.getByRole('button', { name: /^Run/ }).click();
    await expect.poll(runNames).toEqual(['xgb-b', 'xgb-a']);
    expect(page.url()).toContain('order=desc');
    await page.getByRole('button', { name: /^validation:logloss/ }).click();
    await expect.poll(() => page.locator('th[aria-sort="ascending"]').textContent()).toMatch(/validation:logloss/);

    // Two runs selected: their curves overlaid on one chart (one path each), params compared.
    await page.getByLabel('Select run xgb-a').check();
    await page.getByLabel('Select run xgb-b').check();
    await page.locator('.chart[data-chart="overlay"] path.series').first().waitFor();
    await expect.poll(() => page.locator('.chart[data-chart="overlay"] path.series').count()).toBe(2);
    expect(await page.locator('.chart[data-chart="overlay"] .legend li').allTextContents()).toEqual([expect.stringMatching(/^xgb-a/), expect.stringMatching(/^xgb-b/)]);
    const differing = page.locator('table.compare tr[data-differs] th');
    await expect.poll(() => differing.allTextContents()).toContain('max_depth (differs)');
    await page.getByLabel('Metric', { exact: true }).selectOption('train:logloss');
    await expect.poll(() => page.locator('.chart[data-chart="overlay"] figcaption').textContent()).toBe('train:logloss by run');

    // An xgboost model: runtime, feature importance as bars, export through fetch → a downloaded file.
    await page.goto(url('/console/models/xgb-a-model'));
    expect(await page.getByTestId('model-runtime').textContent()).toBe('builtin');
    await page.locator('.bar-row').first().waitFor();
    expect(await page.locator('.bar-row').count()).toBeGreaterThan(3);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download XGBoost JSON' }).click()]);
    const saved = join(work, 'export.json');
    await download.saveAs(saved);
    expect(JSON.parse(await readFile(saved, 'utf8'))).toHaveProperty('learner');

    // Create a model from an uploaded file (the other run's artifact), with the upload progress bar.
    const jobB = await ok<Job>(server.api('/api/v1/training-jobs/xgb-b'));
    const key = jobB.modelArtifact!.slice(jobB.modelArtifact!.lastIndexOf('training-jobs/'));
    const artifact = join(work, 'model.tar.gz');
    await writeFile(artifact, Buffer.from(await (await server.api(`/api/v1/artifacts/${key}`)).arrayBuffer()));
    await page.goto(url('/console/models'));
    await page.getByRole('link', { name: 'Create from a file' }).click();
    await page.getByLabel(/^Model file/).setInputFiles(artifact);
    await page.getByLabel('Model name').fill('uploaded-xgb');
    await page.getByLabel('Runtime').selectOption('builtin');
    await page.getByLabel('Algorithm').selectOption('xgboost');
    await page.getByRole('button', { name: 'Upload and create model' }).click();
    await page.waitForURL('**/console/models/uploaded-xgb');
    expect(await page.getByTestId('model-runtime').textContent()).toBe('builtin');
    await page.locator('.bar-row').first().waitFor();

    // Endpoint: a few requests from try-it, then the server-side traffic chart; shadow comparison; autoscaling.
    await page.goto(url('/console/endpoints/xgb-ep'));
    await page.getByTestId('metrics-empty').waitFor();
    await page.getByTestId('shadow-variants').waitFor();
    await page.getByRole('button', { name: 'Fill with a training row' }).click();
    await expect.poll(() => page.getByLabel('Request body').inputValue()).toMatch(/^[\d.]+(,[\d.e-]+){29}$/);
    for (let i = 0; i < 3; i++) {
      await page.getByRole('button', { name: 'Send' }).click();
      await page.getByTestId('try-answer').waitFor();
      await expect.poll(() => page.getByRole('button', { name: 'Send' }).isEnabled()).toBe(true);
    }
    await page.locator('.chart[data-chart="invocations"] path.series').first().waitFor({ timeout: 20_000 });
    expect(await page.locator('.chart[data-chart="invocations"] path.series').first().getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+/);
    await page.locator('.chart[data-chart="model-latency"] path.series').first().waitFor({ state: 'attached' });
    await expect.poll(() => page.getByRole('table', { name: 'Variant metrics over the window' }).innerText()).toMatch(/Shadow\s*shadow/);
    await expect.poll(() => page.getByRole('table', { name: 'Shadow comparison' }).innerText(), { timeout: 20_000 }).toMatch(/Shadow/);
    await page.getByRole('button', { name: 'Add policy' }).click();
    await page.getByLabel('Max instances').fill('3');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await expect.poll(() => page.getByTestId('scaling-AllTraffic').textContent()).toMatch(/^1–3 instances, target 100\/instance\/min/);

    // Update to another config with a canary: progress shows, then the endpoint is back in service on the new config.
    await page.getByLabel('New config').selectOption('xgb-cfg-2');
    await page.getByLabel('Traffic shifting').selectOption('CANARY');
    await page.getByLabel('Wait after each step (s)').fill('1');
    await page.getByLabel('Size', { exact: true }).fill('50');
    await page.getByRole('button', { name: 'Add alarm' }).click();
    await page.getByRole('button', { name: 'Update endpoint' }).click();
    await page.getByText('Update started').waitFor();
    await page.getByTestId('pending-deployment').waitFor();
    await expect.poll(() => page.locator('.facts').first().innerText(), { timeout: 90_000, interval: 500 }).toMatch(/CONFIG\s+xgb-cfg-2/i);
    await expect.poll(() => page.locator('h1 + .status').getAttribute('data-status'), { timeout: 30_000, interval: 500 }).toBe('InService');
    expect(await page.locator('.timeline').first().innerText()).toMatch(/Updating/);

    // Batch transform: list and job page with progress and the output download.
    await waitFor(() => ok<Job>(server.api('/api/v1/transform-jobs/xgb-batch')), (j) => j.status !== 'InProgress', 60_000, 250);
    await page.getByRole('link', { name: 'Batch', exact: true }).click();
    await page.getByRole('link', { name: 'xgb-batch' }).click();
    await page.waitForURL('**/console/transform/xgb-batch');
    await expect.poll(() => page.getByTestId('transform-progress').textContent()).toMatch(/^569 of 569 records \(100 %\)/);
    const [out] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download output' }).click()]);
    const outFile = join(work, 'out.csv');
    await out.saveAs(outFile);
    expect((await readFile(outFile, 'utf8')).trim().split('\n')).toHaveLength(569);

    // Screenshots of the new pages at both sizes; nothing may overflow sideways.
    const pages: [string, string][] = [
      ['home-r2', '/console'], ['experiments', '/console/experiments'], ['experiment', '/console/experiments/bc-exp'],
      ['model', '/console/models/xgb-a-model'], ['model-new', '/console/models?new=1'], ['endpoint-r2', '/console/endpoints/xgb-ep'],
      ['transforms', '/console/transform'], ['transform', '/console/transform/xgb-batch'],
    ];
    for (const vp of VIEWPORTS) {
      await page.setViewportSize({ width: vp.width, height: vp.height });
      for (const [name, path] of pages) {
        await page.goto(url(path));
        await page.locator('main h1').first().waitFor();
        await page.waitForLoadState('networkidle', { timeout: 3_000 }).catch(() => undefined);
        if (name === 'experiment') {
          await page.getByLabel('Select run xgb-a').check();
          await page.getByLabel('Select run xgb-b').check();
          await page.locator('.chart[data-chart="overlay"] path.series').nth(1).waitFor();
        }
        if (name === 'model') await page.locator('.bar-row').first().waitFor();
        if (name === 'endpoint-r2') await page.locator('.chart[data-chart="invocations"] path.series').first().waitFor();
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
});
