import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ExportReport, LabelsImportReport, RequestOf, SplitCounts } from '../../../contract/index';
import { loupe, messageOf } from '../client/index';

/**
 * A task's data beyond single images: its train/val/test split (assign, lock, counts per class per
 * split) and interchange (import and export in COCO, YOLO, VOC, mask folders and CSV, with
 * progress, cancel and the reports of what was skipped).
 */
export const useLabelDataStore = defineStore('labelData', () => {
  const counts = ref<SplitCounts | null>(null);
  const lastAssign = ref<{ ungrouped: number; newlyAssigned: number } | null>(null);
  const splitError = ref<string | null>(null);
  const splitBusy = ref(false);
  const importReport = ref<LabelsImportReport | null>(null);
  const exportReport = ref<ExportReport | null>(null);
  const transferError = ref<string | null>(null);
  const progress = ref<{ done: number; total: number } | null>(null);
  let running: string | null = null;

  async function splitCall(work: () => Promise<SplitCounts>): Promise<boolean> {
    splitBusy.value = true;
    splitError.value = null;
    try {
      counts.value = await work();
      return true;
    } catch (e) {
      splitError.value = messageOf(e);
      return false;
    } finally {
      splitBusy.value = false;
    }
  }

  function loadCounts(taskId: number): Promise<boolean> {
    lastAssign.value = null;
    return splitCall(() => loupe().invoke('labels.splitCounts', { taskId }));
  }

  function assignSplits(request: RequestOf<'labels.assignSplits'>): Promise<boolean> {
    return splitCall(async () => {
      const reply = await loupe().invoke('labels.assignSplits', request);
      lastAssign.value = { ungrouped: reply.ungrouped, newlyAssigned: reply.newlyAssigned };
      return reply;
    });
  }

  function lockSplits(taskId: number, locked: boolean): Promise<boolean> {
    return splitCall(() => loupe().invoke('labels.lockSplits', { taskId, locked }));
  }

  async function transfer<T>(work: (requestId: string) => Promise<T>): Promise<T | null> {
    if (running) return null;
    running = crypto.randomUUID();
    transferError.value = null;
    progress.value = { done: 0, total: 0 };
    try {
      return await work(running);
    } catch (e) {
      transferError.value = messageOf(e);
      return null;
    } finally {
      running = null;
      progress.value = null;
    }
  }

  async function importLabels(request: RequestOf<'labels.import'>): Promise<LabelsImportReport | null> {
    importReport.value = null;
    const report = await transfer((requestId) =>
      loupe().invoke('labels.import', request, { requestId, onProgress: (p) => (progress.value = p) }),
    );
    importReport.value = report;
    return report;
  }

  async function exportLabels(request: RequestOf<'labels.export'>): Promise<ExportReport | null> {
    exportReport.value = null;
    const report = await transfer((requestId) =>
      loupe().invoke('labels.export', request, { requestId, onProgress: (p) => (progress.value = p) }),
    );
    exportReport.value = report;
    return report;
  }

  function cancelTransfer(): void {
    if (running) loupe().cancel(running);
  }

  function reset(): void {
    counts.value = null;
    lastAssign.value = null;
    importReport.value = null;
    exportReport.value = null;
    splitError.value = null;
    transferError.value = null;
  }

  return {
    counts,
    lastAssign,
    splitError,
    splitBusy,
    importReport,
    exportReport,
    transferError,
    progress,
    loadCounts,
    assignSplits,
    lockSplits,
    importLabels,
    exportLabels,
    cancelTransfer,
    reset,
  };
});
