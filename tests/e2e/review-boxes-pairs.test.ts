/**
 * The Review section in Chromium for a detection run and a verification run: the detector's
 * boxes are drawn over the image and the selected box's own heatmap under them (Tab, Shift+Tab
 * and a click select another box, whose map replaces it); a pair is shown side by side with a
 * similarity map on each image and the similarity against the model's threshold. The runs are
 * trained through the services for one epoch (tests/helpers/box-pair-runs.ts).
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

describe('the Review section for detection and verification runs', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let dir: string;
  let runs: BoxPairRuns;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-e2e-review-boxes-'));
    const workspace = path.join(dir, 'ws');
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

  const image = () => page.getByTestId('detection-review').getByTestId('explained-image');
  const boxes = () => page.getByTestId('explained-box');
  /** The drawn heatmap's pixels, as a data URL (the test's tsconfig has no DOM types). */
  const mapPixels = () =>
    page.getByTestId('explained-heatmap').evaluate((c) => (c as unknown as { toDataURL(): string }).toDataURL());
  const box = (i: number) => page.locator(`[data-testid="explained-box"][data-index="${i}"]`);
  const selectedBox = () => page.locator('[data-testid="explained-box"][data-selected="true"]');

  it('shows a detection run’s boxes over the image and the selected box’s heatmap', async () => {
    await page.getByTestId('nav-review').click();
    await page.getByTestId('box-pair-run').selectOption(runs.detectionRunId);
    await expect.poll(() => boxes().count(), { timeout: 60_000 }).toBeGreaterThan(1);
    const count = await boxes().count();
    // The map of box 1 (index 0) of the first image is drawn and shown.
    await expect.poll(() => image().getAttribute('data-heatmap')).toMatch(/^\d+:0$/);
    const imageId = (await image().getAttribute('data-heatmap'))!.split(':')[0];
    expect(await page.getByTestId('explained-heatmap').isVisible()).toBe(true);
    expect(await box(0).getAttribute('data-selected')).toBe('true');
    const firstMap = await mapPixels();
    await keepScreenshot(page, 'review-detection-box');

    await page.keyboard.press('Tab');
    await expect.poll(() => image().getAttribute('data-heatmap')).toBe(`${imageId}:1`);
    expect(await box(1).getAttribute('data-selected')).toBe('true');
    const secondMap = await mapPixels();
    expect(secondMap).not.toBe(firstMap);

    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    await expect.poll(() => image().getAttribute('data-heatmap')).toBe(`${imageId}:${count - 1}`);
    await box(1).dispatchEvent('click');
    await expect.poll(() => image().getAttribute('data-heatmap')).toBe(`${imageId}:1`);
    expect(await selectedBox().count()).toBe(1);
    // H hides the map and shows it again.
    await page.keyboard.press('h');
    await expect.poll(() => page.getByTestId('explained-heatmap').isVisible()).toBe(false);
    await page.keyboard.press('h');
    expect(errors).toEqual([]);
  }, 180_000);

  it('shows a verification pair side by side with both similarity maps and the threshold', async () => {
    await page.getByTestId('box-pair-run').selectOption(runs.verificationRunId);
    const pair = page.getByTestId('pair-review');
    await expect
      .poll(async () => pair.locator('[data-testid="explained-image"][data-heatmap]:not([data-heatmap=""])').count(), {
        timeout: 60_000,
      })
      .toBe(2);
    const text = await page.getByTestId('pair-similarity').textContent();
    expect(text).toMatch(/Similarity -?\d\.\d{3}/);
    expect(text).toMatch(/threshold -?\d\.\d{3}/);
    await keepScreenshot(page, 'review-verification-pair');
    expect(errors).toEqual([]);
  }, 180_000);
});
