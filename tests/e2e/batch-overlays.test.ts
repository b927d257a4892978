/**
 * The Batch section with a detection run and a verification run (tiny ones, trained through the
 * services): the form offers the gallery match to the verifier and not to the detector, and a
 * detector's batch opens each image with the boxes the batch predicted drawn over it; a verifier's
 * batch without the gallery says it has nothing to show, and one matched against references
 * enrolled from files shows each nearest reference's picture. A model folder outside the
 * workspace gets its gallery built in the form (FolderGallery.vue) and matched against; the verifier
 * exported with its gallery (Export section) is matched against by a batch on the bundle alone.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepScreenshot } from '../helpers/browser';
import { boxPairRuns, type BoxPairRuns } from '../helpers/box-pair-runs';
import { caller } from '../helpers/labels';
import { realServices } from '../helpers/services';
import { runBatchFromForm, predictionLine } from './batch-steps';
import { openWorkspaceInBrowser, type BrowserSession } from './browser-session';

describe('the Batch section with detection and verification runs', () => {
  let session: BrowserSession | undefined;
  let page: Page;
  let dir: string;
  let runs: BoxPairRuns;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-e2e-batch-overlays-'));
    const workspace = path.join(dir, 'ws');
    const { services, log } = realServices();
    const call = caller(services, log);
    await call('workspace.open', { path: workspace, create: true });
    runs = await boxPairRuns(call, dir);
    await services.dispose();
    session = await openWorkspaceInBrowser(workspace, { width: 1500, height: 1000 });
    page = session.page;
  }, 600_000);
  afterAll(async () => {
    session?.closeClient();
    await session?.browser.close();
    await session?.app.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("offers each run's own options: the gallery match to a verifier, neither option to a detector", async () => {
    await page.getByTestId('nav-batch').click();
    await page.getByTestId('batch-run').selectOption(runs.verificationRunId);
    await page.getByTestId('batch-gallery').waitFor();
    expect(await page.getByTestId('batch-explain').count()).toBe(0);
    expect(await page.getByTestId('batch-top-k').isDisabled()).toBe(true);
    await page.getByTestId('batch-gallery').check();
    expect(await page.getByTestId('batch-top-k').inputValue()).toBe('5');
    await page.getByTestId('batch-run').selectOption(runs.detectionRunId);
    expect(await page.getByTestId('batch-gallery').count()).toBe(0);
    expect(await page.getByTestId('batch-explain').count()).toBe(0);
  });

  it("draws a detector's predicted boxes over the image it opens", async () => {
    const out = path.join(dir, 'boxes-out');
    await runBatchFromForm(page, path.join(dir, 'shapes'), out);
    const first = page.getByTestId('batch-table').locator('tbody tr').first();
    const file = (await first.getAttribute('data-path'))!;
    const line = predictionLine<{ path: string; boxes: { class: string }[] }>(out, file);
    expect(line.boxes.length).toBeGreaterThan(0);
    await first.getByTestId('batch-open').click();
    await page.getByTestId('image-view').waitFor();
    const boxes = page.getByTestId('batch-boxes');
    await expect.poll(() => boxes.locator('rect').count()).toBe(line.boxes.length);
    expect(
      await boxes.locator('g[data-class]').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-class'))),
    ).toEqual(line.boxes.map((b) => b.class));
    expect(await page.getByTestId('batch-heatmap-note').textContent()).toContain(
      `${line.boxes.length} box${line.boxes.length === 1 ? '' : 'es'} predicted`,
    );
    await keepScreenshot(page, 'batch-boxes');
    // H hides the boxes and shows them again.
    await page.keyboard.press('h');
    await expect.poll(() => boxes.count()).toBe(0);
    await page.keyboard.press('h');
    await expect.poll(() => boxes.locator('rect').count()).toBe(line.boxes.length);
    expect(session!.errors).toEqual([]);
  });

  it("says a verifier's batch without the gallery match has nothing to show beside the image", async () => {
    await page.keyboard.press('Escape');
    await page.getByTestId('batch-run').selectOption(runs.verificationRunId);
    await page.getByTestId('batch-input-0').fill(path.join(dir, 'parts'));
    await page.getByTestId('batch-out').fill(path.join(dir, 'embeddings-out'));
    // Still ticked from the first test: this model has no gallery, so the batch is refused before it starts.
    expect(await page.getByTestId('batch-gallery').isChecked()).toBe(true);
    await page.getByTestId('batch-start').click();
    await expect.poll(() => page.getByTestId('batch-error').textContent()).toContain('has no enrolled references');
    expect(await page.getByTestId('batch-jobs').locator('li').count()).toBe(1);
    await page.getByTestId('batch-gallery').uncheck();
    await runBatchFromForm(page, path.join(dir, 'parts'), path.join(dir, 'embeddings-out'));
    await page.getByTestId('batch-table').locator('tbody tr').first().getByTestId('batch-open').click();
    await expect
      .poll(() => page.getByTestId('batch-heatmap-note').textContent())
      .toContain('This batch was not matched against the gallery');
    expect(await page.getByTestId('batch-matches').count()).toBe(0);
    expect(session!.errors).toEqual([]);
  });

  it("shows each nearest reference's picture beside a gallery match", async () => {
    await page.keyboard.press('Escape');
    // The parts' files enrolled as references, as `loupe gallery enrol` does (the Gallery tab's is in model-use).
    const parts = path.join(dir, 'parts');
    const { enrolled } = await session!.client.invoke('batch.galleryEnrol', {
      model: { runId: runs.verificationRunId },
      inputs: [parts],
    });
    expect(enrolled).toBeGreaterThan(5);
    await page.getByTestId('batch-gallery').check();
    await runBatchFromForm(page, parts, path.join(dir, 'matches-out'));
    await page.getByTestId('batch-table').locator('tbody tr').first().getByTestId('batch-open').click();
    const pictures = page.getByTestId('batch-match-picture');
    await expect.poll(() => page.getByTestId('batch-match').count()).toBe(5);
    await expect.poll(() => pictures.count()).toBe(5);
    // Each is the reference file's picture at its own size, drawn (not a broken image).
    type Picture = { naturalWidth: number; naturalHeight: number };
    for (const size of await pictures.evaluateAll((imgs) =>
      imgs.map((img) => [(img as unknown as Picture).naturalWidth, (img as unknown as Picture).naturalHeight]),
    ))
      expect(size).toEqual([32, 32]);
    await keepScreenshot(page, 'batch-gallery-matches');
    expect(session!.errors).toEqual([]);
  });

  it("builds a model folder's gallery in the form, and matches a batch against it", async () => {
    const model = path.join(dir, 'verifier-model');
    cpSync(path.join(dir, 'ws', 'runs', runs.verificationRunId, 'model'), model, { recursive: true });
    rmSync(path.join(model, 'gallery.json'), { force: true });
    await page.keyboard.press('Escape');
    await page.getByLabel('A model folder').check();
    // A folder whose model is not a verifier says so before any batch starts.
    await page.getByTestId('batch-model-dir').fill(path.join(dir, 'ws', 'runs', runs.detectionRunId, 'model'));
    await page.getByTestId('batch-gallery').check();
    await expect
      .poll(() => page.getByTestId('folder-gallery-error').textContent())
      .toContain('A gallery is for verification models');
    await page.getByTestId('batch-model-dir').fill(model);
    await expect.poll(() => page.getByTestId('folder-gallery-count').textContent()).toBe('0 references');
    await page.getByTestId('folder-gallery-path').fill(path.join(dir, 'parts'));
    await page.getByTestId('folder-gallery-label').selectOption('file');
    await page.getByTestId('folder-gallery-enrol').click();
    const rows = page.getByTestId('folder-gallery-reference');
    await expect.poll(() => rows.count(), { timeout: 60_000 }).toBeGreaterThan(5);
    const enrolled = await rows.count();
    expect(await page.getByTestId('folder-gallery-count').textContent()).toBe(`${enrolled} references`);
    await rows.first().getByTestId('folder-gallery-remove').click();
    await expect.poll(() => rows.count()).toBe(enrolled - 1);
    // What the form shows is the model folder's gallery.json, which the batch then matches against.
    const { references } = await session!.client.invoke('batch.gallery', { model: { dir: model } });
    expect(references).toHaveLength(enrolled - 1);
    const out = path.join(dir, 'folder-matches-out');
    await runBatchFromForm(page, path.join(dir, 'parts'), out);
    const lines = readFileSync(path.join(out, 'predictions.jsonl'), 'utf8').trimEnd().split('\n');
    const ids = new Set(references.map((r) => r.id));
    for (const line of lines.map((l) => JSON.parse(l) as { matches: { id: string }[] })) {
      expect(line.matches).toHaveLength(5);
      for (const match of line.matches) expect(ids.has(match.id)).toBe(true);
    }
    await keepScreenshot(page, 'batch-folder-gallery');
    expect(session!.errors).toEqual([]);
  });

  it('exports the verifier with its gallery, and a batch on the bundle alone matches against it', async () => {
    await page.getByTestId('nav-export').click();
    await page.getByTestId('export-run').selectOption(runs.verificationRunId);
    await page.getByTestId('export-format-onnx-int8').uncheck();
    await page.getByTestId('export-gallery').check();
    // The parts are 8- and 16-bit files, each scaled by its stored type: a graph bakes in one scaling.
    await page.getByTestId('export-preprocessing').uncheck();
    const folder = path.join(dir, 'verifier-export');
    await page.getByTestId('export-folder').fill(folder);
    await page.getByTestId('export-start').click();
    const row = page.getByTestId('export-result-onnx');
    await row.waitFor({ timeout: 180_000 });
    expect(await row.textContent()).toContain('gallery.json');
    // The run's gallery (enrolled above from the parts' files), carried under hashed ids.
    const { references } = await session!.client.invoke('batch.gallery', { model: { runId: runs.verificationRunId } });
    const bundle = path.join(folder, 'onnx');
    await page.getByTestId('nav-batch').click();
    await page.getByLabel('A model folder').check();
    await page.getByTestId('batch-model-dir').fill(bundle);
    await expect
      .poll(() => page.getByTestId('folder-gallery-count').textContent())
      .toBe(`${references.length} references`);
    // Shown, not changed: a bundle's gallery is the one exported with it.
    await page.getByTestId('folder-gallery-exported').waitFor();
    expect(await page.getByTestId('folder-gallery-enrol').count()).toBe(0);
    expect(await page.getByTestId('folder-gallery-remove').count()).toBe(0);
    const out = path.join(dir, 'bundle-matches-out');
    await runBatchFromForm(page, path.join(dir, 'parts'), out);
    const lines = readFileSync(path.join(out, 'predictions.jsonl'), 'utf8').trimEnd().split('\n');
    for (const line of lines.map((l) => JSON.parse(l) as { matches: { id: string }[] })) {
      expect(line.matches).toHaveLength(5);
      for (const match of line.matches) expect(match.id).toMatch(/^ref-[0-9a-f]{16}$/);
    }
    expect(session!.errors).toEqual([]);
  });
});
