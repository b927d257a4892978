/**
 * Removing an image from the viewer, as a user does: the warning first, then the image leaves the
 * workspace (the grid shows one fewer) while its file stays on disk, byte for byte.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLabelingSession, smallImage, type LabelingSession } from './labeling-helpers';

describe('removing an image in the browser', () => {
  let session: LabelingSession;
  let tmp: string;
  let folder: string;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'loupe-e2e-remove-'));
    folder = path.join(tmp, 'images');
    mkdirSync(folder);
    for (let i = 0; i < 3; i++) writeFileSync(path.join(folder, `case-0${i + 1}.png`), encode(smallImage(i)));
    session = await openLabelingSession();
    const { page } = session;
    await page.getByTestId('workspace-path').fill(path.join(tmp, 'ws'));
    await page.getByTestId('workspace-create').click();
    await page.getByTestId('workspace-current').waitFor();
    await page.getByTestId('import-path').fill(folder);
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-summary').filter({ hasText: '3 imported' }).waitFor({ timeout: 60_000 });
  });
  afterAll(async () => {
    await session?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('warns, removes the image from the workspace and leaves its file alone', async () => {
    const { page } = session;
    const file = path.join(folder, 'case-02.png');
    const bytes = readFileSync(file);
    await page.getByTestId('tile-case-02.png').click();
    await page.getByTestId('remove-ask').click();
    expect(await page.getByTestId('remove-warning').textContent()).toMatch(/file stays on disk.*no undo/);
    await page.getByTestId('remove-confirm').click();
    await page.getByTestId('image-count').filter({ hasText: '2 images in this workspace' }).waitFor();
    expect(await page.getByTestId('tile-case-02.png').count()).toBe(0);
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(session.errors).toEqual([]);
  });
});
