/**
 * One entry for scoring a model on a split of a prepared dataset, whatever the task: the
 * validation pass of every epoch, the final test evaluation, and the engine's evaluate method.
 */
import type {
  DetectionSettings,
  DetectionSettingsOverride,
  ModelCard,
  PreprocessingSpec,
  SplitName,
  TaskKind,
  TrainingConfig,
} from '../../../contract/index';
import type { PreparedDataset } from '../../data/dataset';
import type { LossFunction } from '../../losses/index';
import { evaluateSamples, type EvaluationOutcome } from '../evaluate';
import type { ScoredModel } from '../scored-model';
import { evaluateDetectionSplit } from './detection-evaluation';
import { resolvedDetectionSettings, resolvedVerificationSettings } from './settings';
import { evaluateVerificationSplit, type VerificationEvaluationSettings } from './verification-evaluation';

/** What scoring needs to know besides the model and the data. */
export interface EvaluationContext {
  task: TaskKind;
  classes: readonly string[];
  spec: PreprocessingSpec;
  /** Detection: the post-processing. */
  detection?: DetectionSettings;
  /** Verification: target FAR and decision threshold (null: chosen on the split itself). */
  verification?: VerificationEvaluationSettings;
}

export interface SplitEvaluationOptions {
  batchSize: number;
  /** Also report the mean loss. */
  loss?: LossFunction;
  /** Keep each image's prediction (and, for verification, every scored pair). */
  keepPredictions?: boolean;
  signal?: AbortSignal;
  onBatch?: (done: number, total: number) => void;
}

/** The context of a run while it trains: its own settings; verification decides at the split's own threshold. */
export function trainingContext(config: TrainingConfig, data: PreparedDataset): EvaluationContext {
  return {
    task: config.task,
    classes: data.classes,
    spec: data.spec,
    ...(config.task === 'detection' ? { detection: resolvedDetectionSettings(config.detection) } : {}),
    ...(config.task === 'verification'
      ? { verification: { targetFar: resolvedVerificationSettings(config.verification).targetFar, threshold: null } }
      : {}),
  };
}

/** The context of a saved model: its card's settings, with a caller's overrides. */
export function cardContext(
  card: ModelCard,
  overrides: { detection?: DetectionSettingsOverride | undefined; threshold?: number | undefined } = {},
): EvaluationContext {
  return {
    task: card.task,
    classes: card.classes,
    spec: card.preprocessing,
    ...(card.task === 'detection' ? { detection: resolvedDetectionSettings(card.detection, overrides.detection) } : {}),
    ...(card.task === 'verification' && card.verification
      ? {
          verification: {
            targetFar: card.verification.targetFar,
            threshold: overrides.threshold ?? card.verification.threshold,
          },
        }
      : {}),
  };
}

export async function evaluateSplit(
  model: ScoredModel,
  data: PreparedDataset,
  split: SplitName,
  context: EvaluationContext,
  options: SplitEvaluationOptions,
): Promise<EvaluationOutcome> {
  if (context.task === 'detection')
    return evaluateDetectionSplit(
      model,
      data,
      split,
      context.detection ?? resolvedDetectionSettings(undefined),
      options,
    );
  if (context.task === 'verification') {
    return evaluateVerificationSplit(
      model,
      data,
      split,
      context.verification ?? { targetFar: resolvedVerificationSettings(undefined).targetFar, threshold: null },
      options,
    );
  }
  return evaluateSamples(model, data.splits[split], {
    task: context.task,
    classes: context.classes,
    spec: context.spec,
    split,
    ...options,
  });
}

/** The numbers an epoch records for its validation split, under `val_` names a monitor can pick. */
export function validationMetrics(outcome: EvaluationOutcome): Record<string, number> {
  const out: Record<string, number> = {};
  if (outcome.loss !== null) out.val_loss = outcome.loss;
  const report = outcome.report;
  const put = (name: string, value: number | null): void => {
    if (value !== null) out[name] = value;
  };
  switch (report.task) {
    case 'classification':
      out.val_accuracy = report.accuracy;
      out.val_macro_f1 = report.macro.f1;
      put('val_auc', report.macro.rocAuc);
      break;
    case 'segmentation':
      put('val_dice', report.meanDice);
      put('val_iou', report.meanIou);
      out.val_pixel_accuracy = report.pixelAccuracy;
      break;
    case 'detection':
      put('val_map50', report.mAP50);
      put('val_map', report.mAP);
      put('val_precision', report.atThreshold.precision);
      put('val_recall', report.atThreshold.recall);
      break;
    case 'verification':
      put('val_eer', report.eer);
      put('val_auc', report.auc);
      put('val_tar', report.tarAtFar); // TAR at FAR ≤ 1 %
      break;
  }
  return out;
}
