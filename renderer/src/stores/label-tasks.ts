import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { LabelClass, LabelLoss, LabelTask, RequestOf } from '../../../contract/index';
import { loupe, messageOf } from '../client/index';

/**
 * The workspace's label tasks and their classes. Renames, recolours and reorders show at once and
 * are rolled back, with the error kept for the UI, when the save fails.
 */
export const useLabelTasksStore = defineStore('labelTasks', () => {
  const tasks = ref<LabelTask[]>([]);
  const currentTaskId = ref<number | null>(null);
  const error = ref<string | null>(null);
  let unsubscribe: (() => void) | null = null;

  const current = computed(() => tasks.value.find((t) => t.id === currentTaskId.value) ?? null);
  /** Classes of the current task in key order: keys 1–9 pick the first nine. */
  const keyedClasses = computed(() => [...(current.value?.classes ?? [])].sort((a, b) => a.position - b.position));

  async function reload(): Promise<void> {
    tasks.value = (await loupe().invoke('labels.tasks', {})).tasks;
    if (!tasks.value.some((t) => t.id === currentTaskId.value)) currentTaskId.value = tasks.value[0]?.id ?? null;
  }

  async function hydrate(): Promise<void> {
    unsubscribe ??= loupe().on('workspace.changed', (summary) => {
      if (summary) void reload();
      else {
        tasks.value = [];
        currentTaskId.value = null;
      }
    });
    await reload();
  }

  function dehydrate(): void {
    unsubscribe?.();
    unsubscribe = null;
  }

  function select(taskId: number): void {
    currentTaskId.value = taskId;
  }

  function classForKey(index: number): LabelClass | null {
    return keyedClasses.value[index] ?? null;
  }

  async function attempt<T>(work: () => Promise<T>): Promise<T | null> {
    error.value = null;
    try {
      return await work();
    } catch (e) {
      error.value = messageOf(e);
      return null;
    }
  }

  async function createTask(request: RequestOf<'labels.createTask'>): Promise<LabelTask | null> {
    const task = await attempt(() => loupe().invoke('labels.createTask', request));
    if (task) {
      tasks.value = [...tasks.value, task];
      currentTaskId.value = task.id;
    }
    return task;
  }

  function replaceClass(updated: LabelClass): void {
    const task = tasks.value.find((t) => t.id === updated.taskId);
    if (task) task.classes = task.classes.map((c) => (c.id === updated.id ? updated : c));
  }

  async function addClass(taskId: number, name: string, color?: string): Promise<LabelClass | null> {
    const created = await attempt(() =>
      loupe().invoke('labels.addClass', { taskId, name, ...(color ? { color } : {}) }),
    );
    if (created) tasks.value.find((t) => t.id === taskId)?.classes.push(created);
    return created;
  }

  /** Optimistic rename or recolour; false (and `error` set) when it was rolled back. */
  async function updateClass(classId: number, changes: { name?: string; color?: string }): Promise<boolean> {
    const task = tasks.value.find((t) => t.classes.some((c) => c.id === classId));
    const before = task?.classes.find((c) => c.id === classId);
    if (!task || !before) return false;
    replaceClass({ ...before, ...changes });
    const updated = await attempt(() => loupe().invoke('labels.updateClass', { classId, ...changes }));
    replaceClass(updated ?? before);
    return updated !== null;
  }

  async function reorderClasses(taskId: number, classIds: number[]): Promise<boolean> {
    const task = tasks.value.find((t) => t.id === taskId);
    if (!task) return false;
    const before = task.classes;
    task.classes = before.map((c) => ({ ...c, position: classIds.indexOf(c.id) }));
    const updated = await attempt(() => loupe().invoke('labels.reorderClasses', { taskId, classIds }));
    task.classes = updated?.classes ?? before;
    return updated !== null;
  }

  /** What deleting the class would remove, to show before asking for confirmation. */
  function classLoss(classId: number): Promise<LabelLoss | null> {
    return attempt(() => loupe().invoke('labels.classLoss', { classId }));
  }

  async function renameTask(taskId: number, name: string): Promise<boolean> {
    const renamed = await attempt(() => loupe().invoke('labels.renameTask', { taskId, name }));
    if (renamed) tasks.value = tasks.value.map((t) => (t.id === taskId ? renamed : t));
    return renamed !== null;
  }

  /** What deleting the whole task would remove, to show before asking for confirmation. */
  function taskLoss(taskId: number): Promise<LabelLoss | null> {
    return attempt(() => loupe().invoke('labels.taskLoss', { taskId }));
  }

  async function deleteTask(taskId: number, confirm: LabelLoss): Promise<boolean> {
    const done = await attempt(() => loupe().invoke('labels.deleteTask', { taskId, confirm }));
    if (done) await reload();
    return done !== null;
  }

  async function deleteClass(classId: number, confirm: LabelLoss): Promise<boolean> {
    const done = await attempt(() => loupe().invoke('labels.deleteClass', { classId, confirm }));
    if (done) await reload();
    return done !== null;
  }

  /** Puts a task as the server now has it (after a change made through another store). */
  function replaceTask(updated: LabelTask): void {
    tasks.value = tasks.value.map((t) => (t.id === updated.id ? updated : t));
  }

  return {
    tasks,
    currentTaskId,
    current,
    keyedClasses,
    error,
    hydrate,
    dehydrate,
    reload,
    select,
    classForKey,
    createTask,
    renameTask,
    replaceTask,
    taskLoss,
    deleteTask,
    addClass,
    updateClass,
    reorderClasses,
    classLoss,
    deleteClass,
  };
});
