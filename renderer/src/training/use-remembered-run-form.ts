/**
 * The New run form kept across reloads and restarts: its task, "train as" and every edited field,
 * per workspace, in localStorage. Restored once the workspace's tasks are known, and only where
 * it still fits: the task exists and the saved configuration is still valid for that task's kind
 * (otherwise the form starts from Loupe's proposal, as before).
 */
import { watch, type Ref } from 'vue';
import { trainingConfigSchema, type TrainingConfig } from '../../../contract/index';
import { useTrainingStore } from '../stores/training';
import { readStored, writeStored } from '../stores/stored-ref';

type TrainAs = 'classifier' | 'verification';

export interface RememberedRunForm {
  taskId: number;
  trainAs: TrainAs;
  config: unknown;
}

const isRemembered = (value: unknown): value is RememberedRunForm =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as RememberedRunForm).taskId === 'number' &&
  ['classifier', 'verification'].includes((value as RememberedRunForm).trainAs);

export const runFormKey = (workspace: string): string => `train.form.${workspace}`;

export function useRememberedRunForm(
  workspace: Ref<string | null>,
  taskId: Ref<number | ''>,
  trainAs: Ref<TrainAs>,
): void {
  const training = useTrainingStore();
  let restoring = false;

  async function restore(path: string): Promise<void> {
    const saved = readStored<RememberedRunForm | null>(runFormKey(path), null, isRemembered);
    if (!saved || !training.tasks.some((t) => t.id === saved.taskId)) return;
    restoring = true;
    try {
      taskId.value = saved.taskId;
      trainAs.value = saved.trainAs;
      await training.chooseTask(saved.taskId, saved.trainAs === 'verification' ? 'verification' : undefined);
      const config = trainingConfigSchema.safeParse(saved.config);
      if (config.success && training.draft && config.data.task === training.draft.task)
        training.draft = config.data as TrainingConfig;
    } finally {
      restoring = false;
    }
  }

  // A workspace's task list arrives after the section opens (and again when another is opened).
  watch(
    () => training.tasks,
    () => {
      if (workspace.value && taskId.value === '' && !restoring) void restore(workspace.value);
    },
  );
  watch(workspace, () => ((taskId.value = ''), (trainAs.value = 'classifier')));

  watch(
    [taskId, trainAs, () => training.draft],
    () => {
      if (restoring || !workspace.value || taskId.value === '' || !training.draft) return;
      writeStored(runFormKey(workspace.value), {
        taskId: taskId.value,
        trainAs: trainAs.value,
        config: training.draft,
      } satisfies RememberedRunForm);
    },
    { deep: true },
  );
}
