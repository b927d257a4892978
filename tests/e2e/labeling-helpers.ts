/**
 * Images and screen geometry for the labeling e2e tests: small 8-bit PNGs, and a 16-bit 2048²
 * PNG with a bright disk for the magic wand (its pixel count computed here by the same rule the
 * image is drawn with), the image view's fit transform to aim the mouse at image pixels, and the
 * browser session the labeling tests run in.
 */
import type { ImageData as PngImageData } from 'fast-png';
import type { Browser, Page } from 'playwright-core';
import type { LoupeApi } from '../../contract/client';
import { startApp, type RunningApp } from '../helpers/app';
import { launchChromium, watchErrors } from '../helpers/browser';
import { connectClient } from '../helpers/ws-client';

export const SMALL = { width: 64, height: 48 };

/** A distinct 8-bit greyscale image per index (distinct content: imports deduplicate by hash). */
export function smallImage(index: number): PngImageData {
  const data = new Uint8Array(SMALL.width * SMALL.height);
  for (let y = 0; y < SMALL.height; y++)
    for (let x = 0; x < SMALL.width; x++) data[y * SMALL.width + x] = (x * 3 + y * 2 + index * 37) & 0xff;
  return { width: SMALL.width, height: SMALL.height, data, depth: 8, channels: 1 };
}

const DISK = { x: 1500, y: 500, r: 200 };
/** Background: a ramp well below the disk; disk: one value far above it (the wand's tolerance lies between). */
const BACKGROUND_BASE = 1000;
const DISK_VALUE = 40_000;

const inDisk = (x: number, y: number): boolean => (x + 0.5 - DISK.x) ** 2 + (y + 0.5 - DISK.y) ** 2 <= DISK.r ** 2;

function countDisk(size: number): number {
  let n = 0;
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) if (inDisk(x, y)) n++;
  return n;
}

export const BIG = { name: 'scan-16bit.png', size: 2048, disk: DISK, diskPixels: countDisk(2048) };

export function bigImage(): PngImageData {
  const size = BIG.size;
  const data = new Uint16Array(size * size);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) data[y * size + x] = inDisk(x, y) ? DISK_VALUE : BACKGROUND_BASE + 2 * (x + y);
  return { width: size, height: size, data, depth: 16, channels: 1 };
}

/** The image canvas on screen (page coordinates). */
export interface Screen {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The view's fit transform (viewer/view-transform.ts fitTransform), as the image opens. */
function fit(screen: Screen, columns: number, rows: number): { scale: number; x: number; y: number } {
  const scale = Math.min(screen.width / columns, screen.height / rows);
  return {
    scale,
    x: screen.left + (screen.width - columns * scale) / 2,
    y: screen.top + (screen.height - rows * scale) / 2,
  };
}

/** The page point over image point p, rounded to whole page pixels as a real mouse would be. */
export function imageToScreen(
  screen: Screen,
  columns: number,
  rows: number,
  p: { x: number; y: number },
): { x: number; y: number } {
  const t = fit(screen, columns, rows);
  return { x: Math.round(t.x + p.x * t.scale), y: Math.round(t.y + p.y * t.scale) };
}

export function screenToImage(
  screen: Screen,
  columns: number,
  rows: number,
  p: { x: number; y: number },
): { x: number; y: number } {
  const t = fit(screen, columns, rows);
  return { x: (p.x - t.x) / t.scale, y: (p.y - t.y) / t.scale };
}

interface Distribution {
  median: number;
  p95: number;
  max: number;
}

function distribution(values: number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { median: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] ?? NaN };
}

/**
 * The last stroke's User Timing measures (MaskLayer.vue): event → painted, event → next frame,
 * the handler's own work per event, and the last whole-mask repaint for comparison.
 */
