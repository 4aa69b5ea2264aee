import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PipelineDefinition } from '../../src/contracts/pipeline.js';
import { StratusClient } from '../../src/sdk/client.js';
import { DATASETS, startTestServer, TEST_TOKEN, waitFor, type TestServer } from '../helpers/server.js';
import { findChromium, openBrowser, SHOTS, VIEWPORTS } from './browser.js';

// The console's pages for the loop (issue 7), driven through Debian's chromium against a real
// server whose resources are made through the SDK: evaluation reports (binary hold-out with its
// ROC/PR curves and confusion matrix; multiclass k-fold), the model registry (approve with a
// reason, aliases, events), a pipeline drawn as a DAG and run from the UI, a monitoring schedule's
// drift and model quality, and the endpoint's retraining policy, online evaluation and timeline.

const executablePath = await findChromium();

const XGB_BINARY = { objective: 'binary:logistic', num_round: 10 };

const pipelineDef: PipelineDefinition = {
  name: 'bc-pipe',
  description: 'Prepare, evaluate a candidate, register it when accurate enough.',
  parameters: [{ name: 'minAccuracy', type: 'number', default: 0.5 }],
  steps: [
    { name: 'prep', type: 'processing', cache: true, inputs: { bc: { dataset: 'breast-cancer' } }, sql: 'SELECT * FROM bc', output: { dataset: 'bc-prepared', header: false } },
    {
      name: 'eval', type: 'evaluation', cache: true,
      request: {
        trainingSpec: { algorithm: 'xgboost', hyperparameters: XGB_BINARY },
        dataset: { name: { $step: 'prep', output: 'dataset' }, version: { $step: 'prep', output: 'version' } },
        method: { type: 'holdout', testShare: 0.25, seed: 1 },
      },
    },
    { name: 'gate', type: 'condition', expression: 'steps.eval.metrics.accuracy >= params.minAccuracy' },
    {
      name: 'register', type: 'register-model', group: 'bc-pipe-group', dependsOn: ['gate'],
      request: { model: { $step: 'eval', output: 'model' }, evaluationJob: { $step: 'eval', output: 'evaluationJob' } },
    },
  ],
};

