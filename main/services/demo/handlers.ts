/**
 * `workspace.addDemoData`: the demo folder (demo-folder.ts) written into the open workspace's
 * folder, then its labelled parts imported as the demo task through the same import as
 * `loupe labels import --format imagefolder`, so they arrive with their classes and splits.
 * A demo folder already there (an earlier call cancelled or failed while importing, or a deleted
 * demo task) is imported again instead of written anew: images already in the workspace are not
 * imported twice.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DEMO_TASK_NAME, LoupeError } from '../../../contract/index';
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

export function demoHandlers(
  workspaces: WorkspaceService,
  importImages: ImportImages,
): Pick<DomainHandlers<'workspace'>, 'workspace.addDemoData'> {
  return {
    'workspace.addDemoData': async (request, context) => {
      const ws = workspaces.require();
      if (listTasks(ws.db).some((t) => t.name.toLowerCase() === DEMO_TASK_NAME.toLowerCase()))
        throw new LoupeError(
          'CONFLICT',
          `This workspace already has the task "${DEMO_TASK_NAME}"; rename or delete it to add the demo data again.`,
        );
      const written =
        (await readDemoFolder(path.join(ws.root, DEMO_FOLDER))) ??
        (await writeDemoFolder(
          await freshFolder(ws.root),
          request,
          (done, total) => context.progress({ done, total: total + request.images }),
          context.signal,
        ));
      const { train, val, test } = written.splits;
      const labelled = train + val + test;
      const files = labelled + written.inbox;
      const report = await importLabels(
        ws,
        {
          format: 'imagefolder',
          path: written.datasetFolder,
          taskName: DEMO_TASK_NAME,
          dryRun: false,
          skipMalformed: false,
        },
        (done, total) =>
          context.progress({
            done: files + Math.round((labelled * done) / Math.max(1, total)),
            total: files + labelled,
          }),
        context.signal,
        importImages,
      );
      return {
        folder: written.folder,
        inboxFolder: written.inboxFolder,
        inboxTruth: path.join(written.folder, DEMO_TRUTH_FILE),
        taskId: report.taskId!,
        taskName: report.taskName,
        classes: [...written.classes],
        splits: written.splits,
        inbox: written.inbox,
        inboxDefects: written.inboxDefects,
      };
    },
  };
}
