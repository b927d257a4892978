/**
 * Labeling as a user does it, in Chromium against browser mode: import images through the UI,
 * make a task of each kind, label by keyboard, bulk-assign from the grid, draw, resize and nudge a
 * box, mark pairs, undo and redo each, then reload the page and find everything persisted —
 * checked in the UI and through the app's own channels from a second client. (Masks on a 16-bit
 * 2048² image: labeling-masks.test.ts.)
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
  SMALL,
  createTaskInUi,
  imageToScreen,
  importThenLabel,
  openLabelingSession,
  screenToImage,
  smallImage,
  viewerScreen,
  type LabelingSession,
} from './labeling-helpers';

describe('labeling in the browser', () => {
  let session: LabelingSession;
  let page: Page;
  let client: LoupeApi;
  let tmp: string;
  const taskIds: Record<string, number> = {};

  const smallNames = Array.from({ length: 6 }, (_, i) => `case-0${i + 1}.png`);

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'loupe-e2e-labeling-'));
    const folder = path.join(tmp, 'images');
    mkdirSync(folder);
    smallNames.forEach((name, i) => writeFileSync(path.join(folder, name), encode(smallImage(i))));
    session = await openLabelingSession();
    ({ page, client } = session);
    await importThenLabel(page, path.join(tmp, 'ws'), folder, '6 imported, 0 duplicates skipped, 0 failed');
  });
  afterAll(async () => {
    await session?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const tile = (name: string) => page.getByTestId(`tile-${name}`);
  const badges = (name: string) => tile(name).getByTestId('tile-badges').textContent();
  const saved = () =>
    expect.poll(() => page.getByTestId('save-status').getAttribute('data-status'), { timeout: 15_000 }).toBe('saved');
  const imageIdOf = async (name: string): Promise<number> =>
    (await client.invoke('imaging.list', { offset: 0, limit: 100 })).items.find((i) => i.fileName === name)!.id;

  const createTask = async (name: string, kind: string, classes: string) =>
    (taskIds[name] = await createTaskInUi(page, client, name, kind, classes));
  const selectTask = (name: string) => page.getByTestId('task-select').selectOption(String(taskIds[name]));

  it('makes a classification task and labels by keyboard, with undo and redo', async () => {
    await createTask('Findings', 'classification', 'normal, nodule, effusion');
    await expect.poll(() => page.getByTestId('current-image').textContent()).toBe('case-01.png');
    await page.keyboard.press('1');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('2');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('3');
    await expect.poll(() => page.getByTestId('current-classes').textContent()).toBe('effusion');
    expect(await badges('case-01.png')).toBe('normal');
    expect(await badges('case-02.png')).toBe('nodule');
    // Undo and redo on the shown image.
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.getByTestId('current-classes').textContent()).toBe('no class');
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(() => page.getByTestId('current-classes').textContent()).toBe('effusion');
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+y');
    await expect.poll(() => badges('case-03.png')).toBe('effusion');
    await saved();
    // Delete clears the shown image's classes (saved as none); undo brings them back.
    const case03 = await imageIdOf('case-03.png');
    const savedClasses = async () =>
      (await client.invoke('labels.get', { taskId: taskIds.Findings!, imageId: case03 })).classIds.length;
    await page.keyboard.press('Delete');
    await expect.poll(() => page.getByTestId('current-classes').textContent()).toBe('no class');
    await expect.poll(savedClasses, { timeout: 15_000 }).toBe(0);
    await page.keyboard.press('Control+z');
    await expect.poll(() => badges('case-03.png')).toBe('effusion');
    await expect.poll(savedClasses, { timeout: 15_000 }).toBe(1);
    await saved();
    // The filter: three images carry no class yet (case-04 to -06).
    await page.getByTestId('grid-filter').selectOption('unlabeled');
    await expect.poll(() => page.getByTestId('grid-count').textContent()).toBe('3 shown');
    await page.getByTestId('grid-filter').selectOption('all');
  });

  it('bulk-assigns a multi-selection from the grid and undoes it', async () => {
    await tile('case-04.png').click();
    await tile('case-06.png').click({ modifiers: ['Shift'] });
    await expect.poll(() => page.getByTestId('grid-count').textContent()).toBe('6 shown · 3 selected');
    await page.keyboard.press('2');
    await expect.poll(() => badges('case-05.png')).toBe('nodule');
    expect(await badges('case-06.png')).toBe('nodule');
    await page.keyboard.press('Control+z');
    await expect.poll(() => badges('case-05.png')).toBe('');
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(() => badges('case-04.png')).toBe('nodule');
    await keepScreenshot(page, 'labeling-classification');
    const { images } = await client.invoke('labels.summary', { taskId: taskIds.Findings! });
    const classes = (await client.invoke('labels.tasks', {})).tasks.find((t) => t.name === 'Findings')!.classes;
    const named = (ids: number[]) => ids.map((id) => classes.find((c) => c.id === id)!.name);
    const expected: Record<string, string[]> = {
      'case-01.png': ['normal'],
      'case-02.png': ['nodule'],
      'case-03.png': ['effusion'],
      'case-04.png': ['nodule'],
      'case-05.png': ['nodule'],
      'case-06.png': ['nodule'],
    };
    for (const [name, want] of Object.entries(expected)) {
      const id = await imageIdOf(name);
      expect(named(images.find((i) => i.imageId === id)!.classIds), name).toEqual(want);
    }
  });

  it('draws, resizes, nudges and deletes boxes, with undo and redo', async () => {
    await createTask('Parts', 'detection', 'crack, pore');
    await tile('case-02.png').click();
    await page.getByTestId('box-surface').waitFor();
    await page.keyboard.press('1');
    const screen = await viewerScreen(page);
    const at = (x: number, y: number) => imageToScreen(screen, SMALL.width, SMALL.height, { x, y });
    const a = at(10, 8);
    const b = at(30, 20);
    await page.mouse.move(a.x, a.y);
    await page.mouse.down();
    await page.mouse.move(b.x, b.y, { steps: 5 });
    await page.mouse.up();
    await page.getByTestId('box-0').waitFor();
    // Resize by the south-east handle to (40, 30), then nudge right by 1 with the arrow key.
    const handle = (await page.getByTestId('box-handle-se').boundingBox())!;
    const c = at(40, 30);
    await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
    await page.mouse.down();
    await page.mouse.move(c.x, c.y, { steps: 5 });
    await page.mouse.up();
    await page.keyboard.press('ArrowRight');
    await saved();
    const id = await imageIdOf('case-02.png');
    const [box] = (await client.invoke('labels.get', { taskId: taskIds.Parts!, imageId: id })).boxes;
    const corner = screenToImage(screen, SMALL.width, SMALL.height, a);
    const far = screenToImage(screen, SMALL.width, SMALL.height, c);
    expect(box!.x1).toBeCloseTo(corner.x + 1, 6);
    expect(box!.y1).toBeCloseTo(corner.y, 6);
    expect(box!.x2).toBeCloseTo(far.x + 1, 6);
    expect(box!.y2).toBeCloseTo(far.y, 6);
    // Class 2 on the selected box, undone and redone.
    await page.keyboard.press('2');
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+z');
    await saved();
    const undone = (await client.invoke('labels.get', { taskId: taskIds.Parts!, imageId: id })).boxes[0]!;
    expect(undone.x1).toBeCloseTo(corner.x, 6);
    await page.keyboard.press('Control+y');
    await saved();
    expect((await client.invoke('labels.get', { taskId: taskIds.Parts!, imageId: id })).boxes[0]!.x1).toBeCloseTo(
      corner.x + 1,
      6,
    );
    // Copy to the next image, then delete it there.
    await page.keyboard.press('Escape');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.getByTestId('current-image').textContent()).toBe('case-03.png');
    await page.keyboard.press('c');
    await page.getByTestId('box-0').waitFor();
    await page.getByTestId('box-0').click();
    await page.keyboard.press('Delete');
    await expect.poll(() => page.getByTestId('box-0').count()).toBe(0);
    await page.keyboard.press('ArrowLeft');
    await page.getByTestId('box-0').waitFor();
    // Drag the box's body: it moves by the drag; Ctrl+Z puts it back.
    const before = (await client.invoke('labels.get', { taskId: taskIds.Parts!, imageId: id })).boxes[0]!;
    const inside = at(20, 20);
    const moved = at(25, 22);
    await page.mouse.move(inside.x, inside.y);
    await page.mouse.down();
    await page.mouse.move(moved.x, moved.y, { steps: 4 });
    await page.mouse.up();
    await saved();
    const dragged = (await client.invoke('labels.get', { taskId: taskIds.Parts!, imageId: id })).boxes[0]!;
    const shift =
      screenToImage(screen, SMALL.width, SMALL.height, moved).x -
      screenToImage(screen, SMALL.width, SMALL.height, inside).x;
    expect(dragged.x1 - before.x1).toBeCloseTo(shift, 6);
    expect(dragged.x2 - dragged.x1).toBeCloseTo(before.x2 - before.x1, 6);
    await page.keyboard.press('Control+z');
    await saved();
    expect((await client.invoke('labels.get', { taskId: taskIds.Parts!, imageId: id })).boxes[0]).toEqual(before);
    await keepScreenshot(page, 'labeling-boxes');
    await saved();
  });

  it('marks pairs side by side, undoes one, deletes one', async () => {
    await createTask('Same part', 'verification', '');
    await tile('case-01.png').click();
    await page.keyboard.press('a');
    await tile('case-02.png').click();
    await page.keyboard.press('s');
    await expect.poll(() => page.getByTestId('pair-total').textContent()).toBe('1 pair');
    // B moved on to case-03 by itself.
    await expect.poll(() => page.getByTestId('pair-b').textContent()).toContain('case-03.png');
    await page.keyboard.press('d');
    await expect.poll(() => page.getByTestId('pair-total').textContent()).toBe('2 pairs');
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.getByTestId('pair-total').textContent()).toBe('1 pair');
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(() => page.getByTestId('pair-total').textContent()).toBe('2 pairs');
    // X swaps A and B (and back); marking is unchanged by it.
    const shown = async (slot: 'a' | 'b') =>
      /[\w-]+\.png/.exec((await page.getByTestId(`pair-${slot}`).textContent()) ?? '')?.[0];
    const [a, b] = [await shown('a'), await shown('b')];
    expect(a).toBe('case-01.png');
    expect(b).toBeDefined();
    expect(b).not.toBe(a);
    await page.keyboard.press('x');
    await expect.poll(() => shown('a')).toBe(b);
    expect(await shown('b')).toBe(a);
    await page.keyboard.press('x');
    await expect.poll(() => shown('a')).toBe(a);
    expect(await shown('b')).toBe(b);
    expect(await page.getByTestId('pair-total').textContent()).toBe('2 pairs');
    await keepScreenshot(page, 'labeling-pairs');
    // The newest (case-01 / case-03, different) is listed first; delete it.
    await page.getByTestId('pair-delete').first().click();
    await expect.poll(() => page.getByTestId('pair-total').textContent()).toBe('1 pair');
    const { pairs } = await client.invoke('labels.pairs', { taskId: taskIds['Same part']!, offset: 0, limit: 10 });
    expect(pairs.map((p) => [p.imageA, p.imageB, p.same])).toEqual([
      [await imageIdOf('case-01.png'), await imageIdOf('case-02.png'), true],
    ]);
    // Balanced pairs from the classification task's labels (removed again through the API: the reload below expects the marked pair only).
    await page.getByText('Generate pairs from class labels').click();
    await page.getByTestId('generate-positives').fill('3');
    await page.getByTestId('generate-pairs').click();
    await expect
      .poll(() => page.getByTestId('generate-result').textContent())
      .toMatch(/^\s*(\d+) same and \1 different pairs made/);
    const made = Number(/(\d+) same/.exec((await page.getByTestId('generate-result').textContent())!)![1]);
    expect(made).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('pair-total').textContent()).toBe(`${1 + 2 * made} pairs`);
    const generated = (
      await client.invoke('labels.pairs', { taskId: taskIds['Same part']!, offset: 0, limit: 100 })
    ).pairs.filter((p) => p.source === 'generated');
    await client.invoke('labels.deletePairs', { taskId: taskIds['Same part']!, pairIds: generated.map((p) => p.id) });
  });

  it('finds everything after a reload of the page', async () => {
    await page.reload();
    await page.getByTestId('section-label').waitFor();
    await selectTask('Findings');
    await expect.poll(() => badges('case-01.png')).toBe('normal');
    expect(await badges('case-03.png')).toBe('effusion');
    expect(await badges('case-06.png')).toBe('nodule');
    await selectTask('Parts');
    await tile('case-02.png').click();
    await page.getByTestId('box-0').waitFor();
    expect(await page.getByTestId('box-1').count()).toBe(0);
    await selectTask('Same part');
    await expect.poll(() => page.getByTestId('pair-total').textContent()).toBe('1 pair');
  });

  it('raised no console errors', () => {
    expect(session.errors).toEqual([]);
  });
});
