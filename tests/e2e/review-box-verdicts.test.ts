/**
 * Verdicts on detection and verification runs in Chromium: on a detector's image, D opens the
 * correction with the model's boxes on the Label section's box layer, two boxes are drawn and one
 * of them selected and deleted, Enter records the "disagree" with the corrected boxes and Y
 * confirms them as the image's boxes in the task (read back through the services, and shown in
 * the Label section); on a pair, D then 1 records "disagree: same", N leaves the label alone, and
 * the verdict shows in the list of pairs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../helpers/app';
import { boxPairRuns, type BoxPairRuns } from '../helpers/box-pair-runs';
import { keepScreenshot, launchChromium, watchErrors } from '../helpers/browser';
import { caller } from '../helpers/labels';
import { realServices } from '../helpers/services';

describe('verdicts on detection and verification runs in the Review section', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let dir: string;
  let workspace: string;
  let runs: BoxPairRuns;

  /** The services on the same workspace, from this process: what the task holds now. */
  async function readBack<T>(read: (call: ReturnType<typeof caller>) => Promise<T>): Promise<T> {
    const { services, log } = realServices();
    const call = caller(services, log);
    try {
      await call('workspace.open', { path: workspace });
      return await read(call);
    } finally {
      await services.dispose();
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-e2e-review-verdicts-'));
    workspace = path.join(dir, 'ws');
    const { services, log } = realServices();
    const call = caller(services, log);
    await call('workspace.open', { path: workspace, create: true });
    runs = await boxPairRuns(call, dir);
    await services.dispose();

    app = await startApp();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    errors = watchErrors(page);
    await page.goto(app.launchUrl);
    await page.getByTestId('workspace-path').fill(workspace);
    await page.getByTestId('workspace-open').click();
    await page.getByTestId('workspace-current').waitFor();
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const labelBoxes = () =>
    page.getByTestId('box-surface').locator('[data-testid^="box-"]:not([data-testid^="box-handle"])');

  it('corrects a detector’s boxes on disagree and writes them as the image’s boxes once confirmed', async () => {
    await page.getByTestId('nav-review').click();
    await page.getByTestId('box-pair-run').selectOption(runs.detectionRunId);
    const image = page.getByTestId('detection-review').getByTestId('explained-image');
    await expect.poll(() => image.getAttribute('data-heatmap'), { timeout: 60_000 }).toMatch(/^\d+:0$/);
    const imageId = Number((await image.getAttribute('data-heatmap'))!.split(':')[0]);
    const fileName = (await page.getByTestId('box-pair-list').locator('li.selected .file').textContent())!;

    await page.keyboard.press('d');
    await page.getByTestId('box-verdict-correcting').waitFor();
    const surface = page.getByTestId('box-surface');
    await surface.waitFor();
    // The model's boxes a label could hold start the correction (this one-epoch detector finds only slivers).
    const predicted = await labelBoxes().count();
    // Draw two boxes of class 1 over the image's surface, then select the first drawn and delete it.
    const area = (await surface.boundingBox())!;
    const at = (fx: number, fy: number) => ({ x: area.x + fx * area.width, y: area.y + fy * area.height });
    await page.keyboard.press('1');
    for (const [a, b] of [
      [at(0.1, 0.1), at(0.4, 0.45)],
      [at(0.55, 0.5), at(0.9, 0.85)],
    ] as const) {
      await page.mouse.move(a.x, a.y);
      await page.mouse.down();
      await page.mouse.move(b.x, b.y, { steps: 5 });
      await page.mouse.up();
    }
    await expect.poll(() => labelBoxes().count()).toBe(predicted + 2);
    await page.mouse.click(at(0.25, 0.25).x, at(0.25, 0.25).y);
    await page.keyboard.press('Delete');
    await expect.poll(() => labelBoxes().count()).toBe(predicted + 1);
    await keepScreenshot(page, 'review-detection-correction');
    await page.keyboard.press('Enter');
    await page.getByTestId('box-verdict-confirm').waitFor();
    await page.keyboard.press('y');
    await expect.poll(() => page.getByTestId('box-verdict-confirm').count()).toBe(0);
    await expect.poll(() => page.getByTestId('box-pair-verdict').first().textContent()).toBe('disagree');

    const { verdicts, labels } = await readBack(async (call) => ({
      verdicts: (await call('reviewBoxes.verdicts', { runId: runs.detectionRunId })).verdicts,
      labels: await call('labels.get', { taskId: runs.detectionTaskId, imageId }),
    }));
    const verdict = verdicts.at(-1)!;
    expect(verdict).toMatchObject({ kind: 'detection', imageId, verdict: 'disagree' });
    // The trail keeps every box the engine kept at the card's threshold; the correction started from those a label can hold.
    expect(verdict.prediction).toMatchObject({ kind: 'detection', scoreThreshold: 0.01 });
    expect(verdict.prediction.kind === 'detection' && verdict.prediction.boxes.length).toBeGreaterThanOrEqual(
      predicted,
    );
    const corrected = verdict.correction && 'boxes' in verdict.correction ? verdict.correction.boxes : null;
    expect(corrected?.length).toBe(predicted + 1);
    // The box left is the second one drawn: in the image's lower right.
    const kept = corrected!.at(-1)!;
    expect(kept.x1).toBeGreaterThan(labels.width / 2);
    expect(kept.y1).toBeGreaterThan(labels.height / 3);
    expect(verdict.correctionRevision).toBe(labels.revision);
    expect(labels.boxes).toEqual(corrected);

    // The Label section shows the image with the corrected boxes.
    await page.getByTestId('nav-label').click();
    await page.getByTestId('task-select').selectOption(String(runs.detectionTaskId));
    await page.getByTestId(`tile-${fileName}`).click();
    await expect.poll(() => page.getByTestId('current-image').textContent()).toBe(fileName);
    await expect.poll(() => labelBoxes().count()).toBe(corrected!.length);
    await page.getByTestId('nav-review').click();
    expect(errors).toEqual([]);
  }, 240_000);

  it('records a verdict on a verification pair and shows it in the list', async () => {
    await page.getByTestId('box-pair-run').selectOption(runs.verificationRunId);
    const pair = page.getByTestId('pair-review');
    await expect
      .poll(async () => pair.locator('[data-testid="explained-image"][data-heatmap]:not([data-heatmap=""])').count(), {
        timeout: 60_000,
      })
      .toBe(2);
    await page.getByTestId('box-verdict-comment').fill('the second view is the same part, rotated');
    await page.keyboard.press('Escape');
    await page.keyboard.press('d');
    await page.getByTestId('box-verdict-pick').waitFor();
    await page.keyboard.press('1');
    await page.getByTestId('box-verdict-confirm').waitFor();
    await page.keyboard.press('n');
    await expect.poll(() => page.getByTestId('box-pair-verdict').first().textContent()).toBe('disagree');
    await page.keyboard.press('k');
    await expect.poll(() => page.getByTestId('box-verdict-current').textContent()).toMatch(/disagree → same/);

    const verdicts = await readBack(
      async (call) => (await call('reviewBoxes.verdicts', { runId: runs.verificationRunId })).verdicts,
    );
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0]).toMatchObject({
      kind: 'verification',
      verdict: 'disagree',
      correction: { same: true },
      correctionRevision: null,
      comment: 'the second view is the same part, rotated',
    });
    expect(errors).toEqual([]);
  }, 180_000);
});
