/**
 * Prepared frames (a batch run's decode workers prepare each frame as the model card says) as
 * predict takes them: each frame's own size and where its content lies in the model input, sent
 * packed as six int32 a frame. A batch run sends the engine hundreds of calls a second, and the
 * engine worker's time on each is taken from the model: as objects, each checked field by field and
 * copied one by one between threads, calls of 64 frames ran at 0.77–0.88 of ONNX Runtime's own
 * speed; packed, 0.87–0.91 (three alternated runs of a probe, 2 cores).
 */
import { z } from 'zod';

/** Where a frame's content lies in the model input (the rest is padding), in input pixels. */
export const placementSchema = z
  .object({
    top: z.number().int().min(0),
    left: z.number().int().min(0),
    height: z.number().int().min(1),
    width: z.number().int().min(1),
  })
  .strict();

/** A frame prepared for the model as its card says: the frame's own size, and where it lies in the input. */
export const preparedFrameSchema = z
  .object({ rows: z.number().int().min(1), columns: z.number().int().min(1), placement: placementSchema })
  .strict();
export type PreparedFrame = z.infer<typeof preparedFrameSchema>;

/** Values a frame takes packed, in this order: rows, columns, then the placement's top, left, height, width. */
export const PACKED_FRAME_VALUES = 6;
/** The least each packed value may be (a size is at least 1, an offset at least 0). */
const LEAST = [1, 1, 0, 0, 1, 1] as const;
const NAMES = ['rows', 'columns', 'placement.top', 'placement.left', 'placement.height', 'placement.width'] as const;

export function packPreparedFrames(frames: readonly PreparedFrame[]): Int32Array<ArrayBuffer> {
  const packed = new Int32Array(frames.length * PACKED_FRAME_VALUES);
  frames.forEach(({ rows, columns, placement: p }, i) =>
    packed.set([rows, columns, p.top, p.left, p.height, p.width], i * PACKED_FRAME_VALUES),
  );
  return packed;
}

export function unpackPreparedFrames(packed: Int32Array): PreparedFrame[] {
  const frames: PreparedFrame[] = [];
  for (let at = 0; at < packed.length; at += PACKED_FRAME_VALUES)
    frames.push({
      rows: packed[at]!,
      columns: packed[at + 1]!,
      placement: { top: packed[at + 2]!, left: packed[at + 3]!, height: packed[at + 4]!, width: packed[at + 5]! },
    });
  return frames;
}

/** Packed frames (packPreparedFrames), between `min` and `max` of them, parsed into PreparedFrame objects. */
export function packedPreparedFramesSchema(min: number, max: number) {
  return z
    .instanceof(Int32Array)
    .superRefine((packed, ctx) => {
      const count = packed.length / PACKED_FRAME_VALUES;
      if (!Number.isInteger(count) || count < min || count > max) {
        ctx.addIssue({
          code: 'custom',
          message: `Packed frames take ${PACKED_FRAME_VALUES} values a frame, ${min} to ${max} frames; got ${packed.length} values.`,
        });
        return;
      }
      for (let i = 0; i < packed.length; i++)
        if (packed[i]! < LEAST[i % PACKED_FRAME_VALUES]!) {
          const frame = Math.floor(i / PACKED_FRAME_VALUES);
          ctx.addIssue({
            code: 'custom',
            path: [frame],
            message: `Frame ${frame + 1}: ${NAMES[i % PACKED_FRAME_VALUES]} is ${packed[i]}; it must be at least ${LEAST[i % PACKED_FRAME_VALUES]}.`,
          });
          return;
        }
    })
    .transform(unpackPreparedFrames);
}
