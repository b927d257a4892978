/** The workspace the label-data browser test starts from, and steps it takes in the page. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encode } from 'fast-png';
import type { Page } from 'playwright-core';
import type { LoupeApi } from '../../contract/client';
import type { BoxLabel, LabelTask } from '../../contract/index';
import { smallImage } from './labeling-helpers';

/** Four parts, two images each: a split grouped by part must keep each pair together. */
export const NAMES = ['part1', 'part2', 'part3', 'part4'].flatMap((part) => [`${part}-a.png`, `${part}-b.png`]);

/**
 * The set-up a previous session left, made in a new workspace under `tmp`: the images imported,
 * and a task "Grades" with half the images "ok", half "defect". Returns the task and each image's id by file name.
 */
export async function gradesWorkspace(
  client: LoupeApi,
  tmp: string,
): Promise<{ task: LabelTask; ids: Map<string, number> }> {
  const folder = path.join(tmp, 'images');
  mkdirSync(folder);
  NAMES.forEach((name, i) => writeFileSync(path.join(folder, name), encode(smallImage(i))));
  await client.invoke('workspace.open', { path: path.join(tmp, 'ws'), create: true });
  await client.invoke('imaging.import', { paths: [folder] });
  const ids = new Map<string, number>();
  for (const image of (await client.invoke('imaging.list', { offset: 0, limit: 100 })).items)
    ids.set(image.fileName, image.id);
  const task = await client.invoke('labels.createTask', {
    name: 'Grades',
    kind: 'classification',
    classes: [{ name: 'ok' }, { name: 'defect' }],
  });
  const [ok, defect] = task.classes;
  await client.invoke('labels.assign', {
    taskId: task.id,
    imageIds: NAMES.filter((_, i) => i % 2 === 0).map((n) => ids.get(n)!),
    mode: 'set',
    classId: ok!.id,
  });
  await client.invoke('labels.assign', {
    taskId: task.id,
    imageIds: NAMES.filter((_, i) => i % 2 === 1).map((n) => ids.get(n)!),
    mode: 'set',
    classId: defect!.id,
  });
  return { task, ids };
}

/** Hands predicted boxes to the page's draft store, as the detection integration does. */
export async function showDrafts(
  page: Page,
  taskId: number,
  imageId: number,
  drafts: (BoxLabel & { score: number })[],
): Promise<void> {
  await page.evaluate(
    `document.querySelector('#app').__vue_app__.config.globalProperties.$pinia._s.get('draftBoxes').setDraftBoxes(${taskId}, ${imageId}, ${JSON.stringify(drafts)})`,
  );
}

/** Drags the element with this test id from its centre to a point on the screen. */
export async function dragTo(page: Page, testId: string, to: { x: number; y: number }): Promise<void> {
  const handle = (await page.getByTestId(testId).boundingBox())!;
  await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
  await page.mouse.down();
  await page.mouse.move(to.x, to.y, { steps: 4 });
  await page.mouse.up();
}