describe.skipIf(!executablePath)('web console, the loop (chromium)', () => {
  let server: TestServer;
  let client: StratusClient;
  let browser: Browser;
  let page: Page;
  let rows: number[][];
  let firstExecution = '';
  const consoleErrors: string[] = [];

  async function ok<T>(res: Promise<Response>, status = 200): Promise<T> {
    const r = await res;
    const text = await r.text();
    expect(r.status, text).toBe(status);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Sends rows (features only) with inference ids `<prefix><i>`, 8 at a time. */
  async function send(prefix: string, batch: number[][], scale = 1) {
    for (let i = 0; i < batch.length; i += 8) {
      await Promise.all(batch.slice(i, i + 8).map((r, k) =>
        client.endpoints.invoke('bc-ep', r.slice(1).map((v) => v * scale).join(','), { inferenceId: `${prefix}${i + k}` })));
    }
  }
  const labels = (prefix: string, batch: number[][]) => batch.map((r, i) => ({ inferenceId: `${prefix}${i}`, label: r[0] }));

  beforeAll(async () => {
    server = await startTestServer({ invocationTimeoutMs: 5000 });
    client = new StratusClient({ url: server.url, token: TEST_TOKEN });
    const csv = await readFile(join(DATASETS, 'breast_cancer.csv'), 'utf8');
    rows = csv.trim().split('\n').map((l) => l.split(',').map(Number));
    await client.datasets.upload('breast-cancer', join(DATASETS, 'breast_cancer.csv'), { header: false });
    await client.datasets.upload('iris', join(DATASETS, 'iris.csv'), { header: false });

    // A model, its hold-out evaluation, and a multiclass 5-fold cross-validation.
    await client.trainingJobs.create({ name: 'bc-xgb', algorithm: 'xgboost', hyperparameters: XGB_BINARY, inputs: [{ channel: 'train', dataset: 'breast-cancer' }] });
    expect((await client.trainingJobs.waitFor('bc-xgb', { timeoutMs: 120_000, intervalMs: 250 })).status).toBe('Completed');
    await client.models.create({ name: 'bc-model', trainingJob: 'bc-xgb' });
    await client.evaluationJobs.create({ name: 'bc-eval', model: 'bc-model', dataset: { name: 'breast-cancer' }, method: { type: 'holdout', testShare: 0.3, seed: 3 } });
    await client.evaluationJobs.create({
      name: 'iris-cv', dataset: { name: 'iris' }, method: { type: 'kfold', k: 5 },
      trainingSpec: { algorithm: 'xgboost', hyperparameters: { objective: 'multi:softprob', num_class: 3, num_round: 5 } },
    });

    // The pipeline, run once through the SDK (its steps are cached for the runs the UI starts).
    await client.pipelines.create(pipelineDef);
    firstExecution = (await client.pipelines.start('bc-pipe')).name;

    // An endpoint with a shadow candidate and full capture, its baseline and monitoring schedule.
    await client.endpointConfigs.create({
      name: 'bc-cfg', variants: [{ name: 'AllTraffic', model: 'bc-model' }],
      shadowVariants: [{ name: 'Candidate', model: 'bc-model', samplingPercentage: 100 }], dataCapture: { samplingPercentage: 100 },
    });
    await client.endpoints.create({ name: 'bc-ep', config: 'bc-cfg' });
    await client.monitoring.createBaseline({ name: 'bc-base', dataset: { name: 'breast-cancer' }, targetColumn: '_c0' });
    expect((await client.monitoring.waitForBaseline('bc-base', { timeoutMs: 60_000, intervalMs: 200 })).status).toBe('Completed');
    await client.endpoints.waitFor('bc-ep', 'InService', { timeoutMs: 60_000, intervalMs: 200 });
    await client.monitoring.createSchedule({ name: 'bc-mon', endpoint: 'bc-ep', baseline: 'bc-base', modelQuality: { problemType: 'binary', minimums: { accuracy: 0.8 } } });

    // The shadow mirrors once its pool is up; then an online evaluation of it against production.
    await waitFor(async () => {
      await client.endpoints.invoke('bc-ep', rows[0].slice(1).join(','));
      return client.endpoints.shadowComparison('bc-ep');
    }, (c) => (c.shadows[0]?.mirrored ?? 0) > 0, 20_000, 200);
    await ok(server.api('/api/v1/online-evaluations', { method: 'POST', json: { name: 'bc-online', endpoint: 'bc-ep', candidateVariant: 'Candidate', durationSeconds: 3600 } }), 201);

    // Two monitoring runs with labels: traffic like the training data, then scaled (drifted) traffic.
    const original = rows.slice(100, 160);
    const shifted = rows.slice(200, 240);
    const captured = (n: number) => waitFor(() => ok<{ variants: { captured: number }[] }>(server.api('/api/v1/online-evaluations/bc-online/report')),
      (r) => r.variants.every((v) => v.captured >= n), 20_000, 250);
    await send('r-', original);
    await captured(original.length);
    await client.monitoring.groundTruth('bc-mon', labels('r-', original));
    await client.monitoring.run('bc-mon');
    await send('s-', shifted, 3);
    await captured(original.length + shifted.length);
    await client.monitoring.groundTruth('bc-mon', labels('s-', shifted));
    expect((await client.monitoring.run('bc-mon')).status).toBe('CompletedWithViolations');
    await ok(server.api('/api/v1/online-evaluations/bc-online/ground-truth', { method: 'POST', json: { labels: [...labels('r-', original), ...labels('s-', shifted)] } }), 201);

    for (const name of ['bc-eval', 'iris-cv']) {
      const job = await client.evaluationJobs.waitFor(name, { timeoutMs: 120_000, intervalMs: 250 });
      expect(job.status, job.failureReason).toBe('Completed');
    }
    const run = await client.pipelines.waitForExecution(firstExecution, { timeoutMs: 120_000, intervalMs: 250 });
    expect(run.status, JSON.stringify(run.steps)).toBe('Succeeded');
    await client.modelPackageGroups.create({ name: 'bc', description: 'Breast cancer classifiers' });
    await client.modelPackageGroups.register('bc', { model: 'bc-model', evaluationJob: 'bc-eval' });

    ({ browser, page } = await openBrowser(executablePath!, consoleErrors));
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    server?.app.server.closeAllConnections();
    await server?.stop();
  });

  const url = (path: string) => server.url + path;

  it('draws evaluation reports, the registry, pipelines, monitoring and the endpoint loop', async () => {
    try {
      await flow();
    } catch (e) {
      await page.screenshot({ path: join(SHOTS, 'loop-failure.png'), fullPage: true }).catch(() => undefined);
      const shown = await page.locator('main').innerText().catch(() => '');
      throw new Error(`${(e as Error).message}\n--- page text ---\n${shown.slice(0, 3000)}`, { cause: e });
    }
  }, 300_000);

  async function flow() {
    await page.goto(url('/'));
    await page.getByLabel('API token').fill(TEST_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Home' }).waitFor();

    // Evaluation: the list, then the binary report drawn from the report's own points.
    await page.getByRole('link', { name: 'Evaluation', exact: true }).click();
    await page.getByRole('link', { name: 'bc-eval' }).click();
    await page.waitForURL('**/console/evaluation/bc-eval');
    const report = await client.evaluationJobs.report('bc-eval') as {
      holdout: { metrics: { accuracy: number; rocCurve: { fpr: number[] }; prCurve: { recall: number[] }; confusionMatrix: Record<'tn' | 'fp' | 'fn' | 'tp', number> } };
    };
    const m = report.holdout.metrics;
    await page.locator('[data-testid="evaluation-report"][data-task="binary"]').waitFor();
    expect(m.rocCurve.fpr.length).toBeGreaterThan(2);
    await expect.poll(() => page.locator('.chart[data-chart="roc"] [data-series^="ROC"] circle.point').count()).toBe(m.rocCurve.fpr.length);
    expect(await page.locator('.chart[data-chart="roc"] path.series').first().getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+)+$/);
    expect(await page.locator('.chart[data-chart="pr"] [data-series^="precision-recall"] circle.point').count()).toBe(m.prCurve.recall.length);
    expect(await page.locator('.chart[data-chart="sweep"] path.series').count()).toBe(6);
    const cells = await page.getByRole('table', { name: /^Confusion matrix at threshold 0.5/ }).locator('td').evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-value'))));
    expect(cells).toEqual([m.confusionMatrix.tn, m.confusionMatrix.fp, m.confusionMatrix.fn, m.confusionMatrix.tp]);
    expect(await page.locator('.metric-card[data-metric="accuracy"] .value').textContent()).toBe(Number.isInteger(m.accuracy) ? String(m.accuracy) : m.accuracy.toPrecision(4));
    await page.getByRole('link', { name: 'bc-model' }).first().waitFor();

    // Multiclass k-fold: mean ± std and each fold's value, the per-class table and a 3 × 3 heat-map.
    await page.goto(url('/console/evaluation/iris-cv'));
    await page.locator('[data-testid="evaluation-report"][data-task="multiclass"]').waitFor();
    const folds = page.getByRole('table', { name: 'Metrics per fold' });
    expect(await folds.locator('thead th').allTextContents()).toEqual(['Metric', 'Mean ± std', 'Fold 1', 'Fold 2', 'Fold 3', 'Fold 4', 'Fold 5']);
    expect(await folds.locator('tr[data-metric="accuracy"] td').first().textContent()).toMatch(/^[\d.]+ ± [\d.e+-]+$/);
    expect(await page.getByRole('table', { name: 'Per-class metrics' }).locator('tr[data-class]').count()).toBe(3);
    const heat = await page.getByRole('table', { name: 'Confusion matrix' }).locator('td').evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-value'))));
    expect(heat).toHaveLength(9);
    expect(heat.reduce((a, b) => a + b, 0)).toBe(30); // fold 1 of 150 rows
    expect(await page.locator('.metric-card[data-metric="accuracy"] .spread').textContent()).toMatch(/^± /);

    // Registry: the version's lineage; a rejection needs a reason; approving with one changes the status through the API.
    await page.getByRole('link', { name: 'Registry', exact: true }).click();
    await page.getByRole('link', { name: 'bc', exact: true }).click();
    await page.waitForURL('**/console/registry/bc');
    const detail = page.getByTestId('version-detail');
    await detail.waitFor();
    const lineage = page.getByTestId('lineage');
    for (const name of ['bc-model', 'bc-xgb', 'bc-eval (report)', 'breast-cancer']) await lineage.getByRole('link', { name, exact: true }).first().waitFor();
    expect(await page.locator('tr[data-version="1"] .status').getAttribute('data-status')).toBe('PendingManualApproval');
    await detail.getByRole('button', { name: 'Reject' }).click();
    await page.getByText('Say why this version is rejected.').waitFor();
    expect((await client.modelPackageGroups.version('bc', 1)).approvalStatus).toBe('PendingManualApproval');
    await page.getByLabel('Reason').fill('AUC holds on the hold-out');
    await detail.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => page.locator('tr[data-version="1"] .status').getAttribute('data-status')).toBe('Approved');
    const approved = await client.modelPackageGroups.version('bc', 1);
    expect(approved).toMatchObject({ approvalStatus: 'Approved', approval: { reason: 'AUC holds on the hold-out', by: expect.stringMatching(/^admin/) } });
    await page.getByLabel('Alias', { exact: true }).fill('production');
    await page.getByRole('button', { name: 'Set alias' }).click();
    await page.locator('[data-testid="aliases"] [data-alias="production"]').waitFor();
    expect((await client.modelPackageGroups.get('bc')).aliases).toEqual({ production: 1 });
    await expect.poll(() => page.getByTestId('registry-events').locator('li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-type'))))
      .toEqual(['alias_moved', 'approval_changed', 'registered', 'group_created']);
    expect(await page.getByTestId('registry-events').innerText()).toContain('PendingManualApproval → Approved — “AUC holds on the hold-out”');

    // Pipelines: the definition as a DAG; an execution started from the UI whose gate is false.
    await page.getByRole('link', { name: 'Pipelines', exact: true }).click();
    await page.getByRole('link', { name: 'bc-pipe' }).click();
    await page.waitForURL('**/console/pipelines/bc-pipe');
    const dag = page.getByTestId('dag');
    await dag.waitFor();
    expect(await dag.locator('[data-step]').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-step')))).toEqual(['prep', 'eval', 'gate', 'register']);
    expect(await dag.locator('[data-edge]').evaluateAll((gs) => gs.map((g) => `${g.getAttribute('data-edge')} ${g.getAttribute('class')}`).sort()))
      .toEqual(['eval->gate dag-edge data', 'eval->register dag-edge data', 'gate->register dag-edge then', 'prep->eval dag-edge data']);
    // Columns left to right, in dependency order.
    const xs = await dag.locator('[data-step]').evaluateAll((gs) => gs.map((g) => Number(/translate\(([\d.]+)/.exec(g.getAttribute('transform') ?? '')?.[1])));
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(new Set(xs).size).toBe(4);
    await page.getByRole('table', { name: 'Executions' }).locator(`tr[data-execution="${firstExecution}"]`).waitFor();
    await page.getByLabel(/^minAccuracy/).fill('2');
    await page.getByRole('button', { name: /^Start/ }).click();
    await page.waitForURL('**/console/pipelines/bc-pipe/executions/**');
    const running = page.getByTestId('dag');
    await expect.poll(() => running.locator('[data-step="register"]').getAttribute('data-status'), { timeout: 60_000 }).toBe('Skipped');
    for (const s of ['prep', 'eval', 'gate']) expect(await running.locator(`[data-step="${s}"]`).getAttribute('data-status')).toBe('Succeeded');
    expect(await page.getByTestId('execution-parameters').textContent()).toBe('minAccuracy=2');
    const uiExecution = decodeURIComponent(page.url().split('/').pop()!);
    expect((await client.pipelines.execution(uiExecution)).steps.map((s) => [s.name, s.status])).toEqual([
      ['prep', 'Succeeded'], ['eval', 'Succeeded'], ['gate', 'Succeeded'], ['register', 'Skipped'],
    ]);
    // The SDK's run: every step succeeded; the evaluation step's outputs, job links and training log.
    await page.goto(url(`/console/pipelines/bc-pipe/executions/${firstExecution}`));
    await expect.poll(() => page.getByTestId('dag').locator('[data-status="Succeeded"]').count()).toBe(4);
    await page.getByTestId('dag').locator('[data-step="eval"]').click();
    const step = page.locator('[data-testid="step-detail"][data-step="eval"]');
    await step.waitFor();
    await step.getByText('accuracy').first().waitFor();
    await step.getByRole('link', { name: /^bc-pipe-.*-eval$/ }).first().waitFor();
    await expect.poll(() => step.getByTestId('step-logs').locator('pre').textContent(), { timeout: 20_000 }).toMatch(/\S/);
    await page.getByTestId('dag').locator('[data-step="register"]').click();
    await page.locator('[data-testid="step-detail"][data-step="register"]').getByRole('link', { name: /^bc-pipe-group\/1$/ }).waitFor();

    // Monitoring: two reports; drift bars against the thresholds; model quality over time; the alarm.
    await page.getByRole('link', { name: 'Monitoring', exact: true }).click();
    await page.getByRole('link', { name: 'bc-mon' }).click();
    await page.waitForURL('**/console/monitoring/bc-mon');
    await expect.poll(() => page.getByRole('table', { name: 'Reports' }).locator('tbody tr').count()).toBe(2);
    const latest = page.getByTestId('monitoring-report');
    await latest.locator('[data-chart="psi"] .bar-row').first().waitFor();
    expect(await latest.locator('[data-chart="psi"] .bar-row').count()).toBe(30);
    expect(await latest.locator('[data-chart="drift-tests"] .bar-row').count()).toBe(30);
    expect(await latest.locator('[data-chart="drift-tests"] .bar-row[data-over="true"]').count()).toBeGreaterThan(0);
    expect(await latest.getByRole('table', { name: 'Violations' }).locator('tr[data-kind="model_quality"]').count()).toBe(1);
    await page.locator('.chart[data-chart="model-quality"]').waitFor();
    expect(await page.locator('.chart[data-chart="model-quality"] [data-series="accuracy"] circle.point').count()).toBe(2);
    await expect.poll(() => page.getByTestId('alarms').locator('li').count()).toBe(2);

    // The endpoint: the online evaluation with both variants and the test; a retraining policy set, then run, on the timeline.
    await page.goto(url('/console/endpoints/bc-ep'));
    const online = page.locator('[data-testid="online-evaluation"][data-name="bc-online"]');
    await online.getByTestId('significance').waitFor();
    const variants = online.getByRole('table', { name: 'Variants of bc-online' });
    expect(await variants.locator('thead th').allTextContents()).toEqual(['', 'Candidate: Candidate', 'Baseline: AllTraffic']);
    expect(await variants.locator('tr', { hasText: 'With a label' }).locator('td').allTextContents()).toEqual(['100', '100']);
    expect(await online.getByTestId('significance').textContent()).toMatch(/p = 1\b.*Not significant at α = 0.05/);
    const policy = page.getByTestId('retraining-policy');
    await policy.getByText('No policy.').waitFor();
    await policy.getByRole('button', { name: 'Set a policy' }).click();
    await policy.getByLabel('Pipeline').selectOption('bc-pipe');
    await policy.getByLabel('Run on an alarm of').selectOption('bc-mon');
    await policy.getByLabel(/^Parameters/).fill('minAccuracy=0.9');
    await policy.getByRole('button', { name: 'Save retraining policy' }).click();
    await policy.getByRole('link', { name: 'bc-mon' }).waitFor();
    expect(await client.endpoints.retrainingPolicy('bc-ep')).toMatchObject({ pipeline: 'bc-pipe', onAlarmOf: 'bc-mon', parameters: { minAccuracy: 0.9 } });
    await policy.getByRole('button', { name: 'Run now' }).click();
    const started = policy.getByRole('status').getByRole('link');
    await started.waitFor();
    const retrain = (await started.textContent())!;
    const timeline = page.getByTestId('endpoint-timeline');
    await timeline.locator('[data-kind="pipeline-execution"]').getByRole('link', { name: new RegExp(`execution ${retrain}`) }).waitFor({ timeout: 20_000 });
    expect(await timeline.locator('[data-kind="monitoring-alarm"]').count()).toBeGreaterThanOrEqual(1);
    expect(await timeline.locator('[data-kind="endpoint-status"]').count()).toBeGreaterThanOrEqual(2);
    const done = await client.pipelines.waitForExecution(retrain, { timeoutMs: 60_000, intervalMs: 250 });
    expect(done).toMatchObject({ status: 'Succeeded', trigger: { type: 'retraining-policy', endpoint: 'bc-ep', cause: 'manual' }, parameters: { minAccuracy: 0.9 } });

    // Screenshots at both sizes; nothing may overflow sideways.
    const pages: [string, string][] = [
      ['evaluations', '/console/evaluation'], ['evaluation-binary', '/console/evaluation/bc-eval'], ['evaluation-kfold', '/console/evaluation/iris-cv'],
      ['registry', '/console/registry'], ['registry-group', '/console/registry/bc'], ['pipelines', '/console/pipelines'], ['pipeline', '/console/pipelines/bc-pipe'],
      ['pipeline-execution', `/console/pipelines/bc-pipe/executions/${uiExecution}`], ['monitoring', '/console/monitoring'], ['monitoring-schedule', '/console/monitoring/bc-mon'],
      ['endpoint-loop', '/console/endpoints/bc-ep'],
    ];
    for (const vp of VIEWPORTS) {
      await page.setViewportSize({ width: vp.width, height: vp.height });
      for (const [name, path] of pages) {
        await page.goto(url(path));
        await page.locator('main h1').first().waitFor();
        await page.waitForLoadState('networkidle', { timeout: 3_000 }).catch(() => undefined);
        const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
        const wide = overflow > 1 ? await page.evaluate<string>(`[...document.querySelectorAll('main *')]
          .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !el.closest('.table-wrap, .dag-scroll'))
          .slice(0, 5).map((el) => el.tagName.toLowerCase() + '.' + el.className).join(' ')`) : '';
        expect(overflow, `${name} at ${vp.width}px overflows by ${overflow}px: ${wide}`).toBeLessThanOrEqual(1);
        await page.screenshot({ path: join(SHOTS, `${name}-${vp.width}x${vp.height}.png`), fullPage: true });
      }
    }
    expect(consoleErrors).toEqual([]);
  }
});
