import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../helpers/app';
import { keepScreenshot, launchChromium, watchErrors } from '../helpers/browser';
import { expectedBackend } from '../helpers/expected-backend';

const SECTIONS = ['Workspace', 'Label', 'Train', 'Review', 'Batch', 'Export'];

describe('app shell in browser mode', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let tmp: string;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'loupe-e2e-'));
    app = await startApp();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    errors = watchErrors(page);
    await page.goto(app.launchUrl);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('says in one line why it runs in browser mode', () => {
    expect(app.banner).toMatch(
      /^Loupe runs in browser mode \(browser mode requested \(--browser\)\): open http:\/\/127\.0\.0\.1:\d+\/\?token=/,
    );
  });

  it('drops the token from the address bar', () => {
    expect(page.url()).not.toMatch(/token=/);
  });

  it('shows the engine backend in the status bar', async () => {
    await expect
      .poll(() => page.getByTestId('engine-backend').textContent(), { timeout: 30_000 })
      .toBe(expectedBackend());
    expect(await page.getByTestId('engine-state').textContent()).toBe('ready');
    await keepScreenshot(page, 'shell-workspace');
  });

  it('visits every section from the navigation', async () => {
    for (const name of SECTIONS) {
      await page.getByTestId(`nav-${name.toLowerCase()}`).click();
      const section = page.getByTestId(`section-${name.toLowerCase()}`);
      await section.waitFor();
      expect(await section.locator('h1').textContent()).toBe(name);
      expect((await section.textContent())?.length).toBeGreaterThan(40);
    }
    await keepScreenshot(page, 'shell-export');
  });

  it('jumps between sections with Alt+number', async () => {
    await page.keyboard.press('Alt+3');
    await page.getByTestId('section-train').waitFor();
    await page.keyboard.press('Alt+1');
    await page.getByTestId('section-workspace').waitFor();
  });

  it('creates a workspace and shows it in the status bar', async () => {
    const folder = path.join(tmp, 'knee-mri');
    await page.getByTestId('workspace-path').fill(folder);
    await page.getByTestId('workspace-create').click();
    await expect.poll(() => page.getByTestId('workspace-current').locator('h2').textContent()).toBe('knee-mri');
    expect(await page.getByTestId('workspace-status').textContent()).toMatch(/Workspace: knee-mri/);
    await keepScreenshot(page, 'workspace-created');
  });

  it('explains why a folder of other files cannot be opened', async () => {
    const other = path.join(tmp, 'photos');
    mkdirSync(other);
    writeFileSync(path.join(other, 'cat.jpg'), 'not really');
    await page.getByTestId('workspace-path').fill(other);
    await page.getByTestId('workspace-open').click();
    await expect.poll(() => page.getByTestId('workspace-error').textContent()).toMatch(/is not a Loupe workspace/);
  });

  it('raised no console errors (CSP violations included)', () => {
    // The refused open above is reported in the UI, not as a console error.
    expect(errors).toEqual([]);
  });
});
