/**
 * Review of a segmentation run in Chromium against browser mode, keyboard first: a queue of a tiny
 * U-Net run's test split is built, the predicted mask, its probability contours and the
 * Seg-Grad-CAM heatmap are drawn on the image, verdicts are given with A and U, a mask is corrected
 * with D, the brush and Enter, the Label section then shows the corrected mask as the image's
 * label, and the HTML report exported from the section lists the verdicts. The run is trained
 * through the services, as in review.test.ts.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoupeApi } from '../../contract/client';
import { type RunningApp } from '../helpers/app';
import { keepScreenshot } from '../helpers/browser';
import { caller } from '../helpers/labels';
import { importScans, labelSegmentation, type ScanWorkspace } from '../helpers/scan-workspace';
import { realServices } from '../helpers/services';
import { trainWithDefaults } from '../helpers/workspace-models';
import { imageToScreen, viewerScreen } from './labeling-helpers';
import { predictionLine, runBatchFromForm } from './batch-steps';
import { openWorkspaceInBrowser } from './browser-session';

const REVIEWER = 'Dr. Mask Reviewer';
/** Side of the synthetic scans, in pixels. */
const SIZE = 24;

describe('Review of a segmentation run, and a batch of it', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let dir: string;
  let workspace: string;
  let client: LoupeApi;
  let closeClient: () => void;
  let scans: ScanWorkspace;
  let taskId: number;
  let runId: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-e2e-review-masks-'));
    workspace = path.join(dir, 'ws');
    const { services, log } = realServices();
    const call = caller(services, log);
    await call('workspace.open', { path: workspace, create: true });
    scans = await importScans(call, path.join(dir, 'scans'), { count: 16, size: SIZE, seed: 17 });
    taskId = await labelSegmentation(call, scans);
    runId = (await trainWithDefaults(call, taskId, { epochs: 1 })).run.runId;
    await services.dispose();

    ({ app, browser, page, errors, client, closeClient } = await openWorkspaceInBrowser(workspace, {
      width: 1500,
      height: 1000,
    }));
  }, 600_000);
  afterAll(async () => {
    closeClient?.();
    await browser?.close();
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const items = () => page.getByTestId('mask-review-list').locator('li');
  const shownFile = () => page.getByTestId('mask-review-file').textContent();
  const shownImage = () => page.getByTestId('mask-review-image').getAttribute('data-shown');
  const trail = async () => (await client.invoke('reviewMasks.verdicts', { runId })).verdicts;
  const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

  it('builds a queue of the test split, most uncertain first, and draws mask, contours and heatmap', async () => {
    await page.getByTestId('nav-review').click();
    await expect.poll(() => page.getByTestId('review-kind').inputValue()).toBe('segmentation');
    await page.getByTestId('review-reviewer').fill(REVIEWER);
    await page.getByTestId('review-reviewer-save').click();
    await expect.poll(async () => (await client.invoke('review.settings', {})).reviewer).toBe(REVIEWER);
    expect(await page.getByTestId('mask-review-run').inputValue()).toBe(runId);
    await page.getByTestId('mask-review-build').click();
    const { splits } = await client.invoke('labels.splitCounts', { taskId });
    const tests = splits.find((s) => s.split === 'test')!.images;
    expect(tests).toBeGreaterThanOrEqual(3);
    await expect.poll(() => items().count(), { timeout: 60_000 }).toBe(tests);
    const queue = await client.invoke('reviewMasks.queue', { runId, source: { kind: 'split', split: 'test' } });
    expect(await items().locator('.file').allTextContents()).toEqual(queue.items.map((i) => i.fileName));
    expect(await shownFile()).toBe(queue.items[0]!.fileName);
    await expect.poll(shownImage).toBe(String(queue.items[0]!.imageId));

    const first = queue.items[0]!.imageId;
    await expect
      .poll(() => page.getByTestId('mask-heatmap-canvas').getAttribute('data-image'), { timeout: 60_000 })
      .toBe(String(first));
    const shown = await client.invoke('reviewMasks.image', { runId, imageId: first });
    const contour = page.getByTestId('review-contours').locator('path[data-level="0.5"]');
    const segments = shown.contours[0]!.segments.length / 4;
    // One "M x y L x y" per segment, in source pixels: the path is the services' iso-line, unscaled.
    await expect.poll(async () => ((await contour.getAttribute('d')) ?? '').split('M').length - 1).toBe(segments);
    // The predicted mask is drawn at the image's own size, one canvas pixel per image pixel.
    const painted = (await page.evaluate(`(() => {
      const c = document.querySelector('[data-testid="mask-canvas"]');
      const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
      const out = [];
      for (let i = 3; i < data.length; i += 4) out.push(data[i] > 0 ? 1 : 0);
      return out;
    })()`)) as number[];
    expect(painted).toEqual(Array.from(shown.mask.data, (v) => (v ? 1 : 0)));
    await keepScreenshot(page, 'review-masks-queue');

    // The classification view's heatmap controls: another method, another colour map, the trust measures.
    const canvas = page.getByTestId('mask-heatmap-canvas');
    expect(await canvas.getAttribute('data-method')).toBe('gradcam');
    await page.getByTestId('heatmap-method').selectOption('layercam');
    await expect.poll(() => canvas.getAttribute('data-method'), { timeout: 60_000 }).toBe('layercam');
    await page.getByTestId('heatmap-colours').selectOption('inferno');
    await expect.poll(() => canvas.getAttribute('data-colours')).toBe('inferno');
    await page.getByTestId('heatmap-trust').click();
    const sentences = page.getByTestId('heatmap-trust-sentences').locator('li');
    await expect.poll(() => sentences.count(), { timeout: 120_000 }).toBe(3);
    await page.getByTestId('heatmap-method').selectOption('gradcam');
    await expect.poll(() => canvas.getAttribute('data-method'), { timeout: 60_000 }).toBe('gradcam');
    expect(await sentences.count()).toBe(0);
  });

  it('gives verdicts by keyboard, corrects a mask with the brush, and the Label section shows it', async () => {
    const queue = await client.invoke('reviewMasks.queue', { runId, source: { kind: 'split', split: 'test' } });
    await page.keyboard.press('a');
    await expect.poll(async () => (await trail()).map((v) => v.verdict)).toEqual(['agree']);
    await expect.poll(shownFile).toBe(queue.items[1]!.fileName);
    await page.keyboard.press('u');
    await expect.poll(async () => (await trail()).map((v) => v.verdict)).toEqual(['agree', 'unsure']);
    await expect.poll(shownFile).toBe(queue.items[2]!.fileName);
    const target = queue.items[2]!;
    await expect.poll(shownImage).toBe(String(target.imageId));
    const predicted = (await client.invoke('reviewMasks.image', { runId, imageId: target.imageId })).mask;
    // The model's mask must be on screen before D copies it.
    await expect
      .poll(() => page.getByTestId('mask-heatmap-canvas').getAttribute('data-image'), { timeout: 60_000 })
      .toBe(String(target.imageId));

    await page.keyboard.press('d');
    await page.getByTestId('mask-review-correcting').waitFor();
    await page.keyboard.press('1');
    await page.keyboard.press('b');
    const screen = await viewerScreen(page);
    const at = (x: number, y: number) => imageToScreen(screen, SIZE, SIZE, { x, y });
    // A stroke along the top rows, where the synthetic lesions never reach.
    const from = at(2, 2);
    const to = at(SIZE - 3, 2);
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(to.x, to.y, { steps: 20 });
    await page.mouse.up();
    await keepScreenshot(page, 'review-masks-correcting');
    // Nothing is written before Enter.
    expect((await trail()).length).toBe(2);
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await trail()).length).toBe(3);
    await expect.poll(async () => (await trail())[2]!.correctionRevision).not.toBeNull();
    const corrected = (await trail())[2]!;
    expect(corrected.verdict).toBe('disagree');
    expect(corrected.correctMask!.changedPixels).toBeGreaterThan(0);
    const label = (await client.invoke('labels.get', { taskId, imageId: target.imageId })).mask!;
    expect(sha256(label.data)).toBe(corrected.correctMask!.sha256);
    const differing = label.data.filter((v, i) => v !== predicted.data[i]).length;
    expect(differing).toBe(corrected.correctMask!.changedPixels);

    await page.getByTestId('nav-label').click();
    await page.getByTestId('task-select').selectOption(String(taskId));
    await page.getByTestId(`tile-${target.fileName}`).click();
    await expect.poll(() => page.getByTestId('current-image').textContent()).toBe(target.fileName);
    const shownLabel = () =>
      page.evaluate(`(() => {
        const c = document.querySelector('[data-testid="mask-canvas"]');
        const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
        const out = [];
        for (let i = 3; i < data.length; i += 4) out.push(data[i] > 0 ? 1 : 0);
        return out;
      })()`) as Promise<number[]>;
    await expect.poll(shownLabel).toEqual(Array.from(label.data, (v) => (v ? 1 : 0)));
    await keepScreenshot(page, 'review-masks-label');
  });

  it('exports the HTML report from the section with the verdicts and the mask outlines', async () => {
    await page.getByTestId('nav-review').click();
    await expect.poll(() => page.getByTestId('review-kind').inputValue()).toBe('segmentation');
    const out = path.join(dir, 'report');
    await page.getByTestId('review-export-folder').fill(out);
    await page.getByTestId('review-export').click();
    await expect.poll(() => page.getByTestId('review-exported').textContent()).toMatch(/Wrote 3 verdicts/);
    const html = readFileSync(path.join(out, 'review.html'), 'utf8');
    expect(html).toContain(`Segmentation run ${runId}`);
    expect(html.match(/<svg class="mask-thumb"/g)?.length).toBe(3);
    expect(html).toContain('mask corrected');
    expect(html).toContain(REVIEWER);
    expect(errors).toEqual([]);
  });

  it("a batch of the run (Batch section) opens each image with the run's predicted mask over it", async () => {
    const out = path.join(dir, 'batch-masks');
    await page.getByTestId('nav-batch').click();
    await expect.poll(() => page.getByTestId('batch-run').inputValue()).toBe(runId);
    await runBatchFromForm(page, path.join(dir, 'scans'), out);
    const first = page.getByTestId('batch-table').locator('tbody tr').first();
    const file = (await first.getAttribute('data-path'))!;
    const line = predictionLine<{ path: string; mask: string }>(out, file);
    const { jobs } = await client.invoke('batch.jobs', {});
    const prediction = await client.invoke('batch.prediction', { jobId: jobs[0]!.jobId, path: file, frame: 0 });
    await first.getByTestId('batch-open').click();
    const canvas = page.getByTestId('batch-mask-canvas');
    await expect.poll(() => canvas.getAttribute('data-image')).toMatch(/^\d+$/);
    expect(line.mask).toMatch(/^masks\//);
    // Where the mask is a lesion the canvas has the lesion's colour; elsewhere it is clear.
    const lesion = (await client.invoke('labels.tasks', {})).tasks.find((t) => t.id === taskId)!.classes[0]!.color;
    const drawn = (await page.evaluate(`(() => {
      const c = document.querySelector('[data-testid="batch-mask-canvas"]');
      return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
    })()`)) as number[];
    const rgb = [1, 3, 5].map((i) => Number.parseInt(lesion.slice(i, i + 2), 16));
    expect(prediction.mask!.data.some((v) => v === 1)).toBe(true);
    prediction.mask!.data.forEach((v, i) => {
      const pixel = drawn.slice(i * 4, i * 4 + 4);
      expect(pixel).toEqual(v === 1 ? [...rgb, 255] : [0, 0, 0, 0]);
    });
    expect(await page.getByTestId('batch-heatmap-note').textContent()).toContain('The predicted mask (lesion)');
    await keepScreenshot(page, 'batch-mask');
    await page.keyboard.press('Escape');
    expect(errors).toEqual([]);
  });
});
