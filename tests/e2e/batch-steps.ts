/** What the Batch section e2e tests do more than once: run a batch from the form, read what it wrote. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/** Fills the form's first input and output folder, starts, and waits until this new batch has finished. */
export async function runBatchFromForm(page: Page, input: string, out: string): Promise<void> {
  const jobs = page.getByTestId('batch-jobs').locator('li');
  const before = await jobs.count();
  await page.getByTestId('batch-input-0').fill(input);
  await page.getByTestId('batch-out').fill(out);
  await page.getByTestId('batch-start').click();
  // The new batch heads the list once it shows; until then the first row is an older one.
  await expect.poll(() => jobs.count()).toBe(before + 1);
  await expect.poll(() => jobs.first().getAttribute('data-state'), { timeout: 60_000 }).toBe('completed');
}

/** The predictions.jsonl line a batch wrote for `file` (its first frame). */
export function predictionLine<T extends { path: string }>(out: string, file: string): T {
  const lines = readFileSync(path.join(out, 'predictions.jsonl'), 'utf8').trimEnd().split('\n');
  const line = lines.map((l) => JSON.parse(l) as T).find((l) => l.path === file);
  if (!line) throw new Error(`${out} has no prediction of ${file}`);
  return line;
}
