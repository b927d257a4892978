/**
 * `npm run bench:scale`: does Loupe stay responsive at 10,000 images? Not a test: it prints
 * numbers beside a peer measured in the same run, never a pass/fail.
 *
 * (a) Import: the generated folder (scale-fixtures.ts) is imported through the UI of the real
 *     browser-mode host while the benchmark clicks a control every CLICK_INTERVAL_MS. Measured:
 *     the host's event-loop delay (idle vs during the import), the page's frames, long tasks and
 *     click-to-frame latency (idle vs during), import throughput beside the headless CLI import of
 *     the same folder, and the time from the report to a grid listing every image.
 * (b) Scrolling: the grid scrolled top to bottom at SCROLL_STEP_PX per frame in the Workspace and
 *     in the Label section (badges on every tile), with 10,000 images and with 100 (the peer):
 *     frame times, dropped frames, long tasks, tiles in the DOM, thumbnails asked for and
 *     received, JS heap and DOM nodes.
 *
 *   npm run bench:scale [-- --count N] [--skip-cli] [--json]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { launchChromium } from '../tests/helpers/browser';
import { connectClient } from '../tests/helpers/ws-client';
import { ensureScaleFolder, FILES_PER_FOLDER } from './scale-fixtures';
import { print, type ImportResult, type ScrollResult, type Window, type WorkspaceRun } from './scale-report';
import {
  chromiumMetrics,
  fmt,
  PAGE_PROBE,
  probeStart,
  probeTake,
  scrollToEnd,
  startProbedHost,
  type ProbedHost,
} from './scale-measure';

/** How fast the benchmark scrolls: 1.5 tile rows per frame, a brisk fling through a long list. */
const SCROLL_STEP_PX = 240;
/** A user's click every this often while the import runs (and in the idle window). */
const CLICK_INTERVAL_MS = 300;
/** Length of the idle window the import is compared with. */
const IDLE_MS = 5_000;
/** Longest the benchmark waits for one import. */
const IMPORT_LIMIT_MS = 30 * 60_000;
/** Longest the grid may take to list the imported images after the report. */
const GRID_LIMIT_MS = 60_000;
const VIEWPORT = { width: 1280, height: 900 };

const args = process.argv.slice(2);
const count = Number(args[args.indexOf('--count') + 1] ?? 10_000) || 10_000;
const skipCli = args.includes('--skip-cli');
const asJson = args.includes('--json');

async function measure(host: ProbedHost, page: Page, work: () => Promise<void>): Promise<Window> {
  await host.reset();
  await probeStart(page);
  await work();
  return { host: await host.read(), page: await probeTake(page) };
}

/** A click a user might make at any time: opening and closing the "Relink a moved folder" panel. */
async function userClick(page: Page): Promise<void> {
  await page.locator('details.relink > summary').click({ timeout: 60_000 });
}

async function clickUntil(page: Page, finished: () => Promise<boolean>): Promise<void> {
  while (!(await finished())) {
    await userClick(page);
    await sleep(CLICK_INTERVAL_MS);
  }
}

async function createWorkspace(page: Page, folder: string): Promise<void> {
  await page.getByTestId('workspace-path').fill(folder);
  await page.getByTestId('workspace-create').click();
  await page.getByTestId('workspace-current').waitFor();
}

const imageCount = (page: Page): Promise<string | null> => page.getByTestId('image-count').textContent();
const countText = (n: number): string => `${n} image${n === 1 ? '' : 's'} in this workspace`;

async function importThroughUi(host: ProbedHost, page: Page, folder: string, expected: number): Promise<ImportResult> {
  const idle = await measure(host, page, async () => {
    const until = performance.now() + IDLE_MS;
    await clickUntil(page, async () => performance.now() >= until);
  });
  await page.getByTestId('import-path').fill(folder);
  const started = performance.now();
  const during = await measure(host, page, async () => {
    await page.getByTestId('import-start').click();
    await clickUntil(page, async () => {
      if (performance.now() - started > IMPORT_LIMIT_MS) throw new Error('The import did not finish in time.');
      return (await page.getByTestId('import-summary').count()) > 0;
    });
  });
  const importMs = performance.now() - started;
  const reported = performance.now();
  const afterReport = await measure(host, page, async () => {
    for (;;) {
      const shown = await imageCount(page);
      if (shown === countText(expected)) break;
      if (performance.now() - reported > GRID_LIMIT_MS) {
        const summary = await page.getByTestId('import-summary').textContent();
        throw new Error(`The grid shows "${shown}", not ${expected} images (import: ${summary}).`);
      }
      await sleep(20);
    }
  });
  return { idle, during, afterReport, importMs, reportToGridMs: performance.now() - reported };
}

