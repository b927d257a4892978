/**
 * The evaluation file (contract/training/evaluation-file.ts) from an evaluate reply: what
 * `loupe eval --out` writes. Plain data in, validated JSON-ready object out; no tensors, so the
 * CLI (main) can import it. Segmentation masks are written by the caller, who names their files.
 */
import {
  evaluationFileSchema,
  type EvaluateReply,
  type EvaluationFile,
  type EvaluationFileImage,
  type SplitName,
} from '../../contract/index';

export interface EvaluationFileArgs {
  modelDir: string;
  /** The model card's run id. */
  runId: string;
  classes: readonly string[];
  split: SplitName;
  /** Where the caller wrote an image's mask PNG (segmentation); null when it did not. */
  maskPath?: (imageId: string) => string | null;
  /** The image's file, when the caller knows it (a workspace's images). */
  imagePath?: (imageId: string) => string | undefined;
}

export function evaluationFile(reply: EvaluateReply, args: EvaluationFileArgs): EvaluationFile {
  const images = reply.predictions.map(({ id: imageId, prediction }): EvaluationFileImage => {
    const filePath = args.imagePath?.(imageId);
    const image = { id: imageId, ...(filePath !== undefined ? { path: filePath } : {}) };
    if ('probabilities' in prediction)
      return {
        ...image,
        probabilities: prediction.probabilities,
        predicted: prediction.predicted,
        predictedClass: args.classes[prediction.predicted] ?? String(prediction.predicted),
      };
    if ('mask' in prediction)
      return { ...image, maskPath: args.maskPath?.(imageId) ?? null, classPixels: prediction.classPixels };
    if ('detections' in prediction) {
      return {
        ...image,
        boxes: prediction.detections.map((d) => ({
          box: d.box,
          score: d.score,
          classId: d.classId,
          className: args.classes[d.classId] ?? String(d.classId),
        })),
      };
    }
    return image;
  });
  return evaluationFileSchema.parse({
    format: 'loupe-eval',
    version: 1,
    createdAt: new Date().toISOString(),
    task: reply.report.task,
    split: args.split,
    model: { dir: args.modelDir, runId: args.runId },
    classes: [...args.classes],
    metrics: reply.report,
    images,
    ...(reply.pairs ? { pairs: reply.pairs } : {}),
  });
}
