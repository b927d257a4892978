/**
 * The Train form's "Start from": a new model (scratch), a completed run of the same kind in this
 * workspace (the services find its model folder), or a TF.js layers model.json the user names.
 */
import {
  fineTuneHeadFor,
  SUGGESTED_BACKBONE_LR_FACTOR,
  type RunSummary,
  type TaskKind,
  type TrainingConfig,
} from '../../../contract/index';

export interface StartFrom {
  source: 'scratch' | 'run' | 'file';
  runId: string;
  /** Absolute path of a TF.js layers model.json (on the machine the services run on). */
  modelJson: string;
  freezeLayers: number;
  backboneLearningRateFactor: number;
}

export function scratch(): StartFrom {
  return {
    source: 'scratch',
    runId: '',
    modelJson: '',
    freezeLayers: 0,
    backboneLearningRateFactor: SUGGESTED_BACKBONE_LR_FACTOR,
  };
}

/** Runs a `kind` run can start from: completed ones of that kind, newest first (as the runs list). */
export function startingRuns(runs: readonly RunSummary[], kind: TaskKind): RunSummary[] {
  return runs.filter((r) => r.kind === kind && r.state === 'completed');
}

/** The configuration's `fineTune` for a choice; undefined for scratch or a choice not yet complete (no run or path picked). */
export function fineTuneOf(choice: StartFrom, task: TaskKind): TrainingConfig['fineTune'] {
  const from =
    choice.source === 'run' && choice.runId
      ? { kind: 'run' as const, runId: choice.runId }
      : choice.source === 'file' && choice.modelJson.trim()
        ? { kind: 'tfjs-layers' as const, modelJson: choice.modelJson.trim() }
        : null;
  if (!from) return undefined;
  return {
    from,
    head: fineTuneHeadFor(task),
    unfreeze: [],
    freezeLayers: choice.freezeLayers,
    backboneLearningRateFactor: choice.backboneLearningRateFactor,
  };
}
