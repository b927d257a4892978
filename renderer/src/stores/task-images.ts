import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { ReplyOf, RequestOf } from '../../../contract/index';
import { loupe, messageOf } from '../client/index';
import { useLabelGridStore } from './label-grid';
import { useLabelTasksStore } from './label-tasks';

export type TaskImagesChoice = RequestOf<'labels.setTaskImages'>['images'];
export type TaskImagesCount = ReplyOf<'labels.countTaskImages'>;

/**
 * Choosing a task's images: what a rule can name (folders, modalities, classes of other tasks),
 * the live count of what a draft choice matches, and saving it. Counts arrive out of order when
 * the user clicks fast, so only the reply to the latest draft is kept.
 */
export const useTaskImagesStore = defineStore('taskImages', () => {
  const tasks = useLabelTasksStore();
  const grid = useLabelGridStore();
  const facets = shallowRef<ReplyOf<'labels.imageFacets'> | null>(null);
  const count = shallowRef<TaskImagesCount | null>(null);
  const error = ref<string | null>(null);
  const saving = ref(false);
  let latest = 0;

  async function loadFacets(): Promise<void> {
    try {
      facets.value = await loupe().invoke('labels.imageFacets', {});
    } catch (e) {
      error.value = messageOf(e);
    }
  }

  async function countFor(taskId: number, images: TaskImagesChoice): Promise<void> {
    const asked = ++latest;
    try {
      const reply = await loupe().invoke('labels.countTaskImages', { taskId, images });
      if (asked !== latest) return;
      count.value = reply;
      error.value = null;
    } catch (e) {
      if (asked !== latest) return;
      count.value = null;
      error.value = messageOf(e);
    }
  }

  /** Saves the choice; the grid then shows the task's new images. False (and `error` set) when refused. */
  async function save(taskId: number, images: TaskImagesChoice): Promise<boolean> {
    saving.value = true;
    try {
      tasks.replaceTask(await loupe().invoke('labels.setTaskImages', { taskId, images }));
      error.value = null;
      if (tasks.current?.id === taskId) await grid.refresh();
      return true;
    } catch (e) {
      error.value = messageOf(e);
      return false;
    } finally {
      saving.value = false;
    }
  }

  function reset(): void {
    latest++;
    count.value = null;
    error.value = null;
  }

  return { facets, count, error, saving, loadFacets, countFor, save, reset };
});
