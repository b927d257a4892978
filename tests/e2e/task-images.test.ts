/**
 * A task's images chosen in the Label section: a rule by folder, with its live count, leaves only
 * that folder's images in the grid; a later import into the folder joins the task; "All images"
 * brings the others back with their labels.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encode } from 'fast-png';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoupeApi } from '../../contract/client';
import { keepScreenshot } from '../helpers/browser';
import {
  createTaskInUi,
  importThenLabel,
  openLabelingSession,
  smallImage,
  type LabelingSession,
} from './labeling-helpers';

describe("choosing a task's images in the browser", () => {
  let session: LabelingSession;
  let page: Page;
  let client: LoupeApi;
  let tmp: string;
  let folder: string;
  const files = ['chest/c1.png', 'chest/c2.png', 'knee/k1.png', 'knee/k2.png', 'knee/k3.png'];

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'loupe-e2e-task-images-'));
    folder = path.join(tmp, 'images');
    files.forEach((name, i) => {
      mkdirSync(path.dirname(path.join(folder, name)), { recursive: true });
      writeFileSync(path.join(folder, name), encode(smallImage(i)));
    });
    session = await openLabelingSession();
    ({ page, client } = session);
    await importThenLabel(page, path.join(tmp, 'ws'), folder, '5 imported, 0 duplicates skipped, 0 failed');
  });
  afterAll(async () => {
    await session?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const tiles = () =>
    page
      .locator('[data-testid^="tile-"][data-testid$=".png"]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')!.slice('tile-'.length)).sort());

  it('shows only the chosen folder in the grid, says labels are kept, and takes in later imports', async () => {
    const taskId = await createTaskInUi(page, client, 'Chest', 'classification', 'normal, nodule');
    await expect.poll(tiles).toEqual(['c1.png', 'c2.png', 'k1.png', 'k2.png', 'k3.png']);
    // A knee image labelled before the choice: its label must survive being left out.
    const knee = (await client.invoke('imaging.list', { offset: 0, limit: 10 })).items.find(
      (i) => i.fileName === 'k1.png',
    )!;
    const nodule = (await client.invoke('labels.tasks', {})).tasks[0]!.classes[1]!;
    await client.invoke('labels.assign', { taskId, imageIds: [knee.id], mode: 'set', classId: nodule.id });

    await page.getByTestId('panel-task-images').click();
    await expect.poll(() => page.getByTestId('task-images-now').textContent()).toBe('all images');
    await page.getByTestId('task-images-mode-rule').check();
    await page.locator(`[data-testid="task-images-folder"][value="${path.join(folder, 'chest')}"]`).check();
    await expect
      .poll(() => page.getByTestId('task-images-count').textContent())
      .toMatch(/2 of 5 images match\.\s+1 labelled image falls outside\./);
    expect(await page.getByTestId('task-images-kept-note').textContent()).toMatch(/deletes no labels/);
    await keepScreenshot(page, 'task-images-rule');
    await page.getByTestId('task-images-save').click();

    await expect.poll(tiles).toEqual(['c1.png', 'c2.png']);
    expect(await page.getByTestId('grid-count').textContent()).toMatch(/^2 shown/);
    expect(await page.getByTestId('task-images-now').textContent()).toBe(`under ${path.join(folder, 'chest')}`);
    expect((await client.invoke('labels.tasks', {})).tasks[0]!.images).toEqual({
      kind: 'rule',
      folders: [path.join(folder, 'chest')],
      modalities: [],
      classIds: [],
    });

    // A rule, not a list: a new file in the folder joins the task once imported.
    writeFileSync(path.join(folder, 'chest', 'c3.png'), encode(smallImage(9)));
    await page.getByTestId('nav-workspace').click();
    await page.getByTestId('import-path').fill(path.join(folder, 'chest'));
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-summary').filter({ hasText: '1 imported, 2 duplicates skipped' }).waitFor();
    await page.getByTestId('nav-label').click();
    await expect.poll(tiles).toEqual(['c1.png', 'c2.png', 'c3.png']);

    // Back to all images: the knee image comes back with its label.
    await page.getByTestId('panel-task-images').click();
    await page.getByTestId('task-images-mode-all').check();
    await page.getByTestId('task-images-save').click();
    await expect.poll(tiles).toEqual(['c1.png', 'c2.png', 'c3.png', 'k1.png', 'k2.png', 'k3.png']);
    expect(await page.getByTestId('tile-k1.png').getByTestId('tile-badges').textContent()).toBe('nodule');
    expect(session.errors).toEqual([]);
  });
});
