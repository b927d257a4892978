/**
 * What a user does with images, in Chromium against browser mode: import the mixed fixture
 * folder through the UI, read the report, open a CT image, change the window with a preset and
 * by right-drag, and read the HU value at the centre pixel (the phantom's uniform bone disk).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureImagingFixtures, type ImagingFixtures } from '../fixtures/imaging/generate';
import { CT_BONE_HU } from '../fixtures/imaging/images';
import { startApp, type RunningApp } from '../helpers/app';
import { keepScreenshot, launchChromium, watchErrors } from '../helpers/browser';

const CT_FILE = 'ct-signed.jpeg-ls.dcm';
/** A 12-bit unsigned CT stored as HU + 1024 (RescaleIntercept −1024): the readout must apply it. */
const CT12_FILE = 'ct-12bit.rle.dcm';
const CT12_INTERCEPT = -1024;

describe('imaging in the browser', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let tmp: string;
  let fixtures: ImagingFixtures;

  beforeAll(async () => {
    fixtures = await ensureImagingFixtures();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'loupe-e2e-imaging-'));
    app = await startApp();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    errors = watchErrors(page);
    await page.goto(app.launchUrl);
    await page.getByTestId('workspace-path').fill(path.join(tmp, 'ws'));
    await page.getByTestId('workspace-create').click();
    await page.getByTestId('workspace-current').waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('imports the mixed folder and reports every broken file', async () => {
    await page.getByTestId('import-path').fill(fixtures.mixedFolder);
    await page.getByTestId('import-start').click();
    const broken = fixtures.broken.filter((b) => b.expect !== 'imported' && b.expect !== 'duplicate').length;
    const skipped = fixtures.exportObjects.filter((o) => o.expect === 'skipped').length;
    const imported =
      fixtures.dicom.length +
      fixtures.raster.length +
      fixtures.broken.filter((b) => b.expect === 'imported').length +
      fixtures.exportObjects.length -
      skipped;
    await expect
      .poll(() => page.getByTestId('import-summary').textContent(), { timeout: 60_000 })
      .toBe(`${imported} imported, 1 duplicate skipped, ${skipped} not an image, ${broken} failed`);
    const report = (await page.getByTestId('import-report').textContent()) ?? '';
    expect(report).toContain('Not an image (Structured Report).');
    expect(report).toContain('This file is empty (0 bytes).');
    expect(report).toContain('more than 128 levels deep');
    expect(await page.getByTestId('image-count').innerText()).toBe(`${imported} images in this workspace`);
    await keepScreenshot(page, 'imaging-imported');
    // Dismissed, the report gives its room back to the grid.
    await page.getByTestId('import-report-dismiss').click();
    await page.getByTestId('import-report').waitFor({ state: 'detached' });
  });

  it('shows thumbnails in the grid and opens a CT image with its own window', async () => {
    const grid = page.getByTestId('thumbnail-grid');
    const tile = page.getByTestId(`tile-${CT_FILE}`);
    // The grid is virtualized: scroll until the tile exists, as a user scrolls to find it.
    for (let step = 0; step < 40 && (await tile.count()) === 0; step++)
      await grid.evaluate((el) => el.scrollBy(0, 150));
    await expect.poll(() => tile.locator('img').count()).toBe(1);
    await tile.click();
    await expect.poll(() => page.getByTestId('viewer-title').textContent()).toBe(CT_FILE);
    await expect.poll(() => page.getByTestId('window-label').textContent()).toBe('W 400 / L 40');
    expect(await page.getByTestId('metadata-panel').textContent()).toContain('CT-001');
  });

  it('changes the window with a preset and by right-drag', async () => {
    await page.getByTestId('preset-brain').click();
    expect(await page.getByTestId('window-label').textContent()).toBe('W 80 / L 40');
    const box = (await page.getByTestId('image-canvas').boundingBox())!;
    const before = await page.getByTestId('image-canvas').screenshot();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down({ button: 'right' });
    await page.mouse.move(box.x + box.width / 2 + 60, box.y + box.height / 2 - 30, { steps: 5 });
    await page.mouse.up({ button: 'right' });
    const label = (await page.getByTestId('window-label').textContent())!;
    const [, width, level] = /^W ([\d.-]+) \/ L ([\d.-]+)$/.exec(label)!;
    expect(Number(width)).toBeGreaterThan(80);
    expect(Number(level)).toBeGreaterThan(40);
    expect((await page.getByTestId('image-canvas').screenshot()).equals(before)).toBe(false);
    // The longer label must not reflow the toolbar: the image would jump under the cursor mid-drag.
    expect(await page.getByTestId('image-canvas').boundingBox()).toEqual(box);
  });

  it('reads the HU value under the cursor', async () => {
    await page.getByTestId('view-fit').click();
    const box = (await page.getByTestId('image-canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await expect
      .poll(() => page.getByTestId('pixel-readout').textContent())
      .toMatch(new RegExp(`: ${CT_BONE_HU} HU \\(stored ${CT_BONE_HU}\\)$`));
    await keepScreenshot(page, 'imaging-ct-viewer');
  });

  it('reads modality values through the rescale of a 12-bit CT (intercept −1024)', async () => {
    await page.keyboard.press('Escape');
    const grid = page.getByTestId('thumbnail-grid');
    await grid.evaluate((el) => el.scrollTo(0, 0));
    const tile = page.getByTestId(`tile-${CT12_FILE}`);
    for (let step = 0; step < 40 && (await tile.count()) === 0; step++)
      await grid.evaluate((el) => el.scrollBy(0, 150));
    await tile.click();
    await expect.poll(() => page.getByTestId('viewer-title').textContent()).toBe(CT12_FILE);
    await page.getByTestId('view-fit').click();
    const box = (await page.getByTestId('image-canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const stored = CT_BONE_HU - CT12_INTERCEPT;
    await expect
      .poll(() => page.getByTestId('pixel-readout').textContent())
      .toMatch(new RegExp(`: ${CT_BONE_HU} HU \\(stored ${stored}\\)$`));
  });

  it('raised no console errors', () => {
    expect(errors).toEqual([]);
  });
});
