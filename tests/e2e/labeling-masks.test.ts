/**
 * Segmentation masks as a user paints them, in Chromium against browser mode, on a 16-bit 2048²
 * image: brush and eraser strokes while the window stays live (stroke latency measured), the
 * polygon, bucket, hole fill, magic wand, overlay opacity and show/hide, per-class visibility,
 * undo; then a reload finds the mask persisted. Checked in the UI and from a second client.
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
  BIG,
  bigImage,
  createTaskInUi,
  imageToScreen,
  importThenLabel,
  openLabelingSession,
  overlayAlpha,
  strokeLatencySummary,
  viewerScreen,
  type LabelingSession,
} from './labeling-helpers';

describe('painting masks in the browser', () => {
  let session: LabelingSession;
  let page: Page;
  let client: LoupeApi;
  let tmp: string;
  const taskIds: Record<string, number> = {};

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'loupe-e2e-masks-'));
    const folder = path.join(tmp, 'images');
    mkdirSync(folder);
    writeFileSync(path.join(folder, BIG.name), encode(bigImage()));
    session = await openLabelingSession();
    ({ page, client } = session);
    await importThenLabel(page, path.join(tmp, 'ws'), folder, '1 imported, 0 duplicates skipped, 0 failed');
  });
  afterAll(async () => {
    await session?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const tile = (name: string) => page.getByTestId(`tile-${name}`);
  const saved = () =>
    expect.poll(() => page.getByTestId('save-status').getAttribute('data-status'), { timeout: 15_000 }).toBe('saved');
  const imageIdOf = async (name: string): Promise<number> =>
    (await client.invoke('imaging.list', { offset: 0, limit: 100 })).items.find((i) => i.fileName === name)!.id;
  const createTask = async (name: string, kind: string, classes: string) =>
    (taskIds[name] = await createTaskInUi(page, client, name, kind, classes));

  it('paints and erases a mask on a 16-bit 2048² image while the window stays live, and reports stroke latency', async () => {
    await createTask('Organs', 'segmentation', 'liver, lesion');
    await tile(BIG.name).click();
    await expect.poll(() => page.getByTestId('current-image').textContent()).toBe(BIG.name);
    await page.getByTestId('mask-surface').waitFor();
    await page.keyboard.press('1');
    await page.keyboard.press('b');
    for (let i = 0; i < 3; i++) await page.keyboard.press(']');
    await expect.poll(() => page.getByTestId('brush-diameter').textContent()).toBe('48 px');
    const screen = await viewerScreen(page);
    const at = (x: number, y: number) => imageToScreen(screen, BIG.size, BIG.size, { x, y });
    // A horizontal stroke across the middle, then an eraser stroke down through its centre.
    const from = at(400, 1024);
    const to = at(1600, 1024);
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(to.x, to.y, { steps: 40 });
    await page.mouse.up();
    // The first stroke creates the mask; a second one over it, after a whole repaint to compare with.
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+Shift+z');
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(to.x, to.y, { steps: 40 });
    await page.mouse.up();
    const latency = await strokeLatencySummary(page);
    const ms = (d: { median: number; p95: number }) => `median ${d.median.toFixed(2)} ms, p95 ${d.p95.toFixed(2)} ms`;
    console.log(
      `stroke on ${BIG.size}² 16-bit, ${latency.events} pointer events: event → painted ${ms(latency.paint)}; event → next frame ${ms(latency.frame)}; ` +
        `handler work ${ms(latency.work)} vs ${latency.wholeRepaint.toFixed(2)} ms for one whole-mask repaint (${(latency.wholeRepaint / latency.work.median).toFixed(0)}×)`,
    );
    expect(latency.events).toBeGreaterThan(10);
    await page.keyboard.press('e');
    const top = at(1000, 900);
    const bottom = at(1000, 1150);
    await page.mouse.move(top.x, top.y);
    await page.mouse.down();
    await page.mouse.move(bottom.x, bottom.y, { steps: 10 });
    await page.mouse.up();
    // The overlay shows the stroke at once: coloured left of the erased band, clear inside it.
    const alpha = (x: number, y: number) => overlayAlpha(page, x, y);
    expect(await alpha(600, 1024)).toBe(255);
    expect(await alpha(1000, 1024)).toBe(0);
    // Right-drag changes the window of the 16-bit image under the mask.
    const windowBefore = await page.getByTestId('window-label').textContent();
    await page.mouse.move(screen.left + 40, screen.top + 40);
    await page.mouse.down({ button: 'right' });
    await page.mouse.move(screen.left + 120, screen.top + 10, { steps: 4 });
    await page.mouse.up({ button: 'right' });
    expect(await page.getByTestId('window-label').textContent()).not.toBe(windowBefore);
    expect(await alpha(600, 1024)).toBe(255);
    // Magic wand on the bright disk with the second class.
    await page.keyboard.press('2');
    await page.keyboard.press('w');
    await page.getByTestId('wand-tolerance').fill('5000');
    const disk = at(BIG.disk.x, BIG.disk.y);
    await page.mouse.click(disk.x, disk.y);
    await saved();
    await keepScreenshot(page, 'labeling-segmentation');
    const labels = await client.invoke('labels.get', { taskId: taskIds.Organs!, imageId: await imageIdOf(BIG.name) });
    const mask = labels.mask!;
    const value = (x: number, y: number) => mask.data[y * mask.width + x];
    expect(value(600, 1024)).toBe(1);
    expect(value(1000, 1024)).toBe(0);
    expect(value(1000, 700)).toBe(0);
    let lesion = 0;
    for (const v of mask.data) if (v === 2) lesion++;
    expect(lesion).toBe(BIG.diskPixels);
    // Undo the wand, redo it: one step each.
    await page.keyboard.press('Control+z');
    await expect.poll(() => alpha(BIG.disk.x, BIG.disk.y)).toBe(0);
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(() => alpha(BIG.disk.x, BIG.disk.y)).toBe(255);
    await saved();
  });

  it('fills a polygon, recolours it with the bucket, fills a hole in it, and hides a class', async () => {
    const screen = await viewerScreen(page);
    const at = (x: number, y: number) => imageToScreen(screen, BIG.size, BIG.size, { x, y });
    const alpha = (x: number, y: number) => overlayAlpha(page, x, y);
    await page.keyboard.press('1');
    await page.keyboard.press('p');
    for (const [x, y] of [
      [300, 1500],
      [800, 1500],
      [550, 1950],
    ] as const)
      await page.mouse.click(at(x, y).x, at(x, y).y);
    await page.keyboard.press('Enter');
    await expect.poll(() => alpha(550, 1650)).toBe(255);
    // The bucket turns the triangle (a region of its own) into the second class.
    await page.keyboard.press('2');
    await page.keyboard.press('g');
    await page.mouse.click(at(550, 1650).x, at(550, 1650).y);
    // A hole erased in the middle, then filled back with Shift+H.
    await page.keyboard.press('e');
    const hole = at(550, 1650);
    await page.mouse.move(hole.x, hole.y);
    await page.mouse.down();
    await page.mouse.up();
    await expect.poll(() => alpha(550, 1650)).toBe(0);
    await page.keyboard.press('Shift+H');
    await expect.poll(() => alpha(550, 1650)).toBe(255);
    // Hiding the second class hides the triangle and the disk on the overlay, not in the mask.
    await page.getByTestId('legend-visibility-lesion').click();
    await expect.poll(() => alpha(550, 1650)).toBe(0);
    expect(await alpha(600, 1024)).toBe(255);
    await page.getByTestId('legend-visibility-lesion').click();
    await expect.poll(() => alpha(BIG.disk.x, BIG.disk.y)).toBe(255);
    // The opacity slider sets the overlay's opacity; O hides and shows it, and the "shown" box follows.
    // String expressions: this file is type-checked without the DOM library (as overlayAlpha does).
    const overlayStyle = (): Promise<string> =>
      page.evaluate(
        `(() => { const s = getComputedStyle(document.querySelector('[data-testid="mask-canvas"]')); return s.display + ' ' + s.opacity; })()`,
      );
    const setOpacity = (value: string) =>
      page.evaluate(
        `(() => { const el = document.querySelector('[data-testid="overlay-opacity"]'); el.value = '${value}'; el.dispatchEvent(new Event('input', { bubbles: true })); })()`,
      );
    const opacity = await page.getByTestId('overlay-opacity').inputValue();
    await setOpacity('0.3');
    await expect.poll(overlayStyle).toBe('block 0.3');
    await page.keyboard.press('o');
    await expect.poll(overlayStyle).toBe('none 0.3');
    expect(await page.getByTestId('overlay-visible').isChecked()).toBe(false);
    await page.keyboard.press('o');
    await expect.poll(overlayStyle).toBe('block 0.3');
    expect(await page.getByTestId('overlay-visible').isChecked()).toBe(true);
    await setOpacity(opacity);
    await expect.poll(overlayStyle).toBe(`block ${opacity}`);
    await saved();
    const mask = (await client.invoke('labels.get', { taskId: taskIds.Organs!, imageId: await imageIdOf(BIG.name) }))
      .mask!;
    expect(mask.data[1650 * mask.width + 550]).toBe(2);
    expect(mask.data[1520 * mask.width + 550]).toBe(2);
    expect(mask.data[1520 * mask.width + 250]).toBe(0);
  });

  it('finds the mask after a reload of the page', async () => {
    await page.reload();
    await page.getByTestId('section-label').waitFor();
    await page.getByTestId('task-select').selectOption(String(taskIds.Organs));
    await tile(BIG.name).click();
    await page.getByTestId('mask-surface').waitFor();
    const alpha = (x: number, y: number) => overlayAlpha(page, x, y);
    await expect.poll(() => alpha(600, 1024)).toBe(255);
    expect(await alpha(1000, 1024)).toBe(0);
    expect(await alpha(BIG.disk.x, BIG.disk.y)).toBe(255);
  });

  it('raised no console errors', () => {
    expect(session.errors).toEqual([]);
  });
});
