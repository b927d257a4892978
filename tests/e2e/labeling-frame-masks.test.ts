/**
 * Masks per frame as a user draws them, in Chromium against browser mode, on a NIfTI volume
 * written by nibabel: the Label section opens the volume on its middle slice; PageDown shows the
 * next slice, a bucket fill there paints that slice's mask only (checked from a second client),
 * and stepping back and forth shows each slice with its own mask (none, then the painted one).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoupeApi } from '../../contract/client';
import { runReference } from '../helpers/python-reference';
import {
  createTaskInUi,
  imageToScreen,
  importThenLabel,
  openLabelingSession,
  overlayAlpha,
  viewerScreen,
  type LabelingSession,
} from './labeling-helpers';

const X = 64;
const Y = 48;
const SLICES = 4;
/** The slice the Label section opens a volume on (the viewer's middle frame). */
const OPENED = Math.floor((SLICES - 1) / 2);
const PAINTED = OPENED + 1;

describe('masks per frame of a volume in the browser', () => {
  let session: LabelingSession;
  let page: Page;
  let client: LoupeApi;
  let tmp: string;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'loupe-e2e-frames-'));
    const folder = path.join(tmp, 'images');
    mkdirSync(folder);
    runReference('nibabel_volumes.py', {
      dir: folder,
      cases: [
        {
          name: 'volume',
          shape: [X, Y, SLICES],
          dtype: 'int16',
          version: 1,
          gzip: true,
          endian: '<',
          zooms: [1, 1, 2],
          affine_codes: 'LPS',
          form: 'sform',
          seed: 3,
        },
      ],
    });
    session = await openLabelingSession();
    ({ page, client } = session);
    await importThenLabel(page, path.join(tmp, 'ws'), folder, '1 imported, 0 duplicates skipped, 0 failed');
  });
  afterAll(async () => {
    await session?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const saved = () =>
    expect.poll(() => page.getByTestId('save-status').getAttribute('data-status'), { timeout: 15_000 }).toBe('saved');
  const head = () => page.getByTestId('current-frame-masks').textContent();

  it('paints the shown slice’s mask and shows each slice with its own mask', async () => {
    const taskId = await createTaskInUi(page, client, 'Volume organs', 'segmentation', 'liver');
    await page.getByTestId('tile-volume.nii.gz').click();
    await page.getByTestId('mask-surface').waitFor();
    await expect.poll(head).toMatch(/no mask on this frame · masks on 0 of 4 frames/);
    const imageId = (await client.invoke('imaging.list', { offset: 0, limit: 10 })).items[0]!.id;

    await page.keyboard.press('PageDown');
    await expect.poll(() => page.getByText(`Frame ${PAINTED + 1} / ${SLICES}`).count()).toBe(1);
    await page.keyboard.press('1');
    await page.keyboard.press('g');
    const screen = await viewerScreen(page);
    const centre = imageToScreen(screen, X, Y, { x: X / 2, y: Y / 2 });
    await page.mouse.click(centre.x, centre.y);
    await saved();
    await expect.poll(head).toMatch(/this frame has a mask · masks on 1 of 4 frames/);
    expect(await overlayAlpha(page, X / 2, Y / 2)).toBe(255);

    // The fill landed on the slice shown, and only there.
    const painted = await client.invoke('labels.get', { taskId, imageId, frame: PAINTED });
    expect(painted.maskFrames).toEqual([PAINTED]);
    expect(painted.mask!.data.every((v) => v === 1)).toBe(true);
    expect((await client.invoke('labels.get', { taskId, imageId, frame: OPENED })).mask).toBeNull();

    await page.keyboard.press('PageUp');
    await expect.poll(head).toMatch(/no mask on this frame/);
    await expect.poll(() => overlayAlpha(page, X / 2, Y / 2)).toBe(0);
    await page.keyboard.press('PageDown');
    await expect.poll(head).toMatch(/this frame has a mask/);
    await expect.poll(() => overlayAlpha(page, X / 2, Y / 2)).toBe(255);
    expect(session.errors).toEqual([]);
  });
});
