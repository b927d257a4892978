/**
 * The label section's task-level screens in Chromium: managing classes (rename, recolour, reorder,
 * add, delete after seeing what would be lost), train/val/test splits grouped by a file-name
 * pattern, CSV export and import with the report of skipped rows, the conflict prompt when an
 * image was changed elsewhere, the keyboard help, and predicted boxes shown as drafts.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { encode } from 'fast-png';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoupeApi } from '../../contract/client';
import type { LabelTask } from '../../contract/index';
import { keepScreenshot } from '../helpers/browser';
import {
  SMALL,
  imageToScreen,
  openLabelingSession,
  screenToImage,
  smallImage,
  viewerScreen,
  type LabelingSession,
} from './labeling-helpers';
import { NAMES, dragTo, gradesWorkspace, showDrafts } from './labeling-data-steps';

describe('label tasks, splits and interchange in the browser', () => {
  let session: LabelingSession;
  let page: Page;
  let tmp: string;
  let client: LoupeApi;
  let task: LabelTask;
  let ids: Map<string, number>;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'loupe-e2e-labeling-data-'));
    session = await openLabelingSession();
    ({ page, client } = session);
    ({ task, ids } = await gradesWorkspace(client, tmp));
    await page.getByTestId('workspace-current').waitFor();
    await page.getByTestId('nav-label').click();
    await page.getByTestId('label-workbench').waitFor();
  });
  afterAll(async () => {
    await session?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const badges = (name: string) => page.getByTestId(`tile-${name}`).getByTestId('tile-badges').textContent();
  const classes = async () =>
    (await client.invoke('labels.tasks', {})).tasks
      .find((t) => t.id === task.id)!
      .classes.sort((a, b) => a.position - b.position);

  it('renames, recolours, reorders and adds classes; labels follow', async () => {
    await expect.poll(() => badges('part1-a.png')).toBe('ok');
    await page.getByTestId('panel-classes').click();
    const okRow = page.getByTestId('class-row-ok');
    await okRow.getByTestId('class-name').fill('normal');
    await okRow.getByTestId('class-name').press('Enter');
    await expect.poll(() => badges('part1-a.png')).toBe('normal');
    await page.getByTestId('class-row-normal').getByTestId('class-color').fill('#00ff00');
    await expect.poll(async () => (await classes()).find((c) => c.name === 'normal')?.color).toBe('#00ff00');
    await page.getByTestId('class-row-normal').getByTestId('class-down').click();
    await expect.poll(async () => (await classes()).map((c) => c.name)).toEqual(['defect', 'normal']);
    await expect.poll(() => page.getByTestId('class-legend').locator('li').first().textContent()).toContain('defect');
    await page.getByTestId('class-new-name').fill('scratch');
    await page.getByTestId('class-add').click();
    await expect.poll(async () => (await classes()).map((c) => c.name)).toEqual(['defect', 'normal', 'scratch']);
    await keepScreenshot(page, 'labeling-classes');
  });

  it('deletes a class only after showing what would be lost', async () => {
    await page.getByTestId('class-row-defect').getByTestId('class-delete').click();
    await expect
      .poll(() => page.getByTestId('confirm-loss').textContent())
      .toContain('This removes 4 class tags on 4 images');
    await page.getByTestId('cancel-delete').click();
    expect((await classes()).map((c) => c.name)).toContain('defect');
    await page.getByTestId('class-row-defect').getByTestId('class-delete').click();
    await page.getByTestId('confirm-delete').click();
    await expect.poll(async () => (await classes()).map((c) => c.name)).toEqual(['normal', 'scratch']);
    await expect.poll(() => badges('part1-b.png')).toBe('');
    expect(await badges('part1-a.png')).toBe('normal');
    await page.getByTestId('panel-classes').click();
  });

  it('assigns splits that keep each part in one split, shows the counts, and locks them', async () => {
    await page.getByTestId('panel-splits').click();
    await page.getByTestId('split-group').selectOption('filename');
    await page.getByTestId('split-pattern').fill('^(part\\d)-');
    await page.getByTestId('fraction-train').fill('0.5');
    await page.getByTestId('fraction-val').fill('0.25');
    await page.getByTestId('fraction-test').fill('0.25');
    await page.getByTestId('split-seed').fill('3');
    await page.getByTestId('split-assign').click();
    await expect.poll(() => page.getByTestId('split-row-images').textContent()).toBe('images422');
    const { images } = await client.invoke('labels.summary', { taskId: task.id });
    const splitOf = (name: string) => images.find((i) => i.imageId === ids.get(name))!.split;
    for (const part of ['part1', 'part2', 'part3', 'part4'])
      expect(splitOf(`${part}-a.png`), part).toBe(splitOf(`${part}-b.png`));
    await expect.poll(() => badges('part1-a.png')).toBe(`normal${splitOf('part1-a.png')}`);
    await page.getByTestId('split-lock').check();
    await expect.poll(() => page.getByTestId('split-assign').textContent()).toBe('Place new images');
    await keepScreenshot(page, 'labeling-splits');
    await page.getByTestId('panel-splits').click();
  });

  it('exports class tags as CSV and imports a CSV, listing the rows it skipped', async () => {
    await page.getByTestId('panel-interchange').click();
    // A classification task is offered only the format that carries class tags, already chosen.
    expect(
      await page
        .getByTestId('export-format')
        .locator('option')
        .evaluateAll((options) => options.map((o) => o.getAttribute('value'))),
    ).toEqual(['csv', 'imagefolder']);
    expect(await page.getByTestId('import-format').inputValue()).toBe('csv');
    await page.getByTestId('export-format').selectOption('csv');
    const out = path.join(tmp, 'export');
    await page.getByTestId('labels-export-path').fill(out);
    await page.getByTestId('labels-export-start').click();
    await expect.poll(() => page.getByTestId('labels-export-summary').textContent()).toMatch(/4 class tags/);
    expect(readFileSync(path.join(out, 'classes.csv'), 'utf8')).toMatch(/part1-a\.png,normal/);
    const csv = path.join(tmp, 'more.csv');
    writeFileSync(csv, 'image,class\npart1-b.png,scratch\nnot-there.png,normal\n');
    await page.getByTestId('import-format').selectOption('csv');
    await page.getByTestId('labels-import-path').fill(csv);
    const before = await badges('part1-b.png');
    await page.getByTestId('labels-import-dry-run').click();
    await expect
      .poll(() => page.getByTestId('labels-import-summary').textContent())
      .toMatch(/^\s*Would import into "Grades".*1 class tags.*1 skipped/s);
    expect(await page.getByTestId('labels-import-skipped').textContent()).toContain('line 3');
    expect(await badges('part1-b.png')).toBe(before);
    await page.getByTestId('labels-import-start').click();
    await expect
      .poll(() => page.getByTestId('labels-import-summary').textContent())
      .toMatch(/^\s*Imported into "Grades"/);
    await expect.poll(() => badges('part1-b.png')).toMatch(/^scratch/);
    // A row without a class refuses the import, naming the row; asked to, the import leaves that image alone.
    writeFileSync(csv, 'image,class\npart1-b.png,\npart2-b.png,scratch\n');
    await page.getByTestId('labels-import-dry-run').click();
    await expect
      .poll(() => page.getByTestId('labels-transfer-error').textContent())
      .toMatch(/line 2: has no value in the class column/);
    await page.getByTestId('import-skip-malformed').check();
    await page.getByTestId('labels-import-dry-run').click();
    await expect
      .poll(() => page.getByTestId('labels-import-summary').textContent())
      .toMatch(/^\s*Would import into "Grades".*1 class tags.*1 skipped/s);
    expect(await page.getByTestId('labels-import-skipped').textContent()).toContain('left untouched');
    await keepScreenshot(page, 'labeling-interchange');
    await page.getByTestId('panel-interchange').click();
  });

  it('imports a folder-per-class dataset from the panel, its new images included', async () => {
    await page.getByTestId('panel-interchange').click();
    const root = path.join(tmp, 'by-class');
    for (const [k, name] of ['chipped', 'normal'].entries()) {
      mkdirSync(path.join(root, 'train', name), { recursive: true });
      writeFileSync(path.join(root, 'train', name, `new-${name}.png`), encode(smallImage(NAMES.length + k)));
    }
    await page.getByTestId('import-format').selectOption('imagefolder');
    await page.getByTestId('labels-import-path').fill(root);
    await page.getByTestId('labels-import-start').click();
    await expect
      .poll(() => page.getByTestId('labels-import-summary').textContent())
      .toMatch(/^\s*Imported into "Grades".*2 class tags/s);
    expect(await page.getByTestId('labels-import-added').textContent()).toMatch(/Added 2 images.*2 images placed/s);
    await expect.poll(() => badges('new-chipped.png')).toMatch(/^chipped/);
    await page.getByTestId('panel-interchange').click();
  });

  it('asks whose labels to keep when an image was changed elsewhere', async () => {
    await page.getByTestId('tile-part2-a.png').click();
    await expect.poll(() => page.getByTestId('current-classes').textContent()).toBe('normal');
    // Another window (here: a second client) clears the image's classes after this one loaded it.
    const theirs = await client.invoke('labels.get', { taskId: task.id, imageId: ids.get('part2-a.png')! });
    await client.invoke('labels.save', {
      taskId: task.id,
      imageId: theirs.imageId,
      baseRevision: theirs.revision,
      saveId: 'other-window-1',
      classIds: [],
    });
    await page.keyboard.press('2');
    await page.getByTestId('save-conflict').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('save-status').getAttribute('data-status')).toBe('error');
    await keepScreenshot(page, 'labeling-conflict');
    await page.getByTestId('conflict-mine').click();
    await expect
      .poll(() => page.getByTestId('save-status').getAttribute('data-status'), { timeout: 15_000 })
      .toBe('saved');
    const scratch = (await classes()).find((c) => c.name === 'scratch')!;
    expect((await client.invoke('labels.get', { taskId: task.id, imageId: theirs.imageId })).classIds).toEqual([
      scratch.id,
    ]);
  });

  it('says why a save failed when another program locks the workspace database, and saves on retry once it lets go', async () => {
    await expect.poll(() => page.getByTestId('save-status').getAttribute('data-status')).toBe('saved');
    const imageId = ids.get('part2-a.png')!;
    const [first] = await classes();
    const scratch = (await classes()).find((c) => c.name === 'scratch')!;
    expect(first!.id).not.toBe(scratch.id);
    // Another program (a database browser, a backup) holds loupe.db's write lock longer than Loupe's busy timeout.
    const intruder = new Database(path.join(tmp, 'ws', 'loupe.db'));
    intruder.exec('BEGIN EXCLUSIVE');
    try {
      await page.keyboard.press('1');
      await page.getByTestId('save-error').waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('save-status').textContent()).toBe('Not saved');
      expect(await page.getByTestId('save-error').textContent()).toMatch(/loupe\.db\) is locked by another program/);
    } finally {
      intruder.exec('ROLLBACK');
      intruder.close();
    }
    await page.getByTestId('save-retry').click();
    await expect
      .poll(() => page.getByTestId('save-status').getAttribute('data-status'), { timeout: 30_000 })
      .toBe('saved');
    expect(await page.getByTestId('save-error').count()).toBe(0);
    expect((await client.invoke('labels.get', { taskId: task.id, imageId })).classIds).toEqual([first!.id]);
    // Back to the class the next steps expect.
    await page.keyboard.press(String((await classes()).findIndex((c) => c.name === 'scratch') + 1));
    await expect
      .poll(async () => (await client.invoke('labels.get', { taskId: task.id, imageId })).classIds, { timeout: 15_000 })
      .toEqual([scratch.id]);
  });

  it('shows the keyboard help with ? and closes it with Esc', async () => {
    await page.keyboard.press('?');
    await expect.poll(() => page.getByTestId('shortcut-help').textContent()).toContain('undo, redo');
    // Keys go to the help while it is open, not to the image.
    await page.keyboard.press('1');
    await page.keyboard.press('Escape');
    expect(await page.getByTestId('current-classes').textContent()).toBe('scratch');
    await expect.poll(() => page.getByTestId('shortcut-help').count()).toBe(0);
  });

  it('shows predicted boxes as drafts to accept, adjust or delete', async () => {
    const parts = await client.invoke('labels.createTask', {
      name: 'Parts',
      kind: 'detection',
      classes: [{ name: 'crack' }, { name: 'pore' }],
    });
    await page.reload();
    await page.getByTestId('task-select').selectOption(String(parts.id));
    const id = ids.get('part3-a.png')!;
    await page.getByTestId('tile-part3-a.png').click();
    await page.getByTestId('box-surface').waitFor();
    const classes = parts.classes;
    // What the detection integration will do: hand its predictions to the store as drafts.
    const drafts = [
      { classId: classes[0]!.id, x1: 5, y1: 5, x2: 15, y2: 15, score: 0.91 },
      { classId: classes[1]!.id, x1: 25, y1: 5, x2: 35, y2: 15, score: 0.72 },
      { classId: classes[0]!.id, x1: 45, y1: 25, x2: 55, y2: 35, score: 0.4 },
    ];
    await showDrafts(page, parts.id, id, drafts);
    await expect.poll(() => page.getByTestId('draft-count').textContent()).toBe('3 drafts');
    expect(await page.getByTestId('draft-0').textContent()).toContain('draft · crack 0.91');
    await keepScreenshot(page, 'labeling-drafts');
    const screen = await viewerScreen(page);
    const at = (x: number, y: number) => imageToScreen(screen, SMALL.width, SMALL.height, { x, y });
    // Accept the first as it is.
    await page.mouse.click(at(10, 10).x, at(10, 10).y);
    await page.getByTestId('draft-accept').click();
    await page.getByTestId('box-0').waitFor();
    await expect.poll(() => page.getByTestId('draft-count').textContent()).toBe('2 drafts');
    // Adjust the next one (drag its south-east handle), then accept it.
    await page.mouse.click(at(30, 10).x, at(30, 10).y);
    await page.getByTestId('draft-adjust').click();
    const to = at(40, 20);
    await dragTo(page, 'box-handle-se', to);
    await page.keyboard.press('Enter');
    await page.getByTestId('box-1').waitFor();
    // Delete the last.
    await page.mouse.click(at(50, 30).x, at(50, 30).y);
    await page.getByTestId('draft-delete').click();
    await expect.poll(() => page.getByTestId('draft-count').count()).toBe(0);
    await expect
      .poll(() => page.getByTestId('save-status').getAttribute('data-status'), { timeout: 15_000 })
      .toBe('saved');
    const boxes = (await client.invoke('labels.get', { taskId: parts.id, imageId: id })).boxes;
    const end = screenToImage(screen, SMALL.width, SMALL.height, to);
    expect(boxes).toEqual([
      { classId: classes[0]!.id, x1: 5, y1: 5, x2: 15, y2: 15 },
      { classId: classes[1]!.id, x1: 25, y1: 5, x2: end.x, y2: end.y },
    ]);
  });

  it('raised no console errors', () => {
    expect(session.errors).toEqual([]);
  });
});