export async function strokeLatencySummary(
  page: Page,
): Promise<{ events: number; paint: Distribution; frame: Distribution; work: Distribution; wholeRepaint: number }> {
  // The frame measures land one animation frame after their events.
  // (Strings: this code runs in the page, and the tests' TypeScript has no DOM types.)
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
  const { paint, frame, work, whole } = await page.evaluate(() => ({
    paint: performance.getEntriesByName('loupe:stroke-paint').map((e) => e.duration),
    frame: performance.getEntriesByName('loupe:stroke-frame').map((e) => e.duration),
    work: performance.getEntriesByName('loupe:stroke-work').map((e) => e.duration),
    whole: performance.getEntriesByName('loupe:mask-repaint').map((e) => e.duration),
  }));
  return {
    events: paint.length,
    paint: distribution(paint),
    frame: distribution(frame),
    work: distribution(work),
    wholeRepaint: whole[whole.length - 1] ?? NaN,
  };
}

/** Alpha of the mask overlay's pixel (x, y) in source pixels: 255 where a visible class is painted, 0 elsewhere. */
export function overlayAlpha(page: Page, x: number, y: number): Promise<number> {
  return page.evaluate(
    `document.querySelector('[data-testid="mask-canvas"]').getContext('2d').getImageData(${x}, ${y}, 1, 1).data[3]`,
  );
}

/** A second client of the app, on the page's session: it checks what was saved, and plays "another window". */
export async function connectBesidePage(
  page: Page,
  launchUrl: string,
): Promise<{ client: LoupeApi; close: () => void }> {
  const cookies = await page.context().cookies();
  const { client, socket } = await connectClient(`ws://${new URL(launchUrl).host}/rpc`, {
    cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; '),
  });
  return { client, close: () => socket.close() };
}

/** Makes a task through the "New task" form; returns its id. */
export async function createTaskInUi(
  page: Page,
  client: LoupeApi,
  name: string,
  kind: string,
  classes: string,
): Promise<number> {
  if (!(await page.getByTestId('task-form').isVisible())) await page.getByTestId('panel-new-task').click();
  await page.getByTestId('task-name').fill(name);
  await page.getByTestId('task-kind').selectOption(kind);
  if (classes) await page.getByTestId('task-classes').fill(classes);
  await page.getByTestId('task-create').click();
  await page.getByTestId('task-form').waitFor({ state: 'detached' });
  const { tasks } = await client.invoke('labels.tasks', {});
  return tasks.find((t) => t.name === name)!.id;
}

/** The image canvas on the page once the layout has settled (the view refits when it changes size). */
export async function viewerScreen(page: Page): Promise<Screen> {
  let last = '';
  for (;;) {
    const box = (await page.getByTestId('image-canvas').boundingBox())!;
    const screen = { left: box.x, top: box.y, width: box.width, height: box.height };
    if (JSON.stringify(screen) === last) return screen;
    last = JSON.stringify(screen);
    await page.waitForTimeout(100);
  }
}

/** Browser mode with Chromium on it, and a second client beside the page (see connectBesidePage). */
export interface LabelingSession {
  app: RunningApp;
  browser: Browser;
  page: Page;
  /** Console errors the page raised. */
  errors: string[];
  client: LoupeApi;
  /** Closes the client, the browser and the app. */
  close(): Promise<void>;
}

export async function openLabelingSession(): Promise<LabelingSession> {
  const app = await startApp();
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = watchErrors(page);
  await page.goto(app.launchUrl);
  const { client, close } = await connectBesidePage(page, app.launchUrl);
  return {
    app,
    browser,
    page,
    errors,
    client,
    close: async () => {
      close();
      await browser.close();
      await app.stop();
    },
  };
}

/** Creates a workspace and imports a folder through the UI, then opens the Label section. */
export async function importThenLabel(page: Page, workspace: string, folder: string, summary: string): Promise<void> {
  await page.getByTestId('workspace-path').fill(workspace);
  await page.getByTestId('workspace-create').click();
  await page.getByTestId('workspace-current').waitFor();
  await page.getByTestId('import-path').fill(folder);
  await page.getByTestId('import-start').click();
  await page.getByTestId('import-summary').filter({ hasText: summary }).waitFor({ timeout: 60_000 });
  await page.getByTestId('nav-label').click();
  await page.getByTestId('section-label').waitFor();
}
