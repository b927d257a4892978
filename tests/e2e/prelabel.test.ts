/**
 * "Pre-label with run" and "Label next" in Chromium against browser mode: a tiny classification
 * run (trained through the services, tests/helpers/review-workspace.ts) tags the grid of a second,
 * unlabeled task with the same classes; the drafts show with their probabilities and save nothing;
 * A accepts one (saved as the tag, its revision naming the run), X discards another (nothing
 * saved), and "Label next" lists the unlabeled images with their reasons and opens the one
 * clicked. A U-Net's draft mask is shown hatched and, accepted with A, saved as the image's mask;
 * a draft painted with the brush first is saved as painted, and one painted then discarded with X
 * saves nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoupeApi } from '../../contract/client';
import { prelabelRunOf } from '../../contract/index';
import { type RunningApp } from '../helpers/app';
import { keepScreenshot } from '../helpers/browser';
import { caller } from '../helpers/labels';
import { reviewWorkspace, type ReviewWorkspace } from '../helpers/review-workspace';
import { labelSegmentation } from '../helpers/scan-workspace';
import { realServices } from '../helpers/services';
import { trainWithDefaults } from '../helpers/workspace-models';
import { imageToScreen, viewerScreen } from './labeling-helpers';
import { openWorkspaceInBrowser } from './browser-session';

describe('pre-labelling with a run', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let dir: string;
  let workspace: string;
  let client: LoupeApi;
  let closeClient: () => void;
  let setup: ReviewWorkspace;
  let taskId: number;
  let classNames: Map<number, string>;
  /** A segmentation run, and a second segmentation task with no masks. */
  let maskRun: string;
  let maskTask: number;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-e2e-prelabel-'));
    workspace = path.join(dir, 'ws');
    const { services, log } = realServices();
    const call = caller(services, log);
    await call('workspace.open', { path: workspace, create: true });
    setup = await reviewWorkspace(call, dir);
    const task = await call('labels.createTask', {
      name: 'Second reader',
      kind: 'classification',
      classes: [{ name: 'normal' }, { name: 'lesion' }],
    });
    taskId = task.id;
    classNames = new Map(task.classes.map((c) => [c.id, c.name]));
    maskRun = (await trainWithDefaults(call, await labelSegmentation(call, setup.scans), { epochs: 1 })).run.runId;
    maskTask = (
      await call('labels.createTask', { name: 'Outline again', kind: 'segmentation', classes: [{ name: 'lesion' }] })
    ).id;
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

  const imageIdOf = async (name: string): Promise<number> =>
    (await client.invoke('imaging.list', { limit: 1000 })).items.find((i) => i.fileName === name)!.id;
  /** The run an image's labels were accepted from, read from its revision's save id. */
  const originOf = (task: number, imageId: number): string | null => {
    const db = new Database(path.join(workspace, 'loupe.db'), { readonly: true });
    try {
      const row = db.prepare('SELECT save_id FROM label_revisions WHERE task_id = ? AND image_id = ?');
      return prelabelRunOf(row.pluck().get(task, imageId) as string | null);
    } finally {
      db.close();
    }
  };
  const current = async () => (await page.getByTestId('current-image').textContent())!;
  const saved = async (imageId: number, task = taskId) => client.invoke('labels.get', { taskId: task, imageId });

  it('shows draft tags for the grid, accepts one with A, discards one with X, and saves only the accepted', async () => {
    await page.getByTestId('nav-label').click();
    await page.getByTestId('task-select').selectOption(String(taskId));
    await page.getByTestId('prelabel-run').waitFor();
    expect(await page.getByTestId('prelabel-run').inputValue()).toBe(setup.runId);
    await page.getByTestId('prelabel-scope').selectOption('shown');
    await page.getByTestId('prelabel-button').click();
    await page.getByTestId('draft-tag').waitFor({ timeout: 60_000 });
    const first = await current();
    const firstTag = (await page.getByTestId('draft-tag').textContent())!.trim();
    expect(firstTag).toMatch(/^(normal|lesion) [01]\.\d\d$/);
    await keepScreenshot(page, 'prelabel-drafts');
    // Drafts are not labels: nothing was written for any image of the task.
    expect((await client.invoke('labels.summary', { taskId })).images.filter((i) => i.labeled)).toEqual([]);

    await page.keyboard.press('a');
    const className = firstTag.split(' ')[0]!;
    await expect.poll(() => page.getByTestId('current-classes').textContent()).toBe(className);
    expect(await page.getByTestId('draft-tag').count()).toBe(0);
    const firstId = await imageIdOf(first);
    await expect
      .poll(async () => (await saved(firstId)).classIds.map((id) => classNames.get(id)), { timeout: 15_000 })
      .toEqual([className]);
    expect(originOf(taskId, firstId)).toBe(setup.runId);

    await page.keyboard.press('ArrowRight');
    await expect.poll(current).not.toBe(first);
    const second = await current();
    await page.getByTestId('draft-tag').waitFor();
    await page.keyboard.press('x');
    await expect.poll(() => page.getByTestId('draft-tag').count()).toBe(0);
    expect(await page.getByTestId('current-classes').textContent()).toBe('no class');
    await expect.poll(() => page.getByTestId('save-status').getAttribute('data-status')).not.toBe('saving');
    expect(await saved(await imageIdOf(second))).toMatchObject({ revision: 0, classIds: [] });
    const labeled = (await client.invoke('labels.summary', { taskId })).images.filter((i) => i.labeled);
    expect(labeled.map((i) => i.imageId)).toEqual([firstId]);
  });

  it('lists the unlabeled images by uncertainty with the reason, and opens the one clicked', async () => {
    await page.getByTestId('label-next').locator('summary').click();
    await page.getByTestId('label-next-rank').click();
    const rows = page.getByTestId('label-next-list').locator('li');
    await expect.poll(() => rows.count(), { timeout: 60_000 }).toBeGreaterThan(1);
    const reference = await client.invoke('models.labelNext', { runId: setup.runId, taskId, limit: 20 });
    expect(reference.considered).toBe(setup.scans.scans.length - 1);
    expect(await rows.locator('.muted').allTextContents()).toEqual(reference.picks.map((p) => p.reason));
    expect(await rows.nth(0).textContent()).toMatch(/entropy \d\.\d\d — the model (is split between|leans to)/);
    const pick = reference.picks[1]!;
    await rows.nth(1).locator('button').click();
    const names = (await client.invoke('imaging.list', { limit: 1000 })).items;
    await expect.poll(current).toBe(names.find((i) => i.id === pick.imageId)!.fileName);
    await keepScreenshot(page, 'label-next');
    expect(errors).toEqual([]);
  });

  it('shows a draft mask hatched over the image; A makes it the mask, saved with the run as its origin', async () => {
    await page.getByTestId('task-select').selectOption(String(maskTask));
    await page.getByTestId('prelabel-run').waitFor();
    await page.getByTestId('prelabel-run').selectOption(maskRun);
    const name = await current();
    const imageId = await imageIdOf(name);
    await page.getByTestId('prelabel-button').click();
    await page.getByTestId('draft-mask-canvas').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('draft-mask').textContent()).toMatch(/mean pixel entropy \d\.\d\d/);
    await keepScreenshot(page, 'prelabel-mask');
    expect(await saved(imageId, maskTask)).toMatchObject({ revision: 0, mask: null });

    const draft = await client.invoke('models.proposeMask', { runId: maskRun, taskId: maskTask, imageId });
    await page.keyboard.press('a');
    await expect.poll(() => page.getByTestId('draft-mask-canvas').count()).toBe(0);
    await expect.poll(async () => (await saved(imageId, maskTask)).revision, { timeout: 15_000 }).toBe(1);
    const mask = (await saved(imageId, maskTask)).mask;
    expect(mask && [...mask.data]).toEqual([...draft.mask.data]);
    expect(originOf(maskTask, imageId)).toBe(maskRun);
    expect(errors).toEqual([]);
  });
  it('paints a draft mask with the brush before A accepts it as painted; a painted draft discarded with X saves nothing', async () => {
    const size = setup.scans.scans[0]!.frame.columns;
    const paintTopRow = async (): Promise<void> => {
      await page.keyboard.press('1');
      await page.keyboard.press('b');
      const screen = await viewerScreen(page);
      const from = imageToScreen(screen, size, size, { x: 2, y: 1 });
      const to = imageToScreen(screen, size, size, { x: size - 3, y: 1 });
      await page.mouse.move(from.x, from.y);
      await page.mouse.down();
      await page.mouse.move(to.x, to.y, { steps: 20 });
      await page.mouse.up();
    };
    const lesion = (await client.invoke('labels.tasks', {})).tasks
      .find((t) => t.id === maskTask)!
      .classes.find((c) => c.name === 'lesion')!.maskIndex!;

    const accepted = await current();
    await page.keyboard.press('ArrowRight');
    await expect.poll(current).not.toBe(accepted);
    const imageId = await imageIdOf(await current());
    await page.getByTestId('prelabel-button').click();
    await page.getByTestId('draft-mask-canvas').waitFor({ timeout: 60_000 });
    const draft = await client.invoke('models.proposeMask', { runId: maskRun, taskId: maskTask, imageId });
    await paintTopRow();
    await keepScreenshot(page, 'prelabel-mask-painted');
    await expect.poll(() => page.getByTestId('save-status').getAttribute('data-status')).not.toBe('saving');
    expect(await saved(imageId, maskTask)).toMatchObject({ revision: 0, mask: null });
    await page.keyboard.press('a');
    await expect.poll(async () => (await saved(imageId, maskTask)).revision, { timeout: 15_000 }).toBe(1);
    const mask = (await saved(imageId, maskTask)).mask!;
    const changed = [...mask.data].flatMap((v, p) =>
      v === draft.mask.data[p] ? [] : [{ v, y: Math.floor(p / size) }],
    );
    // The stroke is in the saved mask: pixels of the top rows turned to the lesion, nothing else moved.
    expect(changed.length).toBeGreaterThan(0);
    for (const c of changed) expect(c).toMatchObject({ v: lesion });
    expect(Math.max(...changed.map((c) => c.y))).toBeLessThan(size / 2);
    expect(originOf(maskTask, imageId)).toBe(maskRun);

    const painted = await current();
    await page.keyboard.press('ArrowRight');
    await expect.poll(current).not.toBe(painted);
    const other = await imageIdOf(await current());
    await page.getByTestId('prelabel-button').click();
    await page.getByTestId('draft-mask-canvas').waitFor({ timeout: 60_000 });
    await paintTopRow();
    await page.keyboard.press('x');
    await expect.poll(() => page.getByTestId('draft-mask-canvas').count()).toBe(0);
    await expect.poll(() => page.getByTestId('save-status').getAttribute('data-status')).not.toBe('saving');
    expect(await saved(other, maskTask)).toMatchObject({ revision: 0, mask: null });
    expect(errors).toEqual([]);
  });
});
