/**
 * Training as a user does it, in Chromium against browser mode: on a workspace of imported,
 * labelled and split synthetic scans, start a run from the Train section with the proposed
 * defaults (a few edited), watch the curves grow, reload the page and find the run still
 * training, cancel it, resume it, read the final metrics and confusion matrix, and compare it
 * with a second run. Screenshots of each screen are kept.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../helpers/app';
import { keepScreenshot, launchChromium, watchErrors } from '../helpers/browser';
import { expectedBackend } from '../helpers/expected-backend';
import { prepareWorkspace } from '../helpers/prepare-workspace';
import { importScans, labelClassification } from '../helpers/scan-workspace';
import { connectBesidePage } from './labeling-helpers';

/** Enough epochs of 8-image batches that the run is still training while the test looks at it. */
const EPOCHS = 40;

describe('training in the browser', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let dir: string;
  let workspace: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-e2e-train-'));
    workspace = path.join(dir, 'ws');
    await prepareWorkspace(workspace, async (call) => {
      await labelClassification(
        call,
        await importScans(call, path.join(dir, 'scans'), { count: 96, size: 32, seed: 9 }),
        'Lesion',
      );
    });

    app = await startApp();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    errors = watchErrors(page);
    await page.goto(app.launchUrl);
    await page.getByTestId('workspace-path').fill(workspace);
    await page.getByTestId('workspace-open').click();
    await page.getByTestId('workspace-current').waitFor();
    await page.getByTestId('nav-train').click();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const state = () => page.getByTestId('run-state').textContent();
  const lossPoints = async () => Number(await page.getByTestId('loss-chart').getAttribute('data-points'));

  it('proposes defaults for the task and starts a run from them', async () => {
    await page.getByTestId('run-task').selectOption({ label: 'Lesion (classification)' });
    await expect
      .poll(() => page.getByTestId('run-dataset').textContent())
      .toMatch(/\d+ train · \d+ val · \d+ test images · 32×32 · 16-bit grey/);
    expect(await page.getByTestId('run-architecture').inputValue()).toBe('small-cnn');
    await page.getByTestId('run-epochs').fill(String(EPOCHS));
    await page.getByTestId('run-batch').fill('8');
    await keepScreenshot(page, 'train-new-run');
    await page.getByTestId('run-start').click();
    await expect.poll(state).toBe('running');
    await expect.poll(() => page.getByTestId('run-start').isDisabled()).toBe(true);
  });

  it('draws the curves as the run learns, and a reloaded page re-attaches to it', async () => {
    await expect.poll(lossPoints, { timeout: 60_000 }).toBeGreaterThanOrEqual(6);
    const before = await lossPoints();
    await expect.poll(lossPoints, { timeout: 60_000 }).toBeGreaterThan(before);
    await keepScreenshot(page, 'train-running');
    await page.reload();
    await page.getByTestId('nav-train').click();
    await expect.poll(state).toBe('running');
    await page.getByTestId('run-progress').waitFor();
    await expect.poll(() => page.getByTestId('run-progress').textContent()).toMatch(/epoch \d+\/40/);
  });

  it('cancels the run within a batch, then resumes it to completion', async () => {
    await page.getByTestId('run-cancel').click();
    await expect.poll(state, { timeout: 30_000 }).toBe('cancelled');
    const epochsAtCancel = await page.getByTestId('metric-chart').getAttribute('data-points');
    await keepScreenshot(page, 'train-cancelled');
    await page.getByTestId('run-resume').click();
    await expect.poll(state).toBe('running');
    await expect.poll(state, { timeout: 180_000 }).toBe('completed');
    expect(Number(await page.getByTestId('metric-chart').getAttribute('data-points'))).toBeGreaterThan(
      Number(epochsAtCancel),
    );
    // The run says which backend trained it, on which device (this machine's CPU), and how fast.
    const cpu = `${os.cpus()[0]!.model.trim()} (${os.availableParallelism()} cores)`;
    const shown = await page.getByTestId('run-backend').textContent();
    expect(shown!.startsWith(`${expectedBackend()} on ${cpu}, `), shown!).toBe(true);
    expect(shown!.slice(`${expectedBackend()} on ${cpu}, `.length)).toMatch(/^\d+ threads?, \d+\.\d images\/s$/);
  });

  it('shows the test metrics, the confusion matrix, ROC and PR curves', async () => {
    await expect.poll(() => page.getByTestId('test-accuracy').textContent()).toMatch(/accuracy [01]\.\d{3}/);
    const cells = await page.locator('[data-testid^="confusion-"]').filter({ hasNotText: /[^\d]/ }).allTextContents();
    const total = cells.map(Number).reduce((a, b) => a + b, 0);
    expect(await page.getByTestId('evaluation').textContent()).toContain(`Test split: ${total} images`);
    expect(Number(await page.getByTestId('roc-chart').getAttribute('data-points'))).toBeGreaterThan(2);
    expect(Number(await page.getByTestId('pr-chart').getAttribute('data-points'))).toBeGreaterThan(2);
    await keepScreenshot(page, 'train-completed');
    // The per-class table shows the run's recorded evaluation, one row per class, read here through the app's own channels.
    const { client, close } = await connectBesidePage(page, app.launchUrl);
    try {
      const [run] = (await client.invoke('training.runs', {})).runs;
      const evaluation = (await client.invoke('training.run', { runId: run!.runId })).record!.evaluation!;
      if (evaluation.task !== 'classification') throw new Error('expected a classification evaluation');
      const rate = (v: number | null) => (v === null ? '—' : v.toFixed(3));
      const rows = await page
        .getByTestId('per-class')
        .locator('tbody tr')
        .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())));
      expect(evaluation.perClass.length).toBeGreaterThanOrEqual(2);
      expect(rows).toEqual(
        evaluation.perClass.map((c) => [
          c.className,
          rate(c.precision),
          rate(c.recall),
          rate(c.f1),
          rate(c.rocAuc),
          String(c.support),
        ]),
      );
    } finally {
      close();
    }
  });

  it('fine-tunes a second run from the first, and compares the two side by side', async () => {
    // The reload above cleared the form, as it would for a user.
    await page.getByTestId('run-task').selectOption({ label: 'Lesion (classification)' });
    await page.getByTestId('run-epochs').fill('3');
    await page.getByTestId('run-augment').uncheck();
    await page.getByTestId('run-start-from').selectOption('run');
    const first = (await page.locator('[data-testid^="run-state-"]').first().getAttribute('data-testid'))!.replace(
      'run-state-',
      '',
    );
    await page.getByTestId('run-start-run').selectOption(first);
    await page.getByTestId('run-freeze').fill('2');
    await page.getByTestId('run-start').click();
    const listed = page.locator('[data-testid^="run-state-"]');
    await expect.poll(() => listed.allTextContents(), { timeout: 60_000 }).toEqual(['completed', 'completed']);
    for (const box of await page.getByTestId('runs-table').locator('input[type="checkbox"]').all()) await box.check();
    await page.getByTestId('runs-compare').click();
    const differences = (await page.getByTestId('compare-differences').textContent()) ?? '';
    expect(differences).toContain('epochs');
    expect(differences).toContain('augment.flipHorizontal');
    expect(differences).toContain('fineTune');
    await keepScreenshot(page, 'train-compare');
  });

  it('prunes and distils a third run from the form, and shows its sparsity and both accuracies', async () => {
    await page.getByTestId('run-task').selectOption({ label: 'Lesion (classification)' });
    await page.getByTestId('run-epochs').fill('2');
    await page.getByTestId('run-augment').uncheck();
    const teacher = (await page.locator('[data-testid^="run-state-"]').first().getAttribute('data-testid'))!.replace(
      'run-state-',
      '',
    );
    await page.getByTestId('run-prune').check();
    await page.getByTestId('run-prune-target').fill('50');
    await page.getByTestId('run-prune-end').fill('1');
    await page.getByTestId('run-distill-from').selectOption(teacher);
    await page.getByTestId('run-start').click();
    const listed = page.locator('[data-testid^="run-state-"]');
    // A refusal shows in the section's alert; the poll then says what it was.
    const refusal = page.getByTestId('train-error');
    await expect
      .poll(
        async () => ((await refusal.count()) ? await refusal.textContent() : (await listed.allTextContents()).join()),
        {
          timeout: 60_000,
        },
      )
      .toBe('completed,completed,completed');
    await expect.poll(() => page.getByTestId('run-distillation').textContent()).toContain('test accuracy teacher');
    expect(await page.getByTestId('run-distillation').textContent()).toContain(`Distilled from run ${teacher}`);
    expect(await page.getByTestId('run-pruning').textContent()).toMatch(/Pruned to 5\d\.\d % zeros/);
  });

  it('raised no console errors (no CSP violation from the charts)', () => {
    expect(errors).toEqual([]);
  });
});
