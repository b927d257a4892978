/** What a label save must satisfy for its task: known classes, one class where the task allows one, boxes inside the image, masks of the image's size with class values only. */
import { boxProblem } from '../../../contract/geometry/index';
import {
  LoupeError,
  type BoxLabel,
  type LabelTask,
  type MaskLabel,
  type ParsedRequestOf,
} from '../../../contract/index';
import { maskHistogram } from './mask-files';

type SaveRequest = ParsedRequestOf<'labels.save'>;

export type Validated =
  | { kind: 'classes'; classIds: number[] }
  | { kind: 'boxes'; boxes: BoxLabel[] }
  | { kind: 'mask'; mask: MaskLabel | null; pixels: Map<number, number> };

export function validateForTask(task: LabelTask, request: SaveRequest, width: number, height: number): Validated {
  const classIds = new Set(task.classes.map((c) => c.id));
  const unknown = (id: number): LoupeError =>
    new LoupeError(
      'INVALID_REQUEST',
      `Class ${id} is not a class of the task "${task.name}" (it may have been deleted).`,
    );
  switch (task.kind) {
    case 'classification': {
      if (!request.classIds)
        throw new LoupeError('INVALID_REQUEST', `"${task.name}" is a classification task: save classIds.`);
      const ids = [...new Set(request.classIds)];
      for (const id of ids) if (!classIds.has(id)) throw unknown(id);
      if (!task.multiLabel && ids.length > 1)
        throw new LoupeError('INVALID_REQUEST', `"${task.name}" allows one class per image.`);
      return { kind: 'classes', classIds: ids };
    }
    case 'detection': {
      if (!request.boxes) throw new LoupeError('INVALID_REQUEST', `"${task.name}" is a detection task: save boxes.`);
      request.boxes.forEach((box, i) => {
        if (!classIds.has(box.classId)) throw unknown(box.classId);
        const problem = boxProblem(box, width, height);
        if (problem) throw new LoupeError('INVALID_REQUEST', `Box ${i + 1} ${problem}.`);
      });
      return { kind: 'boxes', boxes: request.boxes };
    }
    case 'segmentation': {
      if (request.mask === undefined)
        throw new LoupeError('INVALID_REQUEST', `"${task.name}" is a segmentation task: save a mask.`);
      if (request.mask === null) return { kind: 'mask', mask: null, pixels: new Map() };
      return { kind: 'mask', mask: request.mask, pixels: maskPixelsByClass(task, request.mask, width, height) };
    }
    case 'verification':
      throw new LoupeError(
        'INVALID_REQUEST',
        `"${task.name}" is a verification task: its pairs are saved with labels.addPair.`,
      );
  }
}

/** Pixel counts per class id; refuses a mask of the wrong size or with values that are no class. */
export function maskPixelsByClass(
  task: LabelTask,
  mask: MaskLabel,
  width: number,
  height: number,
): Map<number, number> {
  if (mask.width !== width || mask.height !== height) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `The mask is ${mask.width}×${mask.height} but the image is ${width}×${height}; masks are kept at source resolution.`,
    );
  }
  const byIndex = new Map(task.classes.map((c) => [c.maskIndex, c.id]));
  const histogram = maskHistogram(mask.data);
  const pixels = new Map<number, number>();
  for (let value = 1; value < 256; value++) {
    const n = histogram[value]!;
    if (n === 0) continue;
    const classId = byIndex.get(value);
    if (classId === undefined)
      throw new LoupeError(
        'INVALID_REQUEST',
        `The mask has ${n} pixels of value ${value}, which is no class of "${task.name}".`,
      );
    pixels.set(classId, n);
  }
  return pixels;
}
