/**
 * A finished run's model used on workspace images, as a user does it in Chromium against browser
 * mode. Tiny detection and verification runs are trained over the contract (few images, few epochs:
 * this checks the path, not how well they learn — the engine's quality tests do that). Then: in
 * the Label section a detection run proposes boxes on an unlabelled image, they appear as drafts
 * with scores, one is accepted and saved; in the Train section a verification run compares a
 * pair (score and decision, the threshold on its ROC with the EER point), enrols references in
 * its gallery (picked in the grid, and a folder's files) and is queried with another image.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encode } from 'fast-png';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoupeApi } from '../../contract/client';
import { Services } from '../../main/services/index';
import { memoryLogger } from '../../main/services/logger';
import { detectionSet, SHAPE_CLASSES } from '../fixtures/detection-shapes';
import { partSet } from '../fixtures/verification-parts';
import { type RunningApp } from '../helpers/app';
import { keepScreenshot } from '../helpers/browser';
import { caller } from '../helpers/labels';
import { openWorkspaceInBrowser } from './browser-session';

/** Enough to finish a run and have a model; not to learn well. */
const EPOCHS = 2;
/** A detector after 2 epochs predicts boxes too small to keep; this many (a few seconds here) gives it sizes. */
const DETECTION_EPOCHS = 20;
/** Labelled shape images: from 16, 20 epochs left every predicted box under a pixel wide (none to propose). */
const SHAPE_IMAGES = 48;
/** A shape image with no boxes, for the detector to propose on. */
const FRESH = 'unlabelled-shapes.png';

function writePng(
  file: string,
  image: { width: number; height: number; bitDepth: 8 | 16; pixels: Uint8Array | Uint16Array },
): void {
  writeFileSync(
    file,
    encode({ width: image.width, height: image.height, data: image.pixels, depth: image.bitDepth, channels: 1 }),
  );
}

