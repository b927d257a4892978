/**
 * Shared pieces of evaluation reports, and the reports of the two pair- and box-based kinds:
 * detection (COCO mAP after NMS) and verification (ROC, EER, TAR at a FAR, the decision).
 * Classification and segmentation reports are in run-record.ts.
 */
import { z } from 'zod';
import { SPLITS } from '../tasks';
import { detectionSettingsSchema } from './config';

export const rate = z.number().min(0).max(1);
/** Metrics undefined for a case (no positives for an AUC, no image with the class) are null. */
export const maybeRate = rate.nullable();

/**
 * One point set of a ROC curve (scikit-learn's roc_curve). The first threshold accepts nothing;
 * JSON has no +Infinity, so it is the highest score + 1 (as scikit-learn before 1.3).
 */
export const rocCurveSchema = z.object({
  fpr: z.array(z.number()),
  tpr: z.array(z.number()),
  thresholds: z.array(z.number()),
});

/** A box in pixels of its frame, [x1, y1, x2, y2] (see sampleBoxSchema). */
export const boxSchema = z.tuple([z.number(), z.number(), z.number(), z.number()]);

export const detectionSchema = z.object({ box: boxSchema, score: z.number(), classId: z.number().int().min(0) });
export type DetectionResult = z.infer<typeof detectionSchema>;

/**
 * Detection metrics with COCO's rules (pycocotools COCOeval: 101-point interpolated AP, greedy
 * matching by score, one match per ground truth, area ranges small < 32² ≤ medium ≤ 96² < large).
 * AP ranks every detection above DETECTION_AP_SCORE_FLOOR; precision/recall are at the settings'
 * score threshold. Means skip classes without ground truth; null when nothing could be measured.
 */
export const detectionReportSchema = z.object({
  task: z.literal('detection'),
  split: z.enum(SPLITS),
  /** Images evaluated. */
  count: z.number().int().min(0),
  /** AP@[.5:.95] (COCO's "AP"). */
  mAP: maybeRate,
  mAP50: maybeRate,
  mAP75: maybeRate,
  mAPSmall: maybeRate,
  mAPMedium: maybeRate,
  mAPLarge: maybeRate,
  /** AR@maxDetections (COCO's AR@100 with the default settings). */
  recall: maybeRate,
  perClass: z.array(
    z.object({
      className: z.string(),
      ap: maybeRate,
      ap50: maybeRate,
      ap75: maybeRate,
      groundTruth: z.number().int().min(0),
      /** Interpolated precision at COCO's 101 recall points, IoU 0.5 (a PR curve). */
      precisionCurve50: z.array(rate).nullable(),
    }),
  ),
  /** Counts at IoU 0.5 among the boxes a user sees (score ≥ settings.scoreThreshold). */
  atThreshold: z.object({
    scoreThreshold: rate,
    iouThreshold: rate,
    truePositives: z.number().int().min(0),
    falsePositives: z.number().int().min(0),
    falseNegatives: z.number().int().min(0),
    precision: maybeRate,
    recall: maybeRate,
  }),
  /** The post-processing these numbers were measured with. */
  settings: detectionSettingsSchema,
});
export type DetectionReport = z.infer<typeof detectionReportSchema>;

/**
 * Verification metrics over the pairs of one split (its labelled pairs, or every pair of its
 * images with identities). Scores are cosine similarities; "same" means score ≥ threshold.
 * Metrics needing both same and different pairs are null when the split lacks one kind.
 */
/** The FAR of a verification report's TAR@FAR figure, whatever target the user set for decisions. */
export const REPORTED_FAR = 0.01;

export const verificationReportSchema = z.object({
  task: z.literal('verification'),
  split: z.enum(SPLITS),
  /** Images evaluated. */
  count: z.number().int().min(0),
  /** Where the pairs came from. */
  pairSource: z.enum(['pairs', 'identities']),
  genuinePairs: z.number().int().min(0),
  impostorPairs: z.number().int().min(0),
  auc: maybeRate,
  /** Equal error rate (FAR = FRR on the ROC curve, linear between its points). */
  eer: maybeRate,
  eerThreshold: z.number().nullable(),
  /** TAR at FAR ≤ 1 % (REPORTED_FAR), measured on this split: the usual single figure of a verifier. */
  tarAtFar: maybeRate,
  roc: rocCurveSchema.nullable(),
  /**
   * The model's decision threshold (chosen on validation) applied to this split; while training,
   * the threshold this split itself gives at the target FAR (null without both kinds of pair).
   */
  decision: z.object({
    threshold: z.number().nullable(),
    /** The FAR the threshold was chosen for (the user's; the model card's targetFar). */
    targetFar: rate,
    /** Different pairs accepted as same / different pairs. */
    far: maybeRate,
    /** Same pairs accepted / same pairs. */
    tar: maybeRate,
    /** Pairs decided correctly / pairs. */
    accuracy: maybeRate,
  }),
});
export type VerificationReport = z.infer<typeof verificationReportSchema>;
