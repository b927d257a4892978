import { defineStore } from 'pinia';
import { ref } from 'vue';
import { isLoupeError, type WorkspaceSummary } from '../../../contract/index';
import { loupe, messageOf } from '../client/index';

/** The open workspace; opening and creating report failures in `error` for the form to show. */
export const useWorkspaceStore = defineStore('workspace', () => {
  const current = ref<WorkspaceSummary | null>(null);
  const busy = ref(false);
  const error = ref<string | null>(null);
  let unsubscribe: (() => void) | null = null;
  /** Work to finish before another workspace opens (labels waiting to be saved belong to this one). */
  const beforeChangeHooks = new Set<() => Promise<void>>();

  function beforeChange(hook: () => Promise<void>): () => void {
    beforeChangeHooks.add(hook);
    return () => beforeChangeHooks.delete(hook);
  }

  async function finishPendingWork(): Promise<void> {
    await Promise.allSettled([...beforeChangeHooks].map((hook) => hook()));
  }

  async function hydrate(): Promise<void> {
    unsubscribe ??= loupe().on('workspace.changed', (summary) => (current.value = summary));
    current.value = await loupe().invoke('workspace.current', {});
  }

  async function open(path: string, create: boolean): Promise<boolean> {
    busy.value = true;
    error.value = null;
    try {
      await finishPendingWork();
      current.value = await loupe().invoke('workspace.open', { path: path.trim(), create });
      return true;
    } catch (e) {
      // Open was pressed for a folder that does not exist yet: a new user's first workspace.
      const hint = !create && isLoupeError(e) && e.code === 'NOT_FOUND' ? ' Create makes a new workspace there.' : '';
      error.value = messageOf(e) + hint;
      return false;
    } finally {
      busy.value = false;
    }
  }

  async function close(): Promise<void> {
    error.value = null;
    try {
      await finishPendingWork();
      await loupe().invoke('workspace.close', {});
      current.value = null;
    } catch (e) {
      error.value = messageOf(e);
    }
  }

  function dehydrate(): void {
    unsubscribe?.();
    unsubscribe = null;
  }

  return { current, busy, error, hydrate, open, close, dehydrate, beforeChange };
});