describe('using a finished run’s model in the browser', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let dir: string;
  let client: LoupeApi;
  let closeClient: () => void;
  let detectionTask: number;
  let verificationRun: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-e2e-models-'));
    const workspace = path.join(dir, 'ws');
    const parts = path.join(dir, 'parts');
    const shapes = path.join(dir, 'shapes');
    mkdirSync(parts);
    mkdirSync(shapes);
    const views = partSet({ identities: 8, viewsPerIdentity: 4, seed: 3 });
    const partName = (v: number) => `part${views[v]!.identity}-view${v % 4}.png`;
    views.forEach((view, v) => writePng(path.join(parts, partName(v)), view));
    // Reference images outside the workspace, a folder per part, and one file that is no image.
    for (const v of [20, 24]) {
      mkdirSync(path.join(dir, 'refs', `part-${views[v]!.identity}`), { recursive: true });
      writePng(path.join(dir, 'refs', `part-${views[v]!.identity}`, 'front.png'), views[v]!);
    }
    mkdirSync(path.join(dir, 'refs', 'odd'));
    writeFileSync(path.join(dir, 'refs', 'odd', 'broken.png'), 'not a picture');
    const samples = detectionSet({ count: SHAPE_IMAGES + 1, seed: 7, size: 64 });
    samples.forEach((s, i) => writePng(path.join(shapes, i === SHAPE_IMAGES ? FRESH : `shape-${i}.png`), s));

    // Labels made through the services, as the labeling tests already cover doing it in the UI.
    const log = memoryLogger();
    const services = new Services({
      host: 'cli',
      version: 'test',
      log,
      spawnEngine: () => {
        throw new Error('setup needs no engine');
      },
    });
    const call = caller(services, log);
    await call('workspace.open', { path: workspace, create: true });
    // Parts first: their tiles lead the image grids the pair and gallery views pick from, and their
    // task is split before the shapes arrive (whole parts per split: both kinds of pair in each).
    await call('imaging.import', { paths: [parts] });
    let ids = new Map((await call('imaging.list', { limit: 1000 })).items.map((i) => [i.fileName, i.id]));
    const partTask = await call('labels.createTask', { name: 'Same part', kind: 'verification' });
    for (let v = 0; v < views.length; v++) {
      const pair = (w: number, same: boolean) =>
        call('labels.addPair', {
          taskId: partTask.id,
          imageA: ids.get(partName(v))!,
          imageB: ids.get(partName(w))!,
          same,
        });
      if (v % 4 !== 3) await pair(v + 1, true);
      if (v % 4 === 0) for (let w = v + 4; w < views.length; w += 4) for (const k of [0, 1]) await pair(w + k, false);
    }
    await call('labels.assignSplits', {
      taskId: partTask.id,
      fractions: { train: 0.5, val: 0.25, test: 0.25 },
      groupBy: { kind: 'filename', pattern: '^(part\\d+)-' },
      seed: 4,
    });
    await call('imaging.import', { paths: [shapes] });
    ids = new Map((await call('imaging.list', { limit: 1000 })).items.map((i) => [i.fileName, i.id]));
    const shapeTask = await call('labels.createTask', {
      name: 'Shapes',
      kind: 'detection',
      classes: SHAPE_CLASSES.map((name) => ({ name })),
    });
    for (const [i, sample] of samples.slice(0, SHAPE_IMAGES).entries()) {
      const boxes = sample.objects.map(({ box, classId }) => ({
        classId: shapeTask.classes[classId]!.id,
        x1: box[0],
        y1: box[1],
        x2: box[2],
        y2: box[3],
      }));
      await call('labels.save', {
        taskId: shapeTask.id,
        imageId: ids.get(`shape-${i}.png`)!,
        saveId: `s${i}`,
        baseRevision: 0,
        boxes,
      });
    }
    await call('labels.assignSplits', {
      taskId: shapeTask.id,
      fractions: { train: 0.6, val: 0.2, test: 0.2 },
      groupBy: { kind: 'image' },
      seed: 2,
    });
    await services.dispose();
    detectionTask = shapeTask.id;

    ({ app, browser, page, errors, client, closeClient } = await openWorkspaceInBrowser(workspace, {
      width: 1400,
      height: 1000,
    }));

    // Trained over the contract, one after the other (one run trains at a time).
    const train = async (taskId: number, epochs: number): Promise<string> => {
      const defaults = await client.invoke('training.defaults', { taskId });
      const run = await client.invoke('training.start', { taskId, config: { ...defaults.config, epochs } });
      const finished = await client.invoke('training.watch', { runId: run.runId });
      expect(finished.state, finished.error ?? '').toBe('completed');
      return run.runId;
    };
    await train(shapeTask.id, DETECTION_EPOCHS);
    verificationRun = await train(partTask.id, EPOCHS);
  }, 600_000);
  afterAll(async () => {
    closeClient?.();
    await browser?.close();
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const drafts = () => page.locator('g.draft-box');

  it('proposes boxes as scored drafts on an unlabelled image (M), and an accepted draft is saved', async () => {
    await page.getByTestId('nav-label').click();
    await page.getByTestId('task-select').selectOption(String(detectionTask));
    // The fresh image sorts last in its folder: its tile is at the end of the (virtualised) grid.
    await page.getByTestId('thumbnail-grid').evaluate((grid) => grid.scrollTo(0, grid.scrollHeight));
    await page.getByTestId(`tile-${FRESH}`).click();
    await expect.poll(() => page.getByTestId('current-image').textContent()).toBe(FRESH);
    await page.getByTestId('propose-run').waitFor();
    // An untrained-looking model scores low: take every box it finds.
    await page.getByTestId('propose-threshold').fill('0');
    await page.getByTestId('propose-threshold').press('Enter');
    await page.getByTestId('propose-threshold').blur();
    await page.keyboard.press('m');
    await expect
      .poll(() => page.getByTestId('propose-outcome').textContent(), { timeout: 30_000 })
      .toMatch(/^\s*\d+ box(es)? proposed at score ≥ 0\.00/);
    const count = await drafts().count();
    expect(count).toBeGreaterThan(0);
    expect(await page.getByTestId('draft-count').textContent()).toBe(`${count} draft${count === 1 ? '' : 's'}`);
    expect(await drafts().first().textContent()).toMatch(/draft · (disc|square|triangle|scratch) [01]\.\d\d/);
    await keepScreenshot(page, 'model-proposed-drafts');

    // The last draft is the one a click inside it picks (drafts drawn later are on top).
    const rect = (await drafts().last().locator('rect').boundingBox())!;
    await page.mouse.click(rect.x + rect.width / 2, rect.y + rect.height / 2);
    await page.getByTestId('draft-accept').click();
    await expect.poll(() => drafts().count()).toBe(count - 1);
    await page.getByTestId('box-0').waitFor();
    const imageId = (await client.invoke('imaging.list', { limit: 1000 })).items.find((i) => i.fileName === FRESH)!.id;
    await expect
      .poll(async () => (await client.invoke('labels.get', { taskId: detectionTask, imageId })).boxes.length, {
        timeout: 15_000,
      })
      .toBe(1);
  });

  it('marks the EER point and the model’s threshold on a verification run’s ROC', async () => {
    await page.getByTestId('nav-train').click();
    await page.getByTestId(`run-row-${verificationRun}`).click();
    await page.getByTestId('run-tabs').waitFor();
    await expect.poll(() => page.getByTestId('roc-eer').textContent()).toMatch(/EER point: FAR = FRR = [01]\.\d{3}/);
    expect(await page.getByTestId('roc-chart').getAttribute('data-marks')).toMatch(
      /^EER [01]\.\d{3} \| model threshold -?\d\.\d{3}$/,
    );
  });

  it('compares a pair: score and decision, and another threshold tried on the ROC', async () => {
    await page.getByTestId('run-tab-pair').click();
    await page.getByTestId('tile-part0-view0.png').click();
    await page.getByTestId('tile-part0-view1.png').click();
    await page.getByTestId('pair-compare-run').click();
    await expect
      .poll(() => page.getByTestId('pair-score').textContent(), { timeout: 30_000 })
      .toMatch(/similarity -?[01]\.\d{3}/);
    expect(await page.getByTestId('pair-decision').textContent()).toMatch(/^(Same|Different)$/);
    expect(await page.getByTestId('pair-decided-at').textContent()).toContain("the model's");
    const score = Number(/similarity (-?[\d.]+)/.exec((await page.getByTestId('pair-score').textContent())!)![1]);
    // A threshold just above the score decides "different", just below "same".
    for (const [threshold, decision] of [
      [score + 0.01, 'Different'],
      [score - 0.01, 'Same'],
    ] as const) {
      await page.getByTestId('pair-threshold').fill(threshold.toFixed(3));
      await page.getByTestId('pair-threshold').press('Enter');
      await page.getByTestId('roc-trial-point').waitFor();
      await page.getByTestId('pair-compare-run').click();
      await expect
        .poll(() => page.getByTestId('pair-decided-at').textContent())
        .toContain(`threshold ${threshold.toFixed(3)}`);
      expect(await page.getByTestId('pair-decision').textContent()).toBe(decision);
    }
    await keepScreenshot(page, 'model-pair');
  });

  it('enrols references, queries the gallery with another image, and removes a reference', async () => {
    await page.getByTestId('run-tab-gallery').click();
    await expect.poll(() => page.getByTestId('gallery-count').textContent()).toBe('0 references');
    await page.getByTestId('tile-part0-view0.png').click();
    await page.getByTestId('tile-part1-view0.png').click({ modifiers: ['Control'] });
    await page.getByTestId('tile-part2-view0.png').click({ modifiers: ['Control'] });
    expect(await page.getByTestId('gallery-picked').textContent()).toBe('3 images picked');
    await page.getByTestId('gallery-enrol').click();
    await expect.poll(() => page.getByTestId('gallery-count').textContent(), { timeout: 30_000 }).toBe('3 references');
    await page.getByTestId('tile-part0-view2.png').click();
    await page.getByTestId('gallery-query').click();
    await expect.poll(() => page.getByTestId('gallery-match').count(), { timeout: 30_000 }).toBe(3);
    const scores = (await page.getByTestId('gallery-match-score').allTextContents()).map(Number);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    for (const d of await page.getByTestId('gallery-match-decision').allTextContents())
      expect(d).toMatch(/^(same|different)$/);
    await keepScreenshot(page, 'model-gallery');
    await page.getByTestId('gallery-remove').first().click();
    await expect.poll(() => page.getByTestId('gallery-count').textContent()).toBe('2 references');
    expect((await client.invoke('models.gallery', { runId: verificationRun })).references).toHaveLength(2);

    // A folder of reference images outside the workspace, labelled by their folders; the file that is no image is named.
    const refs = path.join(dir, 'refs');
    await page.getByTestId('gallery-files-path').fill(refs);
    await page.getByTestId('gallery-files-path').press('Enter');
    await expect.poll(() => page.getByTestId('gallery-count').textContent(), { timeout: 30_000 }).toBe('4 references');
    const rows = await page.getByTestId('gallery-reference').allInnerTexts();
    for (const part of ['part-5', 'part-6'])
      expect(rows.some((r) => r.includes(part) && r.includes(path.join(refs, part, 'front.png')))).toBe(true);
    expect(await page.getByTestId('gallery-files-failures').innerText()).toContain(
      `Not enrolled: ${path.join(refs, 'odd', 'broken.png')}: `,
    );
    expect(await page.getByTestId('gallery-files-path').inputValue()).toBe('');
    // Each reference shows its picture: the two workspace images' thumbnails, the two files' own pictures.
    await expect.poll(() => page.getByTestId('gallery-picture').count()).toBe(4);
    await keepScreenshot(page, 'model-gallery-files');
  });

  it('offers a detector’s post-processing and a verifier’s target FAR in the new-run form', async () => {
    await page.getByTestId('nav-train').click();
    await page.getByTestId('run-task').selectOption({ label: 'Shapes (detection)' });
    await expect.poll(() => page.getByTestId('run-score-threshold').inputValue()).toBe('0.3');
    expect(await page.getByTestId('run-nms-iou').inputValue()).toBe('0.5');
    expect(await page.getByTestId('run-nms-method').inputValue()).toBe('nms');
    expect(await page.getByTestId('run-target-far').count()).toBe(0);
    await page.getByTestId('run-task').selectOption({ label: 'Same part (verification)' });
    await expect.poll(() => page.getByTestId('run-target-far').inputValue()).toBe('1');
    expect(await page.getByTestId('run-score-threshold').count()).toBe(0);
  });

  it('raised no console errors', () => {
    expect(errors).toEqual([]);
  });
});
