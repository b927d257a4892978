/**
 * The Batch section in Chromium against browser mode: a tiny classification run (trained through
 * the services, tests/helpers/review-workspace.ts) predicts a folder in the background; the user
 * cancels it with Esc and Y, reloads the page and finds it cancelled, resumes it (checking the ETA against
 * the files left and the rate shown), and reads the
 * results: one row per image, sorted by score in the services, an image opened in the viewer
 * (J and K step through the rows), ticked rows sent to Review; and a second batch asked for a heatmap per image.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
import { writePng } from '../helpers/workspace-models';
import { openWorkspaceInBrowser } from './browser-session';

/** Copies of the workspace's scans: enough that the job is still predicting when Esc cancels it. */
const FILES = 3000;

describe('the Batch section', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let dir: string;
  let workspace: string;
  let folder: string;
  let client: LoupeApi;
  let closeClient: () => void;
  let setup: ReviewWorkspace;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-e2e-batch-'));
    workspace = path.join(dir, 'ws');
    const { services, log } = realServices();
    const call = caller(services, log);
    await call('workspace.open', { path: workspace, create: true });
    setup = await reviewWorkspace(call, dir);
    await services.dispose();
    folder = path.join(dir, 'many');
    const scans = readdirSync(path.join(dir, 'scans'), { recursive: true, withFileTypes: true }).filter((e) =>
      e.name.endsWith('.png'),
    );
    for (let i = 0; i < FILES; i++) {
      const scan = scans[i % scans.length]!;
      const sub = path.join(folder, `part-${i % 10}`);
      mkdirSync(sub, { recursive: true });
      copyFileSync(path.join(scan.parentPath, scan.name), path.join(sub, `copy-${i}.png`));
    }

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

  const out = () => path.join(dir, 'results');
  const jobRow = () => page.getByTestId('batch-jobs').locator('li').first();
  const jobState = () => jobRow().getAttribute('data-state');

  it('starts with Enter, shows progress, and cancels on Esc after a yes', async () => {
    await page.getByTestId('nav-batch').click();
    await expect.poll(() => page.getByTestId('batch-run').inputValue()).toBe(setup.runId);
    await page.getByTestId('batch-input-0').fill(folder);
    await page.getByTestId('batch-out').fill(out());
    await page.getByTestId('batch-out').press('Enter');
    await expect.poll(jobState).toBe('running');
    // Esc in a text field belongs to the field; leave it first, as a user would.
    await page.getByTestId('batch-out').blur();
    await page.keyboard.press('Escape');
    await page.getByTestId('batch-confirm').waitFor();
    await page.keyboard.press('y');
    await expect.poll(jobState, { timeout: 30_000 }).toBe('cancelled');
    const { jobs } = await client.invoke('batch.jobs', {});
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.finished).toBeLessThan(FILES);
    // The count of files may end after the cancel; it still arrives.
    await expect
      .poll(() => jobRow().getByTestId('batch-progress-text').textContent())
      .toContain(`${jobs[0]!.finished} of ${FILES} files`);
    await keepScreenshot(page, 'batch-cancelled');
  }, 60_000);

  it('keeps the job over a reload, resumes it to one row per image, and shows the rate and an ETA that agree', async () => {
    await page.reload();
    await page.getByTestId('section-batch').waitFor();
    await expect.poll(jobState).toBe('cancelled');
    await page.getByTestId('batch-resume').click();
    // While it runs: the time left, in words, agrees with the files left and the rate shown beside it.
    await jobRow().getByTestId('batch-eta').waitFor();
    const running = (await jobRow().textContent())!;
    const eta = etaSeconds(running);
    const [, finished, total] = /(\d+) of (\d+) files/.exec(running)!.map(Number);
    const imagesPerSecond = Number(/([\d.]+) images\/s/.exec(running)![1]);
    const expectedEta = (total! - finished!) / imagesPerSecond;
    // The rate is shown to 0.1 and the ETA to the second.
    expect(Math.abs(eta - expectedEta)).toBeLessThanOrEqual(1 + expectedEta * (0.05 / imagesPerSecond));
    await expect.poll(jobState, { timeout: 60_000 }).toBe('completed');
    expect(await jobRow().getByTestId('batch-eta').count()).toBe(0);
    expect(await jobRow().getByTestId('batch-progress-text').textContent()).toContain(`${FILES} of ${FILES} files`);
    expect(await jobRow().getByTestId('batch-rate').textContent()).toMatch(/^\s*\d+(\.\d)? images\/s\s*$/);
    // The small CNN exports, so the engine ran it on ONNX Runtime; the finished job's record says so.
    expect((await jobRow().getByTestId('batch-runtime').textContent())?.trim()).toBe('on ONNX Runtime');
    await expect.poll(() => page.getByTestId('batch-count').textContent()).toBe(`${FILES} of ${FILES} rows`);
    expect(await page.getByTestId('batch-table').locator('tbody tr').count()).toBe(100);
    const manifest = readFileSync(path.join(out(), 'manifest.jsonl'), 'utf8').trimEnd().split('\n');
    expect(new Set(manifest.map((l) => (JSON.parse(l) as { path: string }).path)).size).toBe(FILES);
    expect(manifest).toHaveLength(FILES);
    const counts = await page.getByTestId('batch-class-counts').locator('.num').allTextContents();
    expect(counts.reduce((sum, c) => sum + Number(c), 0)).toBe(FILES);
  }, 90_000);

  it('sorts by score in the services, most confident first', async () => {
    const { jobs } = await client.invoke('batch.jobs', {});
    await page.getByTestId('batch-sort-score').click();
    const expected = await client.invoke('batch.results', { jobId: jobs[0]!.jobId, sort: 'score', descending: true });
    await expect
      .poll(() => page.getByTestId('batch-table').locator('tbody tr').first().getAttribute('data-path'))
      .toBe(expected.rows[0]!.path);
    const shown = await page
      .getByTestId('batch-table')
      .locator('tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-path')));
    expect(shown).toEqual(expected.rows.map((r) => r.path));
    const scores = await page.getByTestId('batch-table').locator('tbody tr td.num:nth-child(4)').allTextContents();
    expect(scores.map(Number)).toEqual([...scores.map(Number)].sort((a, b) => b - a));
    await keepScreenshot(page, 'batch-results');
  });

  it('opens an image in the viewer and sends ticked rows to Review', async () => {
    await page.getByTestId('batch-open').first().click();
    await expect.poll(() => page.getByTestId('batch-viewer-title').textContent()).toMatch(/\.png$/);
    await page.getByTestId('image-view').waitFor();
    // The run's Grad-CAM of the predicted class lies over the opened image; H hides it.
    const heatmap = page.getByTestId('heatmap-canvas');
    await expect.poll(() => heatmap.getAttribute('data-image')).toMatch(/^\d+$/);
    expect(await heatmap.isVisible()).toBe(true);
    await page.keyboard.press('h');
    await expect.poll(() => heatmap.isVisible()).toBe(false);
    await page.keyboard.press('h');
    await page.keyboard.press('Escape');
    await page.getByTestId('batch-table').waitFor();

    // J and K step through the rows as sorted, across the page's end.
    const paths = await page
      .getByTestId('batch-table')
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-path')!));
    await page.getByTestId('batch-table').locator('tbody tr').last().getByTestId('batch-open').click();
    const position = () => page.getByTestId('batch-viewer-position').textContent();
    await expect.poll(position).toBe(`100 of ${FILES}`);
    // The title is the row's file as the table lists it, under the batch's input folder.
    const listed = (file: string) => path.relative(folder, file).split(path.sep).join('/');
    expect(await page.getByTestId('batch-viewer-title').textContent()).toBe(listed(paths[99]!));
    // The copy is shown as the workspace image of its content, and the viewer says which.
    await expect
      .poll(() => page.getByTestId('batch-viewer-known-as').textContent())
      .toMatch(/^the workspace's scan-\d+\.png \(the same content\)$/);
    await page.keyboard.press('j');
    await expect.poll(position).toBe(`101 of ${FILES}`);
    expect(await page.getByTestId('batch-page').textContent()).toBe(`Page 2 of ${FILES / 100}`);
    await page.keyboard.press('k');
    await expect.poll(position).toBe(`100 of ${FILES}`);
    await page.keyboard.press('k');
    await expect.poll(position).toBe(`99 of ${FILES}`);
    await expect.poll(() => page.getByTestId('batch-viewer-title').textContent()).toBe(listed(paths[98]!));
    await page.keyboard.press('Escape');
    await page.getByTestId('batch-table').waitFor();

    // Copies share their content, so rows name the same workspace images: tick a row, a copy of
    // it, and a row of another image; the queue holds each image once.
    const rows = await page
      .getByTestId('batch-table')
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-path')!, tr.getAttribute('data-image')!]));
    const [first, image] = rows[0]!;
    const copy = rows.find(([p, id]) => id === image && p !== first)!;
    const other = rows.find(([, id]) => id !== image)!;
    for (const [file] of [rows[0]!, copy, other])
      await page.locator(`tr[data-path="${file}"] input[type=checkbox]`).check();
    expect(await page.getByTestId('batch-review-selected').textContent()).toContain('Send 3 ticked');
    await page.getByTestId('batch-review-selected').click();
    await page.getByTestId('section-review').waitFor();
    await expect.poll(() => page.getByTestId('review-list').locator('li').count()).toBe(2);
    expect(await page.getByTestId('review-source').inputValue()).toBe('images');
    expect(errors).toEqual([]);
  });

  it("writes a classifier's heatmaps when asked, and offers no gallery match for it", async () => {
    await page.getByTestId('nav-batch').click();
    const small = path.join(folder, 'part-0');
    // Two images the workspace does not hold, in a second folder.
    const fresh = path.join(dir, 'fresh');
    mkdirSync(fresh);
    for (let i = 0; i < 2; i++) {
      const pixels = new Uint8Array(24 * 24).map((_, k) => (k * (7 + i)) % 251);
      writePng(path.join(fresh, `fresh-${i}.png`), { width: 24, height: 24, bitDepth: 8, pixels });
    }
    const heatOut = path.join(dir, 'results-heatmaps');
    // A classification run: heatmaps are offered, a verification model's gallery match is not.
    expect(await page.getByTestId('batch-gallery').count()).toBe(0);
    await page.getByTestId('batch-explain').selectOption('gradcam');
    await page.getByTestId('batch-input-0').fill(small);
    await page.getByText('+ another folder').click();
    await page.getByTestId('batch-input-1').fill(fresh);
    await page.getByTestId('batch-out').fill(heatOut);
    await page.getByTestId('batch-start').click();
    // The new job heads the list once it shows.
    await expect.poll(() => page.getByTestId('batch-jobs').locator('li').count()).toBe(2);
    await expect.poll(jobState, { timeout: 60_000 }).toBe('completed');
    expect(await jobRow().locator('button.link-button').textContent()).toContain(' · gradcam heatmaps → ');
    const pngs = readdirSync(path.join(heatOut, 'heatmaps'), { recursive: true }).filter((f) =>
      String(f).endsWith('.png'),
    );
    expect(pngs).toHaveLength(FILES / 10 + 2);
    await keepScreenshot(page, 'batch-heatmaps');
  }, 90_000);

  it('opens a file the workspace does not hold, with its heatmap', async () => {
    const file = path.join(dir, 'fresh', 'fresh-1.png');
    const row = page.locator(`tr[data-path="${file}"]`);
    await row.getByTestId('batch-open').click();
    await expect.poll(() => page.getByTestId('batch-viewer-title').textContent()).toBe('fresh-1.png');
    await page.getByTestId('image-view').waitFor();
    // A file outside the workspace stands in with an id below 0.
    const heatmap = page.getByTestId('heatmap-canvas');
    await expect.poll(() => heatmap.getAttribute('data-image')).toMatch(/^-\d+$/);
    expect(await heatmap.getAttribute('data-method')).toBe('gradcam');
    const predicted = (await row.locator('td').nth(2).textContent())!.trim();
    expect(await page.getByTestId('batch-heatmap-note').textContent()).toContain(
      `gradcam heatmap of the predicted class, ${predicted} (`,
    );
    await keepScreenshot(page, 'batch-viewer-file');
    await page.keyboard.press('Escape');
    await page.getByTestId('batch-table').waitFor();
    expect(errors).toEqual([]);
  });

  it('imports ticked files the workspace does not hold, then reviews them', async () => {
    const fresh = ['fresh-0.png', 'fresh-1.png'].map((name) => path.join(dir, 'fresh', name));
    const before = (await client.invoke('imaging.list', { offset: 0, limit: 1 })).total;
    for (const file of fresh) {
      expect(await page.locator(`tr[data-path="${file}"]`).getAttribute('data-image')).toBe('');
      await page.locator(`tr[data-path="${file}"] input[type=checkbox]`).check();
    }
    expect(await page.getByTestId('batch-review-selected').getAttribute('title')).toBe(
      '2 of them are imported into the workspace first',
    );
    await page.getByTestId('batch-review-selected').click();
    await page.getByTestId('section-review').waitFor();
    await expect.poll(() => page.getByTestId('review-list').locator('li').count()).toBe(2);
    expect((await client.invoke('imaging.list', { offset: 0, limit: 1 })).total).toBe(before + 2);
    // Back in the Batch section the rows are workspace images now.
    await page.getByTestId('nav-batch').click();
    await expect.poll(() => page.locator(`tr[data-path="${fresh[0]}"]`).getAttribute('data-image')).toMatch(/^\d+$/);
    expect(errors).toEqual([]);
  });
});

/** Seconds in an ETA as the Batch section words it: "ETA 2 h 05 min", "ETA 4 min 10 s", "ETA 12 s". */
function etaSeconds(text: string): number {
  const match = /ETA (?:(\d+) h (\d+) min|(\d+) min (\d+) s|(\d+) s)/.exec(text);
  if (!match) throw new Error(`No ETA in "${text}"`);
  const [, h, hm, m, ms, s] = match.map((v) => (v === undefined ? 0 : Number(v)));
  return h! * 3600 + hm! * 60 + m! * 60 + ms! + s!;
}
