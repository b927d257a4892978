/**
 * `npm run bench:review`: how long does the Review section take to show the next image with its
 * heatmap? Not a test: it prints numbers beside a peer measured in the same run, never a pass/fail.
 *
 * A small classifier is trained on 256² 16-bit scans, the section is opened in the real
 * browser-mode host, and steps through the queue are timed in the page, from the key press (or
 * click) to the first animation frame in which the new image's pixels and its heatmap are both on
 * screen:
 *   - next (prefetched): J, after the reviewer has looked at the image for DWELL_MS, long enough
 *     for the prefetch of the next image and its heatmap to finish;
 *   - jump (not prefetched): a click on a queue entry JUMP entries ahead, which nothing fetched.
 * The ratio jump / next is what prefetching buys.
 *
 *   npm run bench:review [-- --size N] [--steps N] [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { startApp } from '../tests/helpers/app';
import { launchChromium } from '../tests/helpers/browser';
import { caller } from '../tests/helpers/labels';
import { reviewWorkspace } from '../tests/helpers/review-workspace';
import { realServices } from '../tests/helpers/services';
import { fmt, quantile, table } from './scale-measure';

/** The case: a 256² image. */
const DEFAULT_SIZE = 256;
/** Timed steps of each kind (after one warm-up of each). */
const DEFAULT_STEPS = 6;
/** A reviewer reads an image and its heatmap for longer than this before moving on. */
const DWELL_MS = 2000;
/** A jump this far ahead lands on an image no prefetch touched (only the next one is fetched ahead). */
const JUMP = 3;
/** Longest wait for one step to show before the benchmark gives up on it. */
const STEP_LIMIT_MS = 60_000;

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} takes a positive whole number`);
  return value;
}

/**
 * Runs `action` in the page and resolves with the milliseconds until the first animation frame in
 * which a new image is shown and the heatmap canvas holds that image's map. A string: the page's
 * DOM types are not in the benchmark's TypeScript project.
 */
function timeStep(page: Page, action: string): Promise<number> {
  return page.evaluate(`new Promise((resolve, reject) => {
    const shown = () => document.querySelector('[data-testid="review-image"]').getAttribute('data-shown');
    const drawn = () => document.querySelector('[data-testid="heatmap-canvas"]')?.getAttribute('data-image');
    const before = shown();
    const start = performance.now();
    ${action};
    const check = () => {
      const now = shown();
      if (now !== before && now !== '' && drawn() === now) return resolve(performance.now() - start);
      if (performance.now() - start > ${STEP_LIMIT_MS}) return reject(new Error('the step never showed'));
      requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  })`) as Promise<number>;
}

const PRESS_NEXT = `window.dispatchEvent(new KeyboardEvent('keydown', { key: 'j' }))`;
const jumpTo = (index: number) =>
  `document.querySelectorAll('[data-testid="review-list"] li')[${index}].dispatchEvent(new MouseEvent('click', { bubbles: true }))`;

async function main(): Promise<void> {
  const size = option('size', DEFAULT_SIZE);
  const steps = option('steps', DEFAULT_STEPS);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-bench-review-'));
  const workspace = path.join(dir, 'ws');
  // Each cycle is one next and one jump, JUMP + 1 entries on; the train split holds 60 % of the scans.
  const count = Math.ceil(((steps + 1) * (JUMP + 2) + 2) / 0.6);
  try {
    const { services, log } = realServices();
    const call = caller(services, log);
    await call('workspace.open', { path: workspace, create: true });
    console.log(`training a small classifier on ${count} scans of ${size}² …`);
    const setup = await reviewWorkspace(call, dir, { count, size });
    await services.dispose();

    const app = await startApp();
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
      await page.goto(app.launchUrl);
      await page.getByTestId('workspace-path').fill(workspace);
      await page.getByTestId('workspace-open').click();
      await page.getByTestId('workspace-current').waitFor();
      await page.getByTestId('nav-review').click();
      await page.getByTestId('review-run').selectOption(setup.runId);
      await page.getByTestId('review-split').selectOption('train');
      await page.getByTestId('review-build').click();
      await page.getByTestId('heatmap-canvas').and(page.locator('[data-image]:not([data-image=""])')).waitFor({
        timeout: STEP_LIMIT_MS,
      });
      const next: number[] = [];
      const jump: number[] = [];
      let index = 0;
      for (let cycle = 0; cycle <= steps; cycle++) {
        await sleep(DWELL_MS);
        const n = await timeStep(page, PRESS_NEXT);
        index += 1;
        await sleep(DWELL_MS);
        index += JUMP;
        const j = await timeStep(page, jumpTo(index));
        // The first cycle warms the engine's kernels and the page's code paths.
        if (cycle > 0) {
          next.push(n);
          jump.push(j);
        }
      }
      const summary = {
        size,
        steps,
        nextMedianMs: quantile(next, 0.5),
        jumpMedianMs: quantile(jump, 0.5),
        ratio: quantile(jump, 0.5) / quantile(next, 0.5),
        next,
        jump,
      };
      if (process.argv.includes('--json')) {
        console.log(JSON.stringify(summary));
        return;
      }
      console.log(`\nReview: time to show an image with its heatmap (${size}², ${steps} steps each)\n`);
      console.log(
        table([
          ['step', 'median ms', 'max ms'],
          ['next (prefetched)', fmt(summary.nextMedianMs), fmt(Math.max(...next))],
          ['jump (not prefetched)', fmt(summary.jumpMedianMs), fmt(Math.max(...jump))],
        ]),
      );
      console.log(`\nprefetch shows the next image ${fmt(summary.ratio)}× sooner than a cold one`);
    } finally {
      await browser.close();
      await app.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