async function scrollGrid(host: ProbedHost, page: Page, cdp: CDPSession, scope: string): Promise<ScrollResult> {
  const selector = `${scope} [data-testid=thumbnail-grid]`;
  await page.locator(selector).waitFor();
  // Let the first screen's thumbnails arrive so every run starts from the same state.
  await sleep(1_000);
  let scrollFrames = 0;
  const window = await measure(host, page, async () => {
    scrollFrames = await scrollToEnd(page, selector, SCROLL_STEP_PX);
  });
  const metrics = await chromiumMetrics(cdp);
  return { ...window, scrollFrames, ...metrics };
}

/** A classification task with a third of the images tagged and train/val/test assigned, made over the contract. */
async function prepareLabels(host: ProbedHost): Promise<void> {
  const url = new URL(host.launchUrl);
  const { client, socket } = await connectClient(`ws://${url.host}/rpc`, { cookie: `loupe_token=${host.token}` });
  try {
    const task = await client.invoke('labels.createTask', {
      name: 'Findings',
      kind: 'classification',
      classes: [{ name: 'normal' }, { name: 'nodule' }, { name: 'artefact' }],
    });
    const ids: number[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await client.invoke('imaging.list', { offset, limit: 1000 });
      ids.push(...page.items.map((i) => i.id));
      if (page.items.length === 0 || ids.length >= page.total) break;
    }
    for (const [k, c] of task.classes.entries()) {
      const tagged = ids.filter((_, i) => i % 6 === k);
      if (tagged.length)
        await client.invoke('labels.assign', { taskId: task.id, imageIds: tagged, mode: 'set', classId: c.id });
    }
    await client.invoke('labels.assignSplits', {
      taskId: task.id,
      fractions: { train: 0.7, val: 0.15, test: 0.15 },
      groupBy: { kind: 'image' },
    });
  } finally {
    socket.close();
  }
}

async function openLabelGrid(page: Page): Promise<void> {
  await page.goto(new URL('#/label', page.url()).href);
  await page.getByTestId('label-grid').waitFor();
  await page.locator('[data-testid=label-grid] [data-testid=tile-badges]').first().waitFor();
}

async function runWorkspace(
  browser: Browser,
  host: ProbedHost,
  tmp: string,
  folder: string,
  images: number,
  viaFullImport: boolean,
): Promise<WorkspaceRun> {
  const page = await browser.newPage({ viewport: VIEWPORT });
  await page.addInitScript({ path: PAGE_PROBE });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  try {
    await page.goto(host.launchUrl);
    await createWorkspace(page, path.join(tmp, `ws-${images}`));
    let importResult: ImportResult | undefined;
    if (viaFullImport) importResult = await importThroughUi(host, page, folder, images);
    else {
      await page.getByTestId('import-path').fill(folder);
      await page.getByTestId('import-start').click();
      await page.getByTestId('import-summary').waitFor({ timeout: IMPORT_LIMIT_MS });
      await page.waitForFunction(
        `document.querySelector('[data-testid=image-count]')?.textContent === ${JSON.stringify(countText(images))}`,
      );
    }
    const workspaceScroll = await scrollGrid(host, page, cdp, '[data-testid=section-workspace]');
    await prepareLabels(host);
    await openLabelGrid(page);
    const labelScroll = await scrollGrid(host, page, cdp, '[data-testid=label-grid]');
    return { images, ...(importResult ? { importResult } : {}), workspaceScroll, labelScroll };
  } finally {
    await page.close();
  }
}

function cliImportMs(folder: string, tmp: string): number {
  const started = performance.now();
  execFileSync(
    process.execPath,
    [path.join(process.cwd(), 'bin', 'loupe.mjs'), 'import', '--workspace', path.join(tmp, 'ws-cli'), folder, '--json'],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      maxBuffer: 1 << 30,
    },
  );
  return performance.now() - started;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const folder = await ensureScaleFolder(count);
  if (!asJson)
    console.log(
      `Folder: ${folder.root} (${folder.count} files: ${JSON.stringify(folder.byFormat)}; ready in ${fmt((performance.now() - t0) / 1000)} s)`,
    );
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'loupe-bench-scale-'));
  const host = await startProbedHost();
  const browser = await launchChromium();
  try {
    const small = await runWorkspace(browser, host, tmp, folder.firstFolder, FILES_PER_FOLDER, false);
    const big = await runWorkspace(browser, host, tmp, folder.root, folder.count, true);
    const cliMs = skipCli ? null : cliImportMs(folder.root, tmp);
    if (asJson) console.log(JSON.stringify({ big, small, cliMs }));
    else print(big, small, cliMs, SCROLL_STEP_PX);
  } finally {
    await browser.close();
    await host.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
