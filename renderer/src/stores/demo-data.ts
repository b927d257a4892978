import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ProgressOf, ReplyOf } from '../../../contract/index';
import { loupe, messageOf } from '../client/index';
import { useImagesStore } from './images';
import { useLabelTasksStore } from './label-tasks';

/**
 * The Workspace section's "Add demo data": Loupe writes synthetic parts into the open workspace's
 * folder and imports them labelled (workspace.addDemoData); then the images and tasks are shown.
 */
export const useDemoDataStore = defineStore('demo-data', () => {
  const adding = ref(false);
  const progress = ref<ProgressOf<'workspace.addDemoData'> | null>(null);
  const added = ref<ReplyOf<'workspace.addDemoData'> | null>(null);
  const error = ref<string | null>(null);
  let requestId: string | null = null;

  async function add(): Promise<void> {
    if (adding.value) return;
    adding.value = true;
    error.value = null;
    added.value = null;
    progress.value = { done: 0, total: 0 };
    requestId = crypto.randomUUID();
    try {
      added.value = await loupe().invoke(
        'workspace.addDemoData',
        {},
        { requestId, onProgress: (p) => (progress.value = p) },
      );
    } catch (e) {
      error.value = messageOf(e);
    } finally {
      adding.value = false;
      requestId = null;
      await Promise.all([
        useImagesStore().refresh(),
        useLabelTasksStore()
          .reload()
          .catch((e: unknown) => (error.value ??= messageOf(e))),
      ]);
    }
  }

  function cancel(): void {
    if (requestId) loupe().cancel(requestId);
  }

  /** The message read (or a workspace closed or another opened): nothing more shown of this demo. */
  function dehydrate(): void {
    added.value = null;
    error.value = null;
    progress.value = null;
  }

  return { adding, progress, added, error, add, cancel, dehydrate };
});
