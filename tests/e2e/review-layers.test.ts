/**
 * The Review section's Layers panel in Chromium against browser mode: L opens it on the image
 * shown, a tile per channel of the model's last feature map (as many as the engine sends, with the
 * cap said) and the first convolution's filters; another layer can be chosen; clicking a tile lays
 * that channel over the image in place of the heatmap (drawn on the image's pixels wherever the
 * channel reaches the threshold), and clicking it again brings the heatmap back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoupeApi } from '../../contract/client';
import { type RunningApp } from '../helpers/app';
import { keepScreenshot } from '../helpers/browser';
import { caller } from '../helpers/labels';
import { reviewWorkspace, type ReviewWorkspace } from '../helpers/review-workspace';
import { realServices } from '../helpers/services';
import { openWorkspaceInBrowser } from './browser-session';

describe('the Layers panel of the Review section', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let dir: string;
  let client: LoupeApi;
  let closeClient: () => void;
  let setup: ReviewWorkspace;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-e2e-layers-'));
    const workspace = path.join(dir, 'ws');
    const { services, log } = realServices();
    const call = caller(services, log);
    await call('workspace.open', { path: workspace, create: true });
    setup = await reviewWorkspace(call, dir);
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

  const shownImage = () => page.getByTestId('review-image').getAttribute('data-shown');

  it('opens with L on the image shown: a tile per channel sent, the filters, another layer on request', async () => {
    await page.getByTestId('nav-review').click();
    await page.getByTestId('review-build').click();
    await expect
      .poll(() => page.getByTestId('review-list').locator('li').count(), { timeout: 60_000 })
      .toBeGreaterThan(0);
    await expect.poll(shownImage).not.toBe('');
    const imageId = Number(await shownImage());
    expect(await page.getByTestId('layers-tiles').count()).toBe(0);
    await page.keyboard.press('l');
    const tiles = page.getByTestId('layers-tiles').locator('.feature-tile');
    const maps = await client.invoke('review.featureMaps', { runId: setup.runId, imageId });
    await expect.poll(() => tiles.count(), { timeout: 60_000 }).toBe(maps.count);
    expect(await page.getByTestId('layers-tiles').getAttribute('data-layer')).toBe(maps.layer);
    expect(await page.getByTestId('layers-status').textContent()).toContain(
      maps.count < maps.total ? `the first ${maps.count} of ${maps.total} channels` : `${maps.total} channels`,
    );
    expect(await page.getByTestId('layers-filters').locator('.feature-tile').count()).toBe(maps.filters!.count);
    expect(await tiles.nth(3).textContent()).toBe('3');
    await keepScreenshot(page, 'review-layers');

    await page.getByTestId('layers-layer').selectOption(maps.layers[0]!);
    await expect.poll(() => page.getByTestId('layers-tiles').getAttribute('data-layer')).toBe(maps.layers[0]);
    const first = await client.invoke('review.featureMaps', { runId: setup.runId, imageId, layer: maps.layers[0]! });
    await expect.poll(() => tiles.count()).toBe(first.count);
  });

  it('lays a clicked channel over the image in place of the heatmap, and gives the heatmap back', async () => {
    const canvas = page.getByTestId('heatmap-canvas');
    await page.getByTestId('heatmap-threshold').fill('0');
    await expect.poll(() => canvas.getAttribute('data-method'), { timeout: 60_000 }).toBe('gradcam');
    const tiles = page.getByTestId('layers-tiles').locator('.feature-tile');
    await tiles.nth(1).click();
    await expect.poll(() => canvas.getAttribute('data-method')).toBe('feature map');
    expect(await canvas.getAttribute('data-image')).toBe(await shownImage());
    await expect(page.getByTestId('layers-pinned').textContent()).resolves.toContain('Channel 1 lies over the image');
    const size = (await page.evaluate(`(() => {
      const c = document.querySelector('[data-testid="heatmap-canvas"]');
      return [c.width, c.height];
    })()`)) as [number, number];
    const frame = await client.invoke('imaging.frame', { id: Number(await shownImage()), frame: 0 });
    expect(size).toEqual([frame.columns, frame.rows]);
    await keepScreenshot(page, 'review-layers-overlay');
    await tiles.nth(1).click();
    await expect.poll(() => canvas.getAttribute('data-method')).toBe('gradcam');
    await page.keyboard.press('l');
    await expect.poll(() => page.getByTestId('layers-tiles').count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
