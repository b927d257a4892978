/**
 * Auto-advance, as a user labels with it: ticked, each class key labels the shown image and moves
 * to the next one, so four images take four keys; unticked, a key stays on its image.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encode } from 'fast-png';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoupeApi } from '../../contract/client';
import {
  createTaskInUi,
  importThenLabel,
  openLabelingSession,
  smallImage,
  type LabelingSession,
} from './labeling-helpers';

describe('auto-advance in the browser', () => {
  let session: LabelingSession;
  let page: Page;
  let client: LoupeApi;
  let tmp: string;
  const names = Array.from({ length: 5 }, (_, i) => `case-0${i + 1}.png`);

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'loupe-e2e-advance-'));
    const folder = path.join(tmp, 'images');
    mkdirSync(folder);
    names.forEach((name, i) => writeFileSync(path.join(folder, name), encode(smallImage(i))));
    session = await openLabelingSession();
    ({ page, client } = session);
    await importThenLabel(page, path.join(tmp, 'ws'), folder, '5 imported, 0 duplicates skipped, 0 failed');
  });
  afterAll(async () => {
    await session?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const badges = (name: string) => page.getByTestId(`tile-${name}`).getByTestId('tile-badges').textContent();
  const current = () => page.getByTestId('current-image').textContent();

  it('labels one image per key and moves on', async () => {
    await createTaskInUi(page, client, 'Findings', 'classification', 'normal, nodule');
    await expect.poll(current).toBe('case-01.png');
    await page.getByTestId('auto-advance').locator('input').check();
    for (const key of ['1', '2', '2', '1']) await page.keyboard.press(key);
    await expect.poll(current).toBe('case-05.png');
    expect(await badges('case-01.png')).toBe('normal');
    expect(await badges('case-02.png')).toBe('nodule');
    expect(await badges('case-03.png')).toBe('nodule');
    expect(await badges('case-04.png')).toBe('normal');
    await expect
      .poll(() => page.getByTestId('save-status').getAttribute('data-status'), { timeout: 15_000 })
      .toBe('saved');
    // Unticked, a class key labels the shown image and stays on it.
    await page.getByTestId('auto-advance').locator('input').uncheck();
    await page.keyboard.press('2');
    await expect.poll(() => badges('case-05.png')).toBe('nodule');
    expect(await current()).toBe('case-05.png');
    expect(session.errors).toEqual([]);
  });
});
