/**
 * `workspace.addDemoData`: the demo folder (demo-folder.ts) written into the open workspace's
 * folder, then its labelled parts imported through the same imports as `loupe labels import`:
 * as ImageFolder into the classification task, with their defects' masks as image-mask into the
 * segmentation task, and their defects' boxes as COCO, a file per split, into the detection task;
 * so they arrive with their classes, masks, boxes and splits (the later imports find every image
 * already there). A demo folder already there (an earlier call cancelled or
 * failed while importing, or a demo task deleted) is imported again into whichever demo task is
 * missing, instead of written anew: no image is imported twice.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  DEMO_DETECTION_TASK_NAME,
  DEMO_SEGMENTATION_TASK_NAME,
  DEMO_TASK_NAME,
  DEMO_VERIFICATION_TASK_NAME,
  LoupeError,
  SPLITS,
  type LabelFormat,
  type SplitName,
} from '../../../contract/index';
import type { DomainHandlers } from '../dispatcher';
import type { ImportImages } from '../labels/interchange/dataset-images';
import { importLabels } from '../labels/interchange/index';
import { listTasks } from '../labels/tasks';
import type { WorkspaceService } from '../workspace/workspace-service';
import { boxesFile } from './demo-boxes';
import { addWashers, markImported, readDemoFolder } from './demo-description';
import { writeDemoFolder } from './demo-folder';
import { DEMO_TRUTH_FILE, type DemoFolderSummary } from './demo-layout';
import { SHOTS_PER_WASHER, washerCount, washerPictureCount, type WasherSummary } from './demo-washers';

const DEMO_FOLDER = 'demo-data';

/** `demo-data` in the workspace's folder, or `demo-data-2`, … where an earlier one is still there. */
async function freshFolder(root: string): Promise<string> {
  for (let n = 1; ; n++) {
    const folder = path.join(root, n === 1 ? DEMO_FOLDER : `${DEMO_FOLDER}-${n}`);
    if (!(await fs.stat(folder).catch(() => null))) return folder;
  }
}

/** What each demo task imports from the demo folder, in order (the first import makes the task). */
function demoImports(
  written: DemoFolderSummary & { washers: WasherSummary },
): { task: string; imports: DemoImport[] }[] {
  return [
    { task: DEMO_TASK_NAME, imports: [{ format: 'imagefolder', path: written.datasetFolder }] },
    { task: DEMO_SEGMENTATION_TASK_NAME, imports: [{ format: 'image-mask', path: written.masksFolder }] },
    {
      task: DEMO_DETECTION_TASK_NAME,
      imports: SPLITS.map((split) => ({
        format: 'coco',
        path: path.join(written.masksFolder, boxesFile(split)),
        split,
      })),
    },
    { task: DEMO_VERIFICATION_TASK_NAME, imports: [{ format: 'imagefolder', path: written.washers.folder }] },
  ];
}

interface DemoImport {
  format: LabelFormat;
  path: string;
  split?: SplitName;
}

export function demoHandlers(
  workspaces: WorkspaceService,
  importImages: ImportImages,
): Pick<DomainHandlers<'workspace'>, 'workspace.addDemoData'> {
  return {
    'workspace.addDemoData': async (request, context) => {
      const ws = workspaces.require();
      const existing = (name: string) => listTasks(ws.db).find((t) => t.name.toLowerCase() === name.toLowerCase());
      const names = [
        DEMO_TASK_NAME,
        DEMO_SEGMENTATION_TASK_NAME,
        DEMO_DETECTION_TASK_NAME,
        DEMO_VERIFICATION_TASK_NAME,
      ];
      const found = await readDemoFolder(path.join(ws.root, DEMO_FOLDER));
      // A task an earlier call made but did not finish importing into (stopped between the
      // detection task's three files) is imported again: an import replaces the labels of the
      // images it names, so it ends whole. A task whose imports finished is left as it is: the user
      // may have edited it since. A folder that recorded none (an older Loupe's) is taken as finished.
      const unfinished = (name: string) => !!found?.imported && !found.imported.includes(name);
      const missing = names.filter((name) => !existing(name) || unfinished(name));
      if (missing.length === 0)
        throw new LoupeError(
          'CONFLICT',
          `This workspace already has the demo tasks ${names.map((n) => `"${n}"`).join(', ')}; rename or delete one to add the demo data again.`,
        );
      const labelled = found ? found.splits.train + found.splits.val + found.splits.test : request.images;
      // The washers' pictures: their six shots each (what the washers' task imports), then the test washers' references.
      const washerIds = found?.washers
        ? Object.values(found.washers.identities).reduce((a, b) => a + b, 0)
        : washerCount(labelled);
      const shots = washerIds * SHOTS_PER_WASHER;
      // The bar: the files written (for a folder already there, the washers it lacked, if it did),
      // then each missing task's import, as many steps as the images it imports.
      const stepsOf = (task: string) => (task === DEMO_VERIFICATION_TASK_NAME ? shots : labelled);
      const pictures = washerPictureCount(washerIds);
      let before = found ? (found.washers ? 0 : pictures) : labelled + request.inbox + pictures;
      const total = before + missing.reduce((sum, name) => sum + stepsOf(name), 0);
      const onWrite = (done: number) => context.progress({ done, total });
      const written = await (found
        ? addWashers(found, onWrite, context.signal)
        : writeDemoFolder(await freshFolder(ws.root), request, onWrite, context.signal));
      const washers = written.washers!;
      const finished = names.filter((name) => !missing.includes(name));
      let described: DemoFolderSummary = written;
      for (const { task, imports } of demoImports({ ...written, washers }).filter((t) => missing.includes(t.task))) {
        // A task's imports share its part of the bar, one after the other (the detection task's three
        // files). An import counts its images, then its labels, each from 0: the bar holds its place.
        const share = stepsOf(task) / imports.length;
        for (const one of imports) {
          let reached = before;
          await importLabels(
            ws,
            { ...one, taskName: task, dryRun: false, skipMalformed: false },
            (done, of) => {
              reached = Math.max(reached, before + (share * done) / Math.max(1, of));
              context.progress({ done: Math.round(reached), total });
            },
            context.signal,
            importImages,
          );
          before += share;
        }
        described = await markImported(described, task, finished);
      }
      const [classification, segmentation, detection, verification] = names.map((name) => existing(name)!);
      return {
        folder: written.folder,
        inboxFolder: written.inboxFolder,
        inboxTruth: path.join(written.folder, DEMO_TRUTH_FILE),
        taskId: classification!.id,
        taskName: classification!.name,
        segmentationTaskId: segmentation!.id,
        segmentationTaskName: segmentation!.name,
        detectionTaskId: detection!.id,
        detectionTaskName: detection!.name,
        verificationTaskId: verification!.id,
        verificationTaskName: verification!.name,
        washers: washers.identities,
        shotsPerWasher: washers.shotsPerWasher,
        washerReferencesFolder: washers.referencesFolder,
        classes: [...written.classes],
        splits: written.splits,
        inbox: written.inbox,
        inboxDefects: written.inboxDefects,
      };
    },
  };
}
