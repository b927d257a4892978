/** The images, masks and refused saves of the label-editing tests. */
import type { LabelTask, RequestOf } from '../../contract/index';

/** The size of every test image: masks are saved at source resolution, so at this size. */
export const W = 64;
export const H = 48;

/** A W×H mask holding `value` in each rectangle [x0, y0, x1, y1) given, background elsewhere. */
export function maskWith(values: [number, number, number, number, number][]): Uint8Array<ArrayBuffer> {
  const data = new Uint8Array(W * H);
  for (const [x0, y0, x1, y1, v] of values) for (let y = y0; y < y1; y++) data.fill(v, y * W + x0, y * W + x1);
  return data;
}

/** Saves on `image` that do not fit their task, each with the reason the refusal must give. */
export function misfitSaves(
  parts: LabelTask,
  findings: LabelTask,
  seg: LabelTask,
  image: number,
): [RequestOf<'labels.save'>, RegExp][] {
  return [
    [
      {
        taskId: parts.id,
        imageId: image,
        saveId: 'x1',
        baseRevision: 0,
        boxes: [{ classId: parts.classes[0]!.id, x1: 0, y1: 0, x2: W + 5, y2: 5 }],
      },
      /outside the 64×48 image/,
    ],
    [
      {
        taskId: parts.id,
        imageId: image,
        saveId: 'x2',
        baseRevision: 0,
        boxes: [{ classId: findings.classes[0]!.id, x1: 0, y1: 0, x2: 5, y2: 5 }],
      },
      /not a class of the task "Parts"/,
    ],
    [{ taskId: parts.id, imageId: image, saveId: 'x3', baseRevision: 0, classIds: [] }, /detection task: save boxes/],
    [
      {
        taskId: seg.id,
        imageId: image,
        saveId: 'x4',
        baseRevision: 0,
        mask: { width: 10, height: 10, data: new Uint8Array(100) },
      },
      /source resolution/,
    ],
    [
      {
        taskId: seg.id,
        imageId: image,
        saveId: 'x5',
        baseRevision: 0,
        mask: { width: W, height: H, data: maskWith([[0, 0, 4, 4, 9]]) },
      },
      /16 pixels of value 9/,
    ],
  ];
}
