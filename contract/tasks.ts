/**
 * What a labeling task is and which split an image belongs to: shared by the labels, the
 * training runs and (later) review and batch inference, so each is declared once here.
 */

/** The kinds of task a workspace can hold and the engine can train. */
export const TASK_KINDS = ['classification', 'segmentation', 'detection', 'verification'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/**
 * Which frames of a multi-frame image a task trains and evaluates on: the first (as Loupe always
 * did), the middle one, or every frame (each a sample). Class tags and boxes belong to the image;
 * a mask belongs to one frame, so a segmentation sample is a frame with its own mask, and a
 * chosen frame without a mask is left out.
 */
export const TASK_FRAMES = ['first', 'middle', 'all'] as const;
export type TaskFrames = (typeof TASK_FRAMES)[number];

/** Dataset splits, as stored in the workspace and named in run records. */
export const SPLITS = ['train', 'val', 'test'] as const;
export type SplitName = (typeof SPLITS)[number];

/**
 * What ran a model's forward pass when it predicted: Loupe's engine (tfjs on its backend) or
 * ONNX Runtime on the same model exported in memory, which the engine attaches to a model it can
 * export when the two agree (ml/export/onnx-forward.ts). Asked for, 'engine' keeps to the engine.
 */
export const PREDICT_RUNTIMES = ['engine', 'onnxruntime'] as const;
export type PredictRuntime = (typeof PREDICT_RUNTIMES)[number];
export const RUNTIME_CHOICES = ['auto', 'engine'] as const;
export type RuntimeChoice = (typeof RUNTIME_CHOICES)[number];
