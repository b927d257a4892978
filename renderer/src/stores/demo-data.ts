import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ProgressOf, ReplyOf } from '../../../contract/index';
import { loupe, messageOf } from '../client/index';
import { useBatchStore } from './batch';
import { useImagesStore } from './images';
import { useLabelTasksStore } from './label-tasks';

/** Where a batch run of the demo's inbox writes, inside the demo folder. */
const INBOX_RESULTS_FOLDER = 'inbox-predictions';

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

  /** The Batch section's form set to predict the demo's inbox, its results beside it in the demo folder. */
  function predictInbox(): void {
    if (!added.value) return;
    const { folder, inboxFolder } = added.value;
    const separator = folder.includes('\\') ? '\\' : '/';
    const draft = useBatchStore().draft;
    draft.inputs = [inboxFolder];
    draft.out = `${folder}${separator}${INBOX_RESULTS_FOLDER}`;
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

  return { adding, progress, added, error, add, cancel, predictInbox, dehydrate };
});
