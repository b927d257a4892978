/**
 * What most e2e tests do first: start Loupe's web host and Chromium, open a workspace in the page
 * as a user does (type its path, Open, wait for it to show), and connect a client beside the page
 * (with the page's session cookie) for the checks a test makes through the channels. A first-run
 * test starts on the start page instead (startBrowserSession).
 */
import type { Browser, Page } from 'playwright-core';
import type { LoupeApi } from '../../contract/client';
import { startApp, type RunningApp } from '../helpers/app';
import { launchChromium, watchErrors } from '../helpers/browser';
import { connectBesidePage } from './labeling-helpers';

export interface BrowserSession {
  app: RunningApp;
  browser: Browser;
  page: Page;
  /** Console errors and page errors seen so far (watchErrors). */
  errors: string[];
  client: LoupeApi;
  closeClient: () => void;
}

/** Loupe's start page in Chromium, no workspace open yet (a first run), with a client beside it. */
export async function startBrowserSession(viewport: { width: number; height: number }): Promise<BrowserSession> {
  const app = await startApp();
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport });
  const errors = watchErrors(page);
  await page.goto(app.launchUrl);
  const { client, close } = await connectBesidePage(page, app.launchUrl);
  return { app, browser, page, errors, client, closeClient: close };
}

export async function openWorkspaceInBrowser(
  workspace: string,
  viewport: { width: number; height: number },
): Promise<BrowserSession> {
  const session = await startBrowserSession(viewport);
  await session.page.getByTestId('workspace-path').fill(workspace);
  await session.page.getByTestId('workspace-open').click();
  await session.page.getByTestId('workspace-current').waitFor();
  return session;
}
