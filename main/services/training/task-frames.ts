/**
 * The frames of multi-frame images a task trains and evaluates on (the task's `frames` choice):
 * the first, the middle, or every frame. Class tags and boxes belong to the image, so each frame
 * sample carries its image's label or boxes; masks belong to a frame, so a segmentation sample
 * carries its own frame's mask, and a frame without one is left out (task-dataset.ts). Every frame
 * sample stays in its image's split (frames of one image never straddle train and test). A one-frame sample keeps the image's own sample id, so run records and
 * predictions of single-frame images read as before; a frame of several is `<image id>:<frame>`.
 */
import type { DatasetSample, TaskFrames, TaskKind } from '../../../contract/index';

/** Frame indices of an image of `count` frames that `choice` uses. */
export function chosenFrames(count: number, choice: TaskFrames): number[] {
  if (count <= 1 || choice === 'first') return [0];
  if (choice === 'middle') return [Math.floor(count / 2)];
  return Array.from({ length: count }, (_, i) => i);
}

/** A frame sample's id: the image's own when it gives one frame, else `<image sample id>:<frame>`. */
export function frameSampleId(imageSampleId: string, frame: number, framesOfImage: number): string {
  return framesOfImage === 1 ? imageSampleId : `${imageSampleId}:${frame}`;
}

/**
 * Verification pairs name images, not frames: a verifier trains on one frame per image, so 'all'
 * falls back to the first frame there.
 */
export function effectiveFrames(choice: TaskFrames, kind: TaskKind): TaskFrames {
  return kind === 'verification' && choice === 'all' ? 'first' : choice;
}

/**
 * One sample per chosen frame of each image sample. `frameCounts`: sample id → the image's frame
 * count. Returns the samples and, for each new sample id, the image sample id it came from.
 */
export function expandFrames(
  samples: DatasetSample[],
  frameCounts: ReadonlyMap<string, number>,
  choice: TaskFrames,
): { samples: DatasetSample[]; imageSampleOf: Map<string, string> } {
  const out: DatasetSample[] = [];
  const imageSampleOf = new Map<string, string>();
  for (const sample of samples) {
    const frames = chosenFrames(frameCounts.get(sample.id) ?? 1, choice);
    for (const frame of frames) {
      const id = frameSampleId(sample.id, frame, frames.length);
      const image = 'path' in sample.image ? { path: sample.image.path, frameIndex: frame } : sample.image;
      out.push({ ...sample, id, image });
      imageSampleOf.set(id, sample.id);
    }
  }
  return { samples: out, imageSampleOf };
}
