/**
 * The label section's task-level screens in Chromium: managing classes (rename, recolour, reorder,
 * add, delete after seeing what would be lost), train/val/test splits grouped by a file-name
 * pattern, CSV export and import with the report of skipped rows, the conflict prompt when an
 * image was changed elsewhere, and the keyboard help.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encode } from 'fast-png';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoupeApi } from '../../contract/client';
import type { LabelTask } from '../../contract/index';
import { startApp, type RunningApp } from '../helpers/app';
import { keepScreenshot, launchChromium, watchErrors } from '../helpers/browser';
import { connectClient } from '../helpers/ws-client';
import { smallImage } from './labeling-helpers';

/** Four parts, two images each: a split grouped by part must keep each pair together. */
const NAMES = ['part1', 'part2', 'part3', 'part4'].flatMap((part) => [`${part}-a.png`, `${part}-b.png`]);

describe('label tasks, splits and interchange in the browser', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let tmp: string;
  let client: LoupeApi;
  let closeClient: () => void;
  let task: LabelTask;
  const ids = new Map<string, number>();

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'loupe-e2e-labeling-data-'));
    const folder = path.join(tmp, 'images');
    mkdirSync(folder);
    NAMES.forEach((name, i) => writeFileSync(path.join(folder, name), encode(smallImage(i))));
    app = await startApp();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    errors = watchErrors(page);
    await page.goto(app.launchUrl);
    const cookies = await page.context().cookies();
    const connected = await connectClient(`ws://${new URL(app.launchUrl).host}/rpc`, { cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; ') });
    client = connected.client;
    closeClient = () => connected.socket.close();
    // The set-up a previous session left: images imported, a task with half the images "ok", half "defect".
    await client.invoke('workspace.open', { path: path.join(tmp, 'ws'), create: true });
    await client.invoke('imaging.import', { paths: [folder] });
    for (const image of (await client.invoke('imaging.list', { offset: 0, limit: 100 })).items) ids.set(image.fileName, image.id);
    task = await client.invoke('labels.createTask', { name: 'Grades', kind: 'classification', classes: [{ name: 'ok' }, { name: 'defect' }] });
    const [ok, defect] = task.classes;
    await client.invoke('labels.assign', { taskId: task.id, imageIds: NAMES.filter((_, i) => i % 2 === 0).map((n) => ids.get(n)!), mode: 'set', classId: ok!.id });
    await client.invoke('labels.assign', { taskId: task.id, imageIds: NAMES.filter((_, i) => i % 2 === 1).map((n) => ids.get(n)!), mode: 'set', classId: defect!.id });
    await page.getByTestId('workspace-current').waitFor();
    await page.getByTestId('nav-label').click();
    await page.getByTestId('label-workbench').waitFor();
  });
  afterAll(async () => {
    closeClient?.();
    await browser?.close();
    await app?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  const badges = (name: string) => page.getByTestId(`tile-${name}`).getByTestId('tile-badges').textContent();
  const classes = async () => (await client.invoke('labels.tasks', {})).tasks.find((t) => t.id === task.id)!.classes.sort((a, b) => a.position - b.position);

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
    await expect.poll(() => page.getByTestId('confirm-loss').textContent()).toContain('This removes 4 class tags on 4 images');
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
    for (const part of ['part1', 'part2', 'part3', 'part4']) expect(splitOf(`${part}-a.png`), part).toBe(splitOf(`${part}-b.png`));
    await expect.poll(() => badges('part1-a.png')).toBe(`normal${splitOf('part1-a.png')}`);
    await page.getByTestId('split-lock').check();
    await expect.poll(() => page.getByTestId('split-assign').textContent()).toBe('Place new images');
    await keepScreenshot(page, 'labeling-splits');
    await page.getByTestId('panel-splits').click();
  });

  it('exports class tags as CSV and imports a CSV, listing the rows it skipped', async () => {
    await page.getByTestId('panel-interchange').click();
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
    await expect.poll(() => page.getByTestId('labels-import-summary').textContent()).toMatch(/^\s*Would import into "Grades".*1 class tags.*1 skipped/s);
    expect(await page.getByTestId('labels-import-skipped').textContent()).toContain('line 3');
    expect(await badges('part1-b.png')).toBe(before);
    await page.getByTestId('labels-import-start').click();
    await expect.poll(() => page.getByTestId('labels-import-summary').textContent()).toMatch(/^\s*Imported into "Grades"/);
    await expect.poll(() => badges('part1-b.png')).toMatch(/^scratch/);
    await keepScreenshot(page, 'labeling-interchange');
    await page.getByTestId('panel-interchange').click();
  });

  it('asks whose labels to keep when an image was changed elsewhere', async () => {
    await page.getByTestId('tile-part2-a.png').click();
    await expect.poll(() => page.getByTestId('current-classes').textContent()).toBe('normal');
    // Another window (here: a second client) clears the image's classes after this one loaded it.
    const theirs = await client.invoke('labels.get', { taskId: task.id, imageId: ids.get('part2-a.png')! });
    await client.invoke('labels.save', { taskId: task.id, imageId: theirs.imageId, baseRevision: theirs.revision, saveId: 'other-window-1', classIds: [] });
    await page.keyboard.press('2');
    await page.getByTestId('save-conflict').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('save-status').getAttribute('data-status')).toBe('error');
    await keepScreenshot(page, 'labeling-conflict');
    await page.getByTestId('conflict-mine').click();
    await expect.poll(() => page.getByTestId('save-status').getAttribute('data-status'), { timeout: 15_000 }).toBe('saved');
    const scratch = (await classes()).find((c) => c.name === 'scratch')!;
    expect((await client.invoke('labels.get', { taskId: task.id, imageId: theirs.imageId })).classIds).toEqual([scratch.id]);
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

  it('raised no console errors', () => {
    expect(errors).toEqual([]);
  });
});
