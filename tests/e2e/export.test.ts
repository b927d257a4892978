/**
 * The Export section in Chromium against browser mode: a small classification run (trained
 * through the services, as the training tests cover the Train section) is exported to ONNX fp32
 * and int8 from the section; the bundles appear with their parity, the comparison table shows
 * both variants with the sizes of the files on disk, and exporting again into the same folder
 * is refused until the user chooses to replace it.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../helpers/app';
import { keepScreenshot, launchChromium, watchErrors } from '../helpers/browser';
import { caller } from '../helpers/labels';
import { importScans, labelClassification } from '../helpers/scan-workspace';
import { realServices } from '../helpers/services';

/** Calibration images for int8: a few keep the test short; the integration tests cover the default. */
const CALIBRATION = 8;

describe('the Export section', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let dir: string;
  let workspace: string;
  let runId: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-e2e-export-'));
    workspace = path.join(dir, 'ws');
    const { services, log } = realServices();
    const call = caller(services, log);
    await call('workspace.open', { path: workspace, create: true });
    const scans = await importScans(call, path.join(dir, 'scans'), { count: 40, size: 32, seed: 23 });
    const taskId = await labelClassification(call, scans);
    const defaults = await call('training.defaults', { taskId });
    // The default small CNN, one epoch: big enough that int8 weights dominate its file, quick to train.
    const run = await call('training.start', { taskId, config: { ...defaults.config, epochs: 1, batchSize: 8 } });
    const finished = await call('training.watch', { runId: run.runId });
    if (finished.state !== 'completed') throw new Error(`run ${run.runId} ${finished.state}: ${finished.error ?? ''}`);
    runId = run.runId;
    await services.dispose();

    app = await startApp();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    errors = watchErrors(page);
    await page.goto(app.launchUrl);
    await page.getByTestId('workspace-path').fill(workspace);
    await page.getByTestId('workspace-open').click();
    await page.getByTestId('workspace-current').waitFor();
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const folder = () => path.join(workspace, 'exports', runId);

  it('exports the run to ONNX fp32 and int8 and shows the comparison table', async () => {
    await page.getByTestId('nav-export').click();
    expect(await page.getByTestId('export-run').inputValue()).toBe(runId);
    expect(await page.getByTestId('export-folder').inputValue()).toBe(folder());
    expect(await page.getByTestId('export-format-onnx').isChecked()).toBe(true);
    expect(await page.getByTestId('export-format-onnx-int8').isChecked()).toBe(true);
    await page.getByTestId('export-calibration').fill(String(CALIBRATION));
    await page.getByTestId('export-start').click();
    await page.getByTestId('export-comparison').waitFor({ timeout: 180_000 });

    expect(await page.getByTestId('export-result-onnx').textContent()).toMatch(
      /Parity on \d+ test image\(s\): max \|difference\| [\d.e+-]+, (\d+) \/ \1 predictions the same/,
    );
    expect(await page.getByTestId('export-result-onnx-int8').textContent()).toContain(
      `calibrated on ${CALIBRATION} training image(s)`,
    );
    const fp32 = page.getByTestId('comparison-fp32');
    const int8 = page.getByTestId('comparison-int8');
    for (const [row, format] of [
      [fp32, 'onnx'],
      [int8, 'onnx-int8'],
    ] as const) {
      const bytes = statSync(path.join(folder(), format, 'model.onnx')).size;
      expect(await row.textContent()).toContain(`${(bytes / 1024).toFixed(0)} KiB`);
      expect(await row.getByTestId('comparison-metric').textContent()).toMatch(/^[01]\.\d{4}$/);
      expect(existsSync(path.join(folder(), format, 'model-card.md'))).toBe(true);
    }
    expect(await page.getByTestId('export-comparison').textContent()).toMatch(
      /On \d+ test image\(s\) with onnxruntime-node .*Loupe's own model: accuracy [01]\.\d{4}/,
    );
    // Only what was exported is compared: no placeholder rows for variants that do not exist.
    expect(await page.getByTestId('export-comparison').locator('tbody tr').count()).toBe(2);
    await keepScreenshot(page, 'export-comparison');
  }, 240_000);

  it('refuses to replace the bundles until asked, then replaces them', async () => {
    expect(await page.getByTestId('export-recorded').textContent()).toContain(`onnx-int8 in ${folder()}/onnx-int8`);
    await page.getByTestId('export-format-onnx-int8').uncheck();
    const before = statSync(path.join(folder(), 'onnx', 'model.onnx')).mtimeMs;
    await page.getByTestId('export-start').click();
    await page.getByTestId('export-conflict').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('export-error').textContent()).toContain(
      'already exists; choose another folder or pass --force to replace it.',
    );
    expect(statSync(path.join(folder(), 'onnx', 'model.onnx')).mtimeMs).toBe(before);
    await page.getByTestId('export-force').click();
    await page.getByTestId('export-comparison').waitFor({ timeout: 180_000 });
    expect(statSync(path.join(folder(), 'onnx', 'model.onnx')).mtimeMs).toBeGreaterThan(before);
    // The int8 bundle of the first export is still on disk, so the run still compares both.
    expect(await page.getByTestId('export-comparison').locator('tbody tr').count()).toBe(2);
    const card = readFileSync(path.join(folder(), 'onnx', 'model-card.md'), 'utf8');
    expect(card).not.toContain(path.join(dir, 'scans'));
    expect(errors).toEqual([]);
  }, 240_000);

  it('exports TFLite fp32 checked by Arm NN; the ONNX comparison keeps its rows', async () => {
    await page.getByTestId('export-format-onnx').uncheck();
    await page.getByTestId('export-format-tflite').check();
    await page.getByTestId('export-start').click();
    await page.getByTestId('export-result-tflite').waitFor({ timeout: 180_000 });
    expect(await page.getByTestId('export-result-tflite').textContent()).toMatch(
      /Parity on \d+ test image\(s\): max \|difference\| [\d.e+-]+, (\d+) \/ \1 predictions the same/,
    );
    expect(
      readFileSync(path.join(folder(), 'tflite', 'model.tflite'))
        .subarray(4, 8)
        .toString('latin1'),
    ).toBe('TFL3');
    expect(readFileSync(path.join(folder(), 'tflite', 'model-card.md'), 'utf8')).toMatch(
      /Checked by Arm NN [\d.]+ \(TfLiteParser, CpuRef backend\)/,
    );
    await page.getByTestId('export-comparison').waitFor({ timeout: 180_000 });
    expect(await page.getByTestId('export-comparison').locator('tbody tr').count()).toBe(2);
    expect(errors).toEqual([]);
  }, 240_000);

  it('Enter in the folder field exports; Esc cancels the export and leaves no bundle behind', async () => {
    const elsewhere = path.join(dir, 'cancelled-exports');
    for (const format of ['onnx', 'onnx-int8', 'tfjs', 'tflite', 'tflite-int8'])
      await page.getByTestId(`export-format-${format}`).check();
    await page.getByTestId('export-folder').fill(elsewhere);
    await page.getByTestId('export-folder').press('Enter');
    await page.getByTestId('export-progress').waitFor();
    // Five bundles, each checked for parity, take seconds; Esc arrives while the first is under way.
    await page.keyboard.press('Escape');
    await page.getByTestId('export-start').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('export-error').count()).toBe(0);
    expect(existsSync(path.join(elsewhere, 'tflite-int8'))).toBe(false);
    // Whatever finished before Esc is a whole bundle; no staging folder is left.
    const left = existsSync(elsewhere) ? readdirSync(elsewhere) : [];
    for (const entry of left) expect(existsSync(path.join(elsewhere, entry, 'model-card.json')), entry).toBe(true);
    expect(errors).toEqual([]);
  }, 120_000);
});
