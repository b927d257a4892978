/**
 * What a labeling task is and which split an image belongs to: shared by the labels, the
 * training runs and (later) review and batch inference, so each is declared once here.
 */

/** The kinds of task a workspace can hold and the engine can train. */
export const TASK_KINDS = ['classification', 'segmentation', 'detection', 'verification'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** Dataset splits, as stored in the workspace and named in run records. */
export const SPLITS = ['train', 'val', 'test'] as const;
export type SplitName = (typeof SPLITS)[number];
