/**
 * A confusion-matrix cell opens the images behind it: in the Train section, a completed run's
 * cell is clicked and the Review section shows exactly that many test images, each labelled with
 * the cell's row class and predicted as its column class.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoupeApi } from '../../contract/client';
import { type RunningApp } from '../helpers/app';
import { caller } from '../helpers/labels';
import { reviewWorkspace, type ReviewWorkspace } from '../helpers/review-workspace';
import { realServices } from '../helpers/services';
import { openWorkspaceInBrowser } from './browser-session';

describe('confusion-matrix cells', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let dir: string;
  let client: LoupeApi;
  let closeClient: () => void;
  let setup: ReviewWorkspace;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-e2e-confusion-'));
    const workspace = path.join(dir, 'ws');
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

  it('opens the images of a cell in Review', async () => {
    const evaluation = (await client.invoke('training.run', { runId: setup.runId })).record!.evaluation!;
    if (evaluation.task !== 'classification') throw new Error('expected a classification evaluation');
    // The fullest cell: the matrix the engine recorded says how many images it must open.
    let best = { i: 0, j: 0, count: -1 };
    evaluation.confusionMatrix.forEach((row, i) =>
      row.forEach((count, j) => count > best.count && (best = { i, j, count })),
    );
    await page.getByTestId('nav-train').click();
    await page.getByTestId(`run-row-${setup.runId}`).click();
    await page.getByTestId(`confusion-${best.i}-${best.j}`).getByRole('button').click();
    await page.waitForURL(/\/review$/);
    const items = page.getByTestId('review-list').locator('li');
    await expect.poll(() => items.count(), { timeout: 60_000 }).toBe(best.count);
    // Each image shown: labelled with the row's class now, and predicted as the column's.
    const { tasks } = await client.invoke('labels.tasks', {});
    const rowClass = tasks
      .find((t) => t.id === setup.taskId)!
      .classes.find((c) => c.name === evaluation.perClass[best.i]!.className)!;
    const names = await items.locator('.file').allTextContents();
    const { items: listed } = await client.invoke('imaging.list', { offset: 0, limit: 1000 });
    for (const name of names) {
      const imageId = listed.find((i) => i.fileName === name)!.id;
      const labels = await client.invoke('labels.get', { taskId: setup.taskId, imageId });
      expect(labels.classIds).toEqual([rowClass.id]);
    }
    const predicted = evaluation.perClass[best.j]!.className;
    const shownPredictions = await items.locator('span:nth-child(2)').allTextContents();
    expect(shownPredictions.map((t) => t.split(' ')[0])).toEqual(names.map(() => predicted));
    expect(errors).toEqual([]);
  });
});
