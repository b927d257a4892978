import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ReplyOf } from '../../../contract/index';
import { loupe, messageOf } from '../client/index';

type Recent = ReplyOf<'workspace.recent'>['workspaces'];

/** The start screen's list of workspaces opened lately (kept by the app, across restarts). */
export const useRecentWorkspacesStore = defineStore('recent-workspaces', () => {
  const workspaces = ref<Recent>([]);
  const error = ref<string | null>(null);

  async function hydrate(): Promise<void> {
    try {
      workspaces.value = (await loupe().invoke('workspace.recent', {})).workspaces;
      error.value = null;
    } catch (e) {
      error.value = messageOf(e);
    }
  }

  return { workspaces, error, hydrate };
});
