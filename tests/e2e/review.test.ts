/**
 * The Review section in Chromium against browser mode, keyboard first: a queue of a tiny
 * classification run's test split is built, its heatmap is drawn on the image (H hides it, the
 * method switches, the trust measures are told in words), verdicts are given with A and U, a class is corrected
 * with D and a number key and written as the label after Y, a comment is added with C, and the
 * HTML report exported from the section holds the verdicts. The run is trained through the
 * services (tests/helpers/review-workspace.ts), as the training tests already cover the UI.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoupeApi } from '../../contract/client';
import { type RunningApp } from '../helpers/app';
import { keepScreenshot } from '../helpers/browser';
import { caller } from '../helpers/labels';
import { reviewWorkspace, type ReviewWorkspace } from '../helpers/review-workspace';
import { realServices } from '../helpers/services';
import { openWorkspaceInBrowser } from './browser-session';

const REVIEWER = 'Dr. E2E Reviewer';

describe('the Review section', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let dir: string;
  let workspace: string;
  let client: LoupeApi;
  let closeClient: () => void;
  let setup: ReviewWorkspace;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-e2e-review-'));
    workspace = path.join(dir, 'ws');
    const { services, log } = realServices();
    const call = caller(services, log);
    await call('workspace.open', { path: workspace, create: true });
    setup = await reviewWorkspace(call, dir);
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

  const items = () => page.getByTestId('review-list').locator('li');
  const shownFile = () => page.getByTestId('review-file').textContent();
  /** The image whose pixels the viewer holds (set once its frame has arrived). */
  const shownImage = () => page.getByTestId('review-image').getAttribute('data-shown');
  const trail = async () => (await client.invoke('review.verdicts', { runId: setup.runId })).verdicts;

  it('builds a queue of the test split, most uncertain first', async () => {
    await page.getByTestId('nav-review').click();
    await page.getByTestId('review-reviewer').fill(REVIEWER);
    await page.getByTestId('review-reviewer-save').click();
    await expect.poll(async () => (await client.invoke('review.settings', {})).reviewer).toBe(REVIEWER);
    expect(await page.getByTestId('review-run').inputValue()).toBe(setup.runId);
    await page.getByTestId('review-build').click();
    const { splits } = await client.invoke('labels.splitCounts', { taskId: setup.taskId });
    await expect.poll(() => items().count(), { timeout: 60_000 }).toBe(splits.find((s) => s.split === 'test')!.images);
    const queue = await client.invoke('review.queue', {
      runId: setup.runId,
      source: { kind: 'split', split: 'test' },
      order: 'entropy',
    });
    expect(await items().locator('.file').allTextContents()).toEqual(queue.items.map((i) => i.fileName));
    expect(await shownFile()).toBe(queue.items[0]!.fileName);
    await expect.poll(shownImage).toBe(String(queue.items[0]!.imageId));
    expect(await page.getByTestId('review-probabilities').locator('li').count()).toBe(2);
    await keepScreenshot(page, 'review-queue');
  });

  it('draws the heatmap on the image, toggles it with H, switches the method and tells how far it can be trusted', async () => {
    const first = (await shownImage())!;
    const canvas = page.getByTestId('heatmap-canvas');
    // The engine's first explanation compiles its gradient kernels.
    await expect
      .poll(
        async () => (await page.getByTestId('heatmap-error').count()) > 0 || (await canvas.getAttribute('data-image')),
        {
          timeout: 60_000,
        },
      )
      .toBe(first);
    // A string: the page's DOM types are not in the tests' TypeScript project.
    const opaque = () =>
      page.evaluate(`(() => {
        const c = document.querySelector('[data-testid="heatmap-canvas"]');
        const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
        return { n, width: c.width, height: c.height };
      })()`) as Promise<{ n: number; width: number; height: number }>;
    const reply = await client.invoke('review.explain', { runId: setup.runId, imageId: Number(first) });
    // On the image's own pixels, and drawn exactly where the map reaches the threshold.
    const frame = await client.invoke('imaging.frame', { id: Number(first), frame: 0 });
    expect([reply.columns, reply.rows]).toEqual([frame.columns, frame.rows]);
    const threshold = Number(await page.getByTestId('heatmap-threshold').inputValue());
    expect(await opaque()).toEqual({
      n: reply.heatmap.filter((v) => v >= threshold).length,
      width: reply.columns,
      height: reply.rows,
    });
    await page.getByTestId('heatmap-threshold').fill('0');
    await expect.poll(async () => (await opaque()).n).toBe(reply.rows * reply.columns);
    expect(await canvas.isVisible()).toBe(true);
    await page.keyboard.press('h');
    await expect.poll(() => canvas.isVisible()).toBe(false);
    await page.keyboard.press('h');
    await expect.poll(() => canvas.isVisible()).toBe(true);

    // The next image's heatmap was fetched while this one was shown.
    await page.keyboard.press('j');
    await expect.poll(shownImage).not.toBe(first);
    await expect.poll(() => canvas.getAttribute('data-image')).toBe(await shownImage());
    await page.keyboard.press('k');
    await expect.poll(() => canvas.getAttribute('data-image')).toBe(first);

    await page.getByTestId('heatmap-method').selectOption('gradcam++');
    await expect.poll(() => canvas.getAttribute('data-method')).toBe('gradcam++');
    expect(await page.getByTestId('heatmap-status').textContent()).toContain('Grad-CAM++');
    await page.getByTestId('heatmap-trust').click();
    const sentences = page.getByTestId('heatmap-trust-sentences').locator('li');
    await expect.poll(() => sentences.count(), { timeout: 60_000 }).toBe(3);
    const text = (await sentences.allTextContents()).join(' ');
    expect(text).toMatch(/Deletion AUC \d\.\d\d: /);
    expect(text).toMatch(/Insertion AUC \d\.\d\d: /);
    expect(text).toMatch(/Randomisation correlation -?\d\.\d\d: the map/);
    await keepScreenshot(page, 'review-heatmap');
    await page.getByTestId('heatmap-method').selectOption('gradcam');
    await expect.poll(() => canvas.getAttribute('data-method')).toBe('gradcam');
    expect(errors).toEqual([]);
  });

  it('gives verdicts by keyboard: A agrees, U is unsure, each moving to the next image', async () => {
    const names = await items().locator('.file').allTextContents();
    const idOf = new Map(
      (await client.invoke('imaging.list', { limit: 1000 })).items.map((i) => [i.fileName, String(i.id)]),
    );
    await page.keyboard.press('a');
    await expect.poll(shownFile).toBe(names[1]);
    // Its pixels were fetched while the first image was shown.
    await expect.poll(shownImage).toBe(idOf.get(names[1]!));
    await page.keyboard.press('u');
    await expect.poll(shownFile).toBe(names[2]);
    await expect
      .poll(async () => (await trail()).map((v) => [v.verdict, v.reviewer]))
      .toEqual([
        ['agree', REVIEWER],
        ['unsure', REVIEWER],
      ]);
    expect(await items().nth(0).textContent()).toContain('agree');
    expect(await page.getByTestId('review-count').textContent()).toBe(`2 of ${names.length} reviewed`);
  });

  it('corrects a class with D and a number key, and writes it as the label after Y', async () => {
    const top = (await page.getByTestId('review-probabilities').locator('li .name').first().textContent())!;
    const task = (await client.invoke('labels.tasks', {})).tasks.find((t) => t.id === setup.taskId)!;
    const other = task.classes.findIndex((c) => c.name !== top);
    const file = (await shownFile())!;
    await page.keyboard.press('d');
    await page.getByTestId('review-pick').waitFor();
    await page.keyboard.press(String(other + 1));
    await page.getByTestId('review-correction').waitFor();
    expect(await page.getByTestId('review-correction').textContent()).toContain(`Write “${task.classes[other]!.name}”`);
    await page.keyboard.press('y');
    await expect.poll(shownFile).not.toBe(file);
    const imageId = (await client.invoke('imaging.list', { limit: 1000 })).items.find((i) => i.fileName === file)!.id;
    await expect
      .poll(async () => (await client.invoke('labels.get', { taskId: setup.taskId, imageId })).classIds)
      .toEqual([task.classes[other]!.id]);
    const last = (await trail()).at(-1)!;
    expect(last).toMatchObject({ imageId, verdict: 'disagree', correctClass: task.classes[other]!.name });
    expect(last.correctionRevision).toBeGreaterThan(0);
    // Back to it with K: the label and the verdict are shown.
    await page.keyboard.press('k');
    await expect.poll(shownFile).toBe(file);
    expect(await page.getByTestId('review-label').textContent()).toBe(task.classes[other]!.name);
    expect(await page.getByTestId('review-current-verdict').textContent()).toContain('(label written)');
    await expect.poll(shownImage).toBe(String(imageId));
    await keepScreenshot(page, 'review-correction');
  });

  it('adds a comment with C, and a changed verdict is a new row', async () => {
    await page.keyboard.press('j');
    await page.keyboard.press('c');
    await page.keyboard.type('rim artefact, checked by hand');
    await page.keyboard.press('Escape');
    await page.keyboard.press('a');
    await expect.poll(async () => (await trail()).at(-1)?.comment).toBe('rim artefact, checked by hand');
    // The first image again, now unsure: a fifth row; the first is unchanged.
    await page.getByTestId('review-list').locator('li').first().click();
    await page.keyboard.press('u');
    await expect.poll(async () => (await trail()).length).toBe(5);
    const rows = await trail();
    expect(rows[0]!.verdict).toBe('agree');
    expect(rows[4]).toMatchObject({ imageId: rows[0]!.imageId, verdict: 'unsure' });
  });

  it('exports the HTML report from the section', async () => {
    const out = path.join(dir, 'report');
    await page.getByTestId('review-export-folder').fill(out);
    await page.getByTestId('review-export').click();
    await expect.poll(() => page.getByTestId('review-exported').textContent()).toContain('Wrote 5 verdicts');
    const html = readFileSync(path.join(out, 'review.html'), 'utf8');
    expect(html.match(/<tr class="/g)?.length).toBe(5);
    expect(html).toContain(REVIEWER);
    expect(html).toContain('rim artefact, checked by hand');
    // Current verdicts: 1 agree (the commented one), 1 disagree, 2 unsure.
    expect(html).toContain('50.0 % (1 agree, 1 disagree, 2 unsure, of 4 images)');
    expect(errors).toEqual([]);
  });

  it('fits a temperature on the validation split and shows calibrated probabilities', async () => {
    const file = await shownFile();
    await page.getByTestId('calibration-fit').click();
    await expect
      .poll(() => page.getByTestId('calibration-ece').textContent(), { timeout: 60_000 })
      .toMatch(/ECE \d\.\d{3} → \d\.\d{3} at temperature \d+\.\d{3} on \d+ images/);
    expect(await page.getByTestId('reliability-diagram').locator('rect.bin').count()).toBeGreaterThan(0);
    const card = (await client.invoke('review.calibration', { runId: setup.runId })).temperature!;
    await expect
      .poll(() => page.getByTestId('review-calibrated').textContent())
      .toContain(`temperature ${card.toFixed(3)}`);
    // The rebuilt queue stays on the image being looked at.
    expect(await shownFile()).toBe(file);
    await keepScreenshot(page, 'review-calibration');
    expect(errors).toEqual([]);
  });

  it('builds a queue of the images in a folder picked with Browse…', async () => {
    await page.getByTestId('review-source').selectOption('folder');
    expect(await page.getByTestId('review-build').isDisabled()).toBe(true);
    await page.getByTestId('review-folder').fill(dir);
    await page.getByTestId('review-folder-browse').click();
    const picker = page.getByTestId('folder-picker');
    await picker.getByRole('button', { name: 'scans/' }).click();
    await picker.locator('strong', { hasText: path.join(dir, 'scans') }).waitFor();
    await page.getByTestId('folder-picker-choose').click();
    expect(await page.getByTestId('review-folder').inputValue()).toBe(path.join(dir, 'scans'));
    expect(await picker.count()).toBe(0);
    await page.getByTestId('review-build').click();
    await expect.poll(() => items().count(), { timeout: 60_000 }).toBe(setup.scans.scans.length);
    expect(errors).toEqual([]);
  });

  it('browses for a report folder not made yet from its nearest existing parent', async () => {
    await page.getByTestId('review-export-folder').fill(path.join(dir, 'reports', 'not-yet'));
    await page.getByTestId('review-export-browse').click();
    const picker = page.getByTestId('folder-picker');
    await expect.poll(() => picker.locator('strong').innerText()).toBe(dir);
    expect(await picker.getByRole('alert').count()).toBe(0);
    await page.getByTestId('folder-picker-choose').click();
    expect(await page.getByTestId('review-export-folder').inputValue()).toBe(dir);
    expect(errors).toEqual([]);
  });
});
