import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type {
  LabelTask,
  ReplyOf,
  RunSummary,
  TaskFrames,
  TrainingConfig,
  TrainingProgress,
} from '../../../contract/index';
import { attemptWith } from './attempt';
import { loupe } from '../client/index';
import { batchPosition, type Point } from '../training/curves';

type RunDetail = ReplyOf<'training.run'>;
type Defaults = ReplyOf<'training.defaults'>;

/**
 * Training runs of the open workspace, as the Train section shows them: the runs list, the run
 * being looked at (its record, updated live from progress events), a draft configuration for a
 * new run, and two runs side by side. Runs train in the services: reloading the page or opening
 * a second window re-attaches to a running one through `hydrate()`.
 */
export const useTrainingStore = defineStore('training', () => {
  const workspace = ref<string | null>(null);
  const tasks = ref<LabelTask[]>([]);
  const runs = ref<RunSummary[]>([]);
  const detail = ref<RunDetail | null>(null);
  /** Running mean loss after each reported batch of the shown run, on the epoch axis. */
  const batchLoss = ref<Point[]>([]);
  const defaults = ref<Defaults | null>(null);
  const draft = ref<TrainingConfig | null>(null);
  const compared = ref<[RunDetail, RunDetail] | null>(null);
  const error = ref<string | null>(null);
  const busy = ref(false);
  const unsubscribe: (() => void)[] = [];

  const activeRun = computed(() => runs.value.find((r) => r.active) ?? null);

  const attempt = attemptWith(busy, error);

  function onProgress(payload: { workspace: string; runId: string; progress: TrainingProgress }): void {
    if (payload.workspace !== workspace.value) return;
    const finished = payload.progress.epochRecord;
    if (finished)
      runs.value = runs.value.map((r) => (r.runId === payload.runId ? { ...r, epochsDone: finished.epoch + 1 } : r));
    const shown = detail.value;
    if (!shown || shown.summary.runId !== payload.runId) return;
    const { progress } = payload;
    shown.progress = progress;
    if (progress.phase === 'training' && progress.loss !== null && !progress.epochRecord)
      batchLoss.value = [...batchLoss.value, [batchPosition(progress), progress.loss]];
    const epoch = progress.epochRecord;
    if (epoch && shown.record && !shown.record.epochs.some((e) => e.epoch === epoch.epoch)) {
      shown.record = { ...shown.record, epochs: [...shown.record.epochs, epoch] };
      shown.summary = { ...shown.summary, epochsDone: shown.record.epochs.length };
    }
    // The record appears once the engine has read the images; fetch it then.
    if (!shown.record && progress.phase === 'training') void refreshDetail();
  }

  function onChanged(payload: { workspace: string; runId: string; run: RunSummary | null }): void {
    if (payload.workspace !== workspace.value) return;
    const others = runs.value.filter((r) => r.runId !== payload.runId);
    runs.value = payload.run ? [payload.run, ...others].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1)) : others;
    if (detail.value?.summary.runId === payload.runId) {
      if (payload.run) void refreshDetail();
      else detail.value = null;
    }
  }

  async function hydrate(path: string | null): Promise<void> {
    if (unsubscribe.length === 0)
      unsubscribe.push(loupe().on('training.progress', onProgress), loupe().on('training.changed', onChanged));
    workspace.value = path;
    detail.value = null;
    compared.value = null;
    defaults.value = null;
    draft.value = null;
    if (!path) {
      tasks.value = [];
      runs.value = [];
      return;
    }
    await attempt(async () => {
      const [taskList, runList] = await Promise.all([
        loupe().invoke('labels.tasks', {}),
        loupe().invoke('training.runs', {}),
      ]);
      tasks.value = taskList.tasks;
      runs.value = runList.runs;
    });
    // Re-attach to what is training; otherwise show the latest run.
    const first = activeRun.value ?? runs.value[0];
    if (first) await select(first.runId);
  }

  function dehydrate(): void {
    for (const off of unsubscribe.splice(0)) off();
  }

  async function select(runId: string): Promise<void> {
    compared.value = null;
    batchLoss.value = [];
    const shown = await attempt(() => loupe().invoke('training.run', { runId }));
    if (shown) detail.value = shown;
  }

  async function refreshDetail(): Promise<void> {
    const runId = detail.value?.summary.runId;
    if (!runId) return;
    const shown = await loupe()
      .invoke('training.run', { runId })
      .catch(() => null);
    if (shown && detail.value?.summary.runId === runId) detail.value = shown;
  }

  /** `kind` 'verification' on a classification task: a verifier whose identities are its classes. */
  async function chooseTask(taskId: number, kind?: 'verification'): Promise<void> {
    const reply = await attempt(() => loupe().invoke('training.defaults', { taskId, ...(kind ? { kind } : {}) }));
    defaults.value = reply;
    draft.value = reply ? structuredClone(reply.config) : null;
  }

  /** Which frames of multi-frame images the task trains on; kept in the task, so later runs and evaluations use it too. */
  async function setFrames(taskId: number, frames: TaskFrames): Promise<void> {
    const task = await attempt(() => loupe().invoke('labels.setTaskFrames', { taskId, frames }));
    if (task) tasks.value = tasks.value.map((t) => (t.id === task.id ? task : t));
  }

  async function start(): Promise<boolean> {
    const config = draft.value;
    const task = defaults.value;
    if (!config || !task) return false;
    const run = await attempt(() => loupe().invoke('training.start', { taskId: task.taskId, config }));
    if (!run) return false;
    onChanged({ workspace: workspace.value!, runId: run.runId, run });
    await select(run.runId);
    return true;
  }

  async function cancel(runId: string): Promise<void> {
    await attempt(() => loupe().invoke('training.cancel', { runId }));
  }

  async function resume(runId: string): Promise<void> {
    batchLoss.value = [];
    const run = await attempt(() => loupe().invoke('training.resume', { runId }));
    if (run) onChanged({ workspace: workspace.value!, runId, run });
  }

  async function remove(runId: string): Promise<void> {
    const done = await attempt(() => loupe().invoke('training.delete', { runId }));
    if (done?.deleted) onChanged({ workspace: workspace.value!, runId, run: null });
  }

  async function compare(a: string, b: string): Promise<void> {
    const pair = await attempt(() =>
      Promise.all([loupe().invoke('training.run', { runId: a }), loupe().invoke('training.run', { runId: b })]),
    );
    if (pair) compared.value = pair;
  }

  return {
    tasks,
    runs,
    activeRun,
    detail,
    batchLoss,
    defaults,
    draft,
    compared,
    error,
    busy,
    hydrate,
    dehydrate,
    select,
    chooseTask,
    setFrames,
    start,
    cancel,
    resume,
    remove,
    compare,
  };
});
