/**
 * The labels domain's channels. Every call works on the open workspace; the first call on a
 * workspace also sweeps mask files a crash left unreferenced (see mask-files.ts).
 */
import type { DomainHandlers } from '../dispatcher';
import type { Logger } from '../logger';
import type { Workspace } from '../workspace/workspace';
import type { WorkspaceService } from '../workspace/workspace-service';
import { deleteClass, deleteTask } from './deletions';
import { assignClasses } from './class-tags';
import { getImageLabels, saveImageLabels } from './image-labels';
import { summarizeLabels } from './label-summary';
import type { ImportImages } from './interchange/dataset-images';
import { exportLabels, importLabels } from './interchange/index';
import { sweepOrphanMasks } from './mask-files';
import { addPair, deletePairs, generatePairs, listPairs } from './pairs';
import { assignSplits, lockSplits, splitCounts } from './splits';
import {
  classLoss,
  createTask,
  insertClass,
  listTasks,
  renameTask,
  setTaskFrames,
  reorderClasses,
  taskLoss,
  updateClass,
} from './tasks';
import { countTaskImages, imageFacets, setTaskImages } from './task-images';

export function labelsHandlers(
  workspaces: WorkspaceService,
  log: Logger,
  importImages: ImportImages,
): DomainHandlers<'labels'> {
  const swept = new WeakSet<Workspace>();
  const open = (): Workspace => {
    const ws = workspaces.require();
    if (!swept.has(ws)) {
      swept.add(ws);
      const referenced = new Set(ws.db.prepare('SELECT file FROM masks').pluck().all() as string[]);
      void sweepOrphanMasks(ws.root, referenced).then(
        (n) => n > 0 && log.info(`removed ${n} unreferenced mask file(s) in ${ws.root}`),
        (error: unknown) => log.warn(`could not sweep mask files in ${ws.root}: ${(error as Error).message}`),
      );
    }
    return ws;
  };
  return {
    'labels.tasks': () => ({ tasks: listTasks(open().db) }),
    'labels.createTask': (r) => createTask(open().db, r),
    'labels.renameTask': (r) => renameTask(open().db, r.taskId, r.name),
    'labels.setTaskFrames': (r) => setTaskFrames(open().db, r.taskId, r.frames),
    'labels.setTaskImages': (r) => setTaskImages(open().db, r.taskId, r.images),
    'labels.countTaskImages': (r) => countTaskImages(open().db, r.taskId, r.images),
    'labels.imageFacets': () => imageFacets(open().db),
    'labels.taskLoss': (r) => taskLoss(open().db, r.taskId),
    'labels.deleteTask': (r) => deleteTask(open(), r.taskId, r.confirm),
    'labels.addClass': (r) => insertClass(open().db, r.taskId, r.name, r.color),
    'labels.updateClass': (r) => updateClass(open().db, r.classId, r),
    'labels.reorderClasses': (r) => reorderClasses(open().db, r.taskId, r.classIds),
    'labels.classLoss': (r) => classLoss(open().db, r.classId),
    'labels.deleteClass': (r) => deleteClass(open(), r.classId, r.confirm),
    'labels.get': (r) => getImageLabels(open(), r.taskId, r.imageId, r.frame),
    'labels.save': (r) => saveImageLabels(open(), r),
    'labels.assign': (r) => assignClasses(open().db, r),
    'labels.summary': (r) => ({ images: summarizeLabels(open().db, r.taskId) }),
    'labels.pairs': (r) => listPairs(open().db, r.taskId, r.offset, r.limit),
    'labels.addPair': (r) => addPair(open().db, r.taskId, r.imageA, r.imageB, r.same),
    'labels.deletePairs': (r) => ({ deleted: deletePairs(open().db, r.taskId, r.pairIds) }),
    'labels.generatePairs': (r) => generatePairs(open().db, r),
    'labels.assignSplits': (r) => assignSplits(open().db, r),
    'labels.lockSplits': (r) => lockSplits(open().db, r.taskId, r.locked),
    'labels.splitCounts': (r) => splitCounts(open().db, r.taskId),
    'labels.import': (r, context) =>
      importLabels(open(), r, (done, total) => context.progress({ done, total }), context.signal, importImages),
    'labels.export': (r, context) =>
      exportLabels(open(), r, (done, total) => context.progress({ done, total }), context.signal),
  };
}
