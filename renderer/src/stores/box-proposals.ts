import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import type { ReplyOf, RunSummary } from '../../../contract/index';
import { loupe, messageOf } from '../client/index';
import { useWorkspaceStore } from './workspace';
import { useDraftBoxesStore } from './draft-boxes';

/** What the last proposal gave, for the line under the toolbar. */
export interface ProposalOutcome {
  imageId: number;
  boxes: number;
  scoreThreshold: number;
  unmatchedClasses: ReplyOf<'models.proposeBoxes'>['unmatchedClasses'];
}

/**
 * Boxes proposed by a completed detection run on the labeling view's image: they become draft
 * boxes (draft-boxes.ts), which a person accepts, adjusts or deletes. The run is chosen among the
 * workspace's completed detection runs (this task's first: the model's classes are matched to the
 * task's by name); the score threshold is the model card's unless the user sets one.
 */
export const useBoxProposalsStore = defineStore('boxProposals', () => {
  const runs = ref<RunSummary[]>([]);
  const runId = ref<string | null>(null);
  /** A score threshold for the proposals; null: the model card's. */
  const scoreThreshold = ref<number | null>(null);
  const busy = ref(false);
  const error = ref<string | null>(null);
  const outcome = ref<ProposalOutcome | null>(null);
  const drafts = useDraftBoxesStore();
  let forTask: number | null = null;
  let listening = false;

  /** A detection run that finishes (or is deleted) while the labeling view is open joins (or leaves) the list. */
  function listen(): void {
    if (listening) return;
    listening = true;
    loupe().on('training.changed', ({ run }) => {
      if (forTask !== null && (run === null || run.kind === 'detection')) void load(forTask);
    });
  }

  const ready = computed(() => runId.value !== null && !busy.value);

  /** Lists the completed detection runs, this task's first, and keeps the choice if it is still there. */
  async function load(taskId: number): Promise<void> {
    forTask = taskId;
    listen();
    try {
      const { runs: all } = await loupe().invoke('training.runs', {});
      if (forTask !== taskId) return;
      const usable = all.filter((r) => r.kind === 'detection' && r.state === 'completed');
      runs.value = [...usable.filter((r) => r.taskId === taskId), ...usable.filter((r) => r.taskId !== taskId)];
      if (!runs.value.some((r) => r.runId === runId.value)) runId.value = runs.value[0]?.runId ?? null;
      error.value = null;
    } catch (e) {
      error.value = messageOf(e);
    }
  }

  /** Proposes boxes on one image; they replace that image's drafts. Returns how many were proposed, null on failure. */
  async function propose(taskId: number, imageId: number): Promise<number | null> {
    const run = runId.value;
    if (run === null || busy.value) return null;
    busy.value = true;
    error.value = null;
    try {
      const reply = await loupe().invoke('models.proposeBoxes', {
        runId: run,
        taskId,
        imageId,
        ...(scoreThreshold.value === null ? {} : { scoreThreshold: scoreThreshold.value }),
      });
      drafts.setDraftBoxes(
        taskId,
        imageId,
        reply.boxes.map(({ score, ...box }) => ({ ...box, score })),
      );
      outcome.value = {
        imageId,
        boxes: reply.boxes.length,
        scoreThreshold: reply.scoreThreshold,
        unmatchedClasses: reply.unmatchedClasses,
      };
      return reply.boxes.length;
    } catch (e) {
      error.value = messageOf(e);
      return null;
    } finally {
      busy.value = false;
    }
  }

  function reset(): void {
    runs.value = [];
    runId.value = null;
    outcome.value = null;
    error.value = null;
    forTask = null;
  }

  // Runs and image ids belong to the workspace they were listed in.
  watch(
    () => useWorkspaceStore().current?.path,
    () => reset(),
  );

  return { runs, runId, scoreThreshold, busy, error, outcome, ready, load, propose, reset };
});
