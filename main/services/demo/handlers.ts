/**
 * `workspace.addDemoData`: the demo folder (demo-folder.ts) written into the open workspace's
 * folder, then its labelled parts imported through the same imports as `loupe labels import`:
 * as ImageFolder into the classification task, and with their defects' masks as image-mask into
 * the segmentation task, so they arrive with their classes, masks and splits (the second import
 * finds every image already there). A demo folder already there (an earlier call cancelled or
 * failed while importing, or a demo task deleted) is imported again into whichever demo task is
 * missing, instead of written anew: no image is imported twice.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DEMO_SEGMENTATION_TASK_NAME, DEMO_TASK_NAME, LoupeError } from '../../../contract/index';
import type { DomainHandlers } from '../dispatcher';
import type { ImportImages } from '../labels/interchange/dataset-images';
import { importLabels } from '../labels/interchange/index';
import { listTasks } from '../labels/tasks';
import type { WorkspaceService } from '../workspace/workspace-service';
import { DEMO_TRUTH_FILE, readDemoFolder, writeDemoFolder } from './demo-folder';

const DEMO_FOLDER = 'demo-data';

/** `demo-data` in the workspace's folder, or `demo-data-2`, … where an earlier one is still there. */
async function freshFolder(root: string): Promise<string> {
  for (let n = 1; ; n++) {
    const folder = path.join(root, n === 1 ? DEMO_FOLDER : `${DEMO_FOLDER}-${n}`);
    if (!(await fs.stat(folder).catch(() => null))) return folder;
  }
}

/** The demo's two tasks: its parts' classes, and its defects' masks. */
const DEMO_TASKS = [
  { name: DEMO_TASK_NAME, format: 'imagefolder', folder: 'datasetFolder' },
  { name: DEMO_SEGMENTATION_TASK_NAME, format: 'image-mask', folder: 'masksFolder' },
] as const;

export function demoHandlers(
  workspaces: WorkspaceService,
  importImages: ImportImages,
): Pick<DomainHandlers<'workspace'>, 'workspace.addDemoData'> {
  return {
    'workspace.addDemoData': async (request, context) => {
      const ws = workspaces.require();
      const existing = (name: string) => listTasks(ws.db).find((t) => t.name.toLowerCase() === name.toLowerCase());
      const missing = DEMO_TASKS.filter((t) => !existing(t.name));
      if (missing.length === 0)
        throw new LoupeError(
          'CONFLICT',
          `This workspace already has the tasks "${DEMO_TASK_NAME}" and "${DEMO_SEGMENTATION_TASK_NAME}"; rename or delete one to add the demo data again.`,
        );
      const written =
        (await readDemoFolder(path.join(ws.root, DEMO_FOLDER))) ??
        (await writeDemoFolder(
          await freshFolder(ws.root),
          request,
          (done, total) => context.progress({ done, total: total + missing.length * request.images }),
          context.signal,
        ));
      const { train, val, test } = written.splits;
      const labelled = train + val + test;
      const total = labelled + written.inbox + missing.length * labelled;
      let before = labelled + written.inbox;
      for (const task of missing) {
        await importLabels(
          ws,
          { format: task.format, path: written[task.folder], taskName: task.name, dryRun: false, skipMalformed: false },
          (done, of) => context.progress({ done: before + Math.round((labelled * done) / Math.max(1, of)), total }),
          context.signal,
          importImages,
        );
        before += labelled;
      }
      const [classification, segmentation] = DEMO_TASKS.map((t) => existing(t.name)!);
      return {
        folder: written.folder,
        inboxFolder: written.inboxFolder,
        inboxTruth: path.join(written.folder, DEMO_TRUTH_FILE),
        taskId: classification!.id,
        taskName: classification!.name,
        segmentationTaskId: segmentation!.id,
        segmentationTaskName: segmentation!.name,
        classes: [...written.classes],
        splits: written.splits,
        inbox: written.inbox,
        inboxDefects: written.inboxDefects,
      };
    },
  };
}
