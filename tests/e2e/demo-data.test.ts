/**
 * A first run in the app without images of one's own: the start page says to Create a workspace
 * (Open on a new folder says so too), the empty workspace offers the demo data;
 * one click writes and imports the labelled parts, the grid shows them, the message says where the
 * inbox is and where to go next, and the Label section has the demo's classification,
 * segmentation, detection and washers tasks; the Train section offers the washers as identities.
 * A folder of the user's inside the workspace imports by its path; Loupe's own folders there do not.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_DETECTION_TASK_NAME,
  DEMO_SEGMENTATION_TASK_NAME,
  DEMO_TASK_NAME,
  DEMO_VERIFICATION_TASK_NAME,
} from '../../contract/index';
import { keepScreenshot } from '../helpers/browser';
import { startBrowserSession, type BrowserSession } from './browser-session';

describe('demo data in the browser', () => {
  let session: BrowserSession | undefined;
  let page: Page;
  let tmp: string;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'loupe-e2e-demo-'));
    session = await startBrowserSession({ width: 1280, height: 900 });
    page = session.page;
  });
  afterAll(async () => {
    session?.closeClient();
    await session?.browser.close();
    await session?.app.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('makes a workspace as a new user does: the start page says how, Open on a new folder says Create', async () => {
    expect(await page.getByTestId('workspace-first-run').textContent()).toContain('press Create');
    await page.getByTestId('workspace-path').fill(path.join(tmp, 'ws'));
    await page.getByTestId('workspace-open').click();
    await expect
      .poll(() => page.getByTestId('workspace-error').textContent())
      .toBe(`There is no folder at ${path.join(tmp, 'ws')}. Create makes a new workspace there.`);
    await page.getByTestId('workspace-create').click();
    await page.getByTestId('workspace-current').waitFor();
    expect(await page.getByTestId('workspace-first-run').count()).toBe(0);
  });

  it('adds the demo data to an empty workspace with one click', async () => {
    await page.getByTestId('images-empty').waitFor();
    await page.getByTestId('demo-add').click();
    const added = page.getByTestId('demo-added');
    await added.waitFor({ timeout: 120_000 });
    const lines = (await added.innerText()).split('\n').filter((l) => l.trim());
    expect(lines.slice(0, 5)).toEqual([
      'Added the demo data, a task for each kind of model:',
      `“${DEMO_TASK_NAME}”: 2,000 labelled parts (defect, ok; train 1400, val 300, test 300), for a classifier;`,
      `“${DEMO_SEGMENTATION_TASK_NAME}”: the same parts with a mask of each defect, for a U-Net;`,
      `“${DEMO_DETECTION_TASK_NAME}”: the same parts with a box round each defect, for a detector;`,
      expect.stringMatching(
        new RegExp(
          `^“${DEMO_VERIFICATION_TASK_NAME.replace(/[()]/g, '\\$&')}”: 6 pictures each of 200 washers, a class a washer, each split its own washers, for a verifier`,
        ),
      ),
    ]);
    const inbox = path.join(tmp, 'ws', 'demo-data', 'inbox');
    expect(await page.getByTestId('demo-inbox').innerText()).toBe(inbox);
    expect(existsSync(path.join(inbox, 'shift-01', 'part-00001.png'))).toBe(true);
    const references = path.join(tmp, 'ws', 'demo-data', 'washer-references');
    expect(await page.getByTestId('demo-washer-references').innerText()).toBe(references);
    expect(existsSync(path.join(references, 'washer-161.png'))).toBe(true);
    await expect.poll(() => page.getByTestId('image-count').innerText()).toBe('3200 images in this workspace');
    await expect.poll(() => page.getByTestId('thumbnail-grid').locator('img').count()).toBeGreaterThan(0);
    await keepScreenshot(page, 'demo-data-added');
  });

  it('fills the Batch section in with the inbox', async () => {
    await page.getByTestId('demo-batch').click();
    await page.getByTestId('section-batch').waitFor();
    const demo = path.join(tmp, 'ws', 'demo-data');
    expect(await page.getByTestId('batch-input-0').inputValue()).toBe(path.join(demo, 'inbox'));
    expect(await page.getByTestId('batch-out').inputValue()).toBe(path.join(demo, 'inbox-predictions'));
  });

  it('shows the demo task and its classes in the Label section', async () => {
    await page.getByTestId('nav-label').click();
    const task = page.getByTestId('task-select');
    await expect.poll(() => task.locator('option:checked').innerText()).toContain(DEMO_TASK_NAME);
    expect(await task.locator('option').allInnerTexts()).toEqual([
      `${DEMO_TASK_NAME} · classification`,
      `${DEMO_SEGMENTATION_TASK_NAME} · segmentation`,
      `${DEMO_DETECTION_TASK_NAME} · detection`,
      `${DEMO_VERIFICATION_TASK_NAME} · classification`,
    ]);
  });

  it('imports a file of labels into one split, as a dataset exported per split is', async () => {
    await page.getByTestId('panel-interchange').click();
    const csv = path.join(tmp, 'recheck.csv');
    writeFileSync(csv, 'image,class\npart-00001.png,defect\npart-01001.png,ok\n');
    await page.getByTestId('import-format').selectOption('csv');
    await page.getByTestId('labels-import-path').fill(csv);
    await page.getByTestId('import-new-task').check();
    await page.getByTestId('import-task-name').fill('Recheck');
    await page.getByTestId('import-split').selectOption('test');
    await page.getByTestId('labels-import-start').click();
    await expect
      .poll(() => page.getByTestId('labels-import-summary').textContent())
      .toMatch(/^\s*Imported into "Recheck" \(new task\): 2 class tags/);
    expect(await page.getByTestId('labels-import-added').textContent()).toMatch(/2 images placed in train\/val\/test/);
    const recheck = (await session!.client.invoke('labels.tasks', {})).tasks.find((t) => t.name === 'Recheck')!;
    const { splits } = await session!.client.invoke('labels.splitCounts', { taskId: recheck.id });
    expect(Object.fromEntries(splits.map((s) => [s.split, s.images]))).toEqual({ train: 0, val: 0, test: 2 });
    expect(session!.errors).toEqual([]);
  });

  it('offers the washers for a verifier in the Train section, with each split’s own washers', async () => {
    await page.getByTestId('nav-train').click();
    const washers = (await session!.client.invoke('labels.tasks', {})).tasks.find(
      (t) => t.name === DEMO_VERIFICATION_TASK_NAME,
    )!;
    await page.getByTestId('run-task').selectOption(String(washers.id));
    // As a classifier, the test washers are classes it never trains on: the form says so, and what to do.
    await expect
      .poll(() => page.getByTestId('run-dataset-warning').textContent())
      .toMatch(
        /^\s*80 of the 200 classes have val or test images but none in train \(washer-121, washer-122, washer-123, …\)/,
      );
    await page.getByTestId('run-kind').selectOption('verification');
    await expect.poll(() => page.getByTestId('run-dataset-warning').count()).toBe(0);
    await expect
      .poll(() => page.getByTestId('run-dataset').innerText())
      .toContain(
        '720 train · 240 val · 240 test images · 64×64 · 8-bit grey · identities 120 train / 40 val / 40 test',
      );
  });

  it("imports a folder of the user's inside the workspace by its path, and says why Loupe's own folders give nothing", async () => {
    const ws = path.join(tmp, 'ws');
    const mine = path.join(ws, 'new-shift');
    mkdirSync(mine);
    for (const name of ['part-00001.png', 'part-00002.png', 'part-00003.png'])
      copyFileSync(path.join(ws, 'demo-data', 'inbox', 'shift-01', name), path.join(mine, name));
    await page.getByTestId('nav-workspace').click();
    const importFolder = async (folder: string) => {
      await page.getByTestId('import-path').fill(folder);
      await page.getByTestId('import-start').click();
      await page.getByTestId('import-report').waitFor();
      return page.getByTestId('import-summary').innerText();
    };
    expect(await importFolder(mine)).toBe('3 imported, 0 duplicates skipped, 0 failed');
    expect(await page.getByTestId('import-none-found').count()).toBe(0);
    await page.getByTestId('import-report-dismiss').click();
    expect(await importFolder(path.join(ws, 'thumbnails'))).toBe('0 imported, 0 duplicates skipped, 0 failed');
    expect(await page.getByTestId('import-none-found').innerText()).toMatch(/^No files were found to import\./);
    expect(session!.errors).toEqual([]);
  });
});
