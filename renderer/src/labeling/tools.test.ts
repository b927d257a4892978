import { describe, expect, it } from 'vitest';
import type { LabelMask } from '../../../contract/geometry/index';
import { addBox, copyBoxes, deleteBoxAt, moveBoxAt, nudgeBoxAt, resizeBoxAt, setBoxClass } from './box-edits';
import { HISTORY_STEPS, LabelHistory } from './history';
import { MaskStroke, maskDiffBytes, redoMaskDiff, undoMaskDiff } from './mask-edits';
import { brushSegment, bucketFill, fillHoles, fillPolygon, magicWand, nextBrushRadius } from './mask-tools';
import { labelingAction } from './shortcuts';

const blank = (width: number, height: number): LabelMask => ({ width, height, data: new Uint8Array(width * height) });

describe('mask strokes and diffs', () => {
  it('undo and redo restore the mask exactly, for brush, eraser, polygon, bucket, holes and wand', () => {
    const mask = blank(120, 90);
    const states: Uint8Array[] = [mask.data.slice()];
    const diffs = [];
    const pixels = Uint16Array.from({ length: 120 * 90 }, (_, i) => (i % 120 < 60 ? 1000 : 40000) + (i % 7));
    const operations: ((s: MaskStroke) => void)[] = [
      (s) => brushSegment(s, { x: 10, y: 10 }, { x: 100, y: 70 }, 6, 1),
      (s) =>
        fillPolygon(
          s,
          [
            { x: 50, y: 5 },
            { x: 110, y: 20 },
            { x: 80, y: 85 },
          ],
          2,
        ),
      (s) => brushSegment(s, { x: 0, y: 40 }, { x: 119, y: 40 }, 3, 0, 2),
      (s) => bucketFill(s, { x: 2, y: 88 }, 3),
      (s) => {
        // A ring of class 1 around background: a hole to fill next.
        fillPolygon(
          s,
          [
            { x: 5, y: 45 },
            { x: 35, y: 45 },
            { x: 35, y: 85 },
            { x: 5, y: 85 },
          ],
          1,
        );
        fillPolygon(
          s,
          [
            { x: 12, y: 55 },
            { x: 28, y: 55 },
            { x: 28, y: 75 },
            { x: 12, y: 75 },
          ],
          0,
        );
      },
      (s) => fillHoles(s, 1),
      (s) => magicWand(s, pixels, { x: 100, y: 50 }, 1, { tolerance: 10, mode: 'subtract' }),
      (s) => magicWand(s, pixels, { x: 10, y: 50 }, 2, { tolerance: 10 }),
    ];
    for (const [k, operate] of operations.entries()) {
      const stroke = new MaskStroke(mask);
      operate(stroke);
      const diff = stroke.finish();
      expect(diff, `operation ${k}`).not.toBeNull();
      diffs.push(diff!);
      states.push(mask.data.slice());
    }
    for (let k = diffs.length - 1; k >= 0; k--) {
      undoMaskDiff(mask, diffs[k]!);
      expect(mask.data).toEqual(states[k]);
    }
    for (let k = 0; k < diffs.length; k++) {
      redoMaskDiff(mask, diffs[k]!);
      expect(mask.data).toEqual(states[k + 1]);
    }
  });

  it('keeps a stroke on a 2048² mask to kilobytes, and a stroke that changes nothing to no step', () => {
    const mask = blank(2048, 2048);
    const stroke = new MaskStroke(mask);
    let previous = { x: 100, y: 100 };
    for (let k = 1; k <= 60; k++) {
      const next = { x: 100 + k * 25, y: 100 + 400 * Math.sin(k / 10) + 400 };
      brushSegment(stroke, previous, next, 12, 4);
      previous = next;
    }
    const diff = stroke.finish()!;
    const painted = mask.data.reduce((n, v) => n + (v ? 1 : 0), 0);
    expect(painted).toBeGreaterThan(30_000);
    // Spans and runs: far below the 4 MiB a copy would take, and below the painted pixel count.
    expect(maskDiffBytes(diff)).toBeLessThan(painted);
    expect(maskDiffBytes(diff)).toBeLessThan(64 * 1024);
    const again = new MaskStroke(mask);
    brushSegment(again, previous, previous, 3, 4);
    expect(again.finish()).toBeNull();
  });

  it('erases only the selected class when one is given', () => {
    const mask = blank(10, 1);
    mask.data.set([1, 1, 2, 2, 1, 1, 2, 2, 0, 0]);
    const stroke = new MaskStroke(mask);
    brushSegment(stroke, { x: 0, y: 0.5 }, { x: 10, y: 0.5 }, 0.5, 0, 2);
    expect(Array.from(mask.data)).toEqual([1, 1, 0, 0, 1, 1, 0, 0, 0, 0]);
  });

  it('steps brush sizes up and down within the presets', () => {
    expect(nextBrushRadius(5, 1)).toBe(8);
    expect(nextBrushRadius(5, -1)).toBe(3);
    expect(nextBrushRadius(0.5, -1)).toBe(0.5);
    expect(nextBrushRadius(500, 1)).toBe(128);
  });
});

describe('history', () => {
  it(`keeps ${HISTORY_STEPS} steps of every kind (at least 100), dropping the oldest`, () => {
    expect(HISTORY_STEPS).toBeGreaterThanOrEqual(100);
    const history = new LabelHistory();
    for (let k = 0; k < HISTORY_STEPS + 20; k++) history.push({ kind: 'classes', before: [k], after: [k + 1] });
    let undone = 0;
    let last = null;
    while (history.canUndo) {
      last = history.undo();
      undone++;
    }
    expect(undone).toBe(HISTORY_STEPS);
    expect(last).toEqual({ kind: 'classes', before: [20], after: [21] });
    expect(history.redo()).toEqual({ kind: 'classes', before: [20], after: [21] });
    history.push({ kind: 'boxes', before: [], after: [] });
    expect(history.canRedo).toBe(false);
  });
});

describe('box edits', () => {
  const size = { width: 100, height: 80 };
  it('adds, moves, nudges, resizes, reclassifies and deletes without mutating the input', () => {
    const start = addBox([], 1, { x: 10, y: 10 }, { x: 30, y: 20 }, size);
    expect(start).toEqual([{ classId: 1, x1: 10, y1: 10, x2: 30, y2: 20 }]);
    const frozen = Object.freeze(start.map((b) => Object.freeze(b)));
    expect(moveBoxAt(frozen, 0, 5, 100, size)[0]).toEqual({ classId: 1, x1: 15, y1: 70, x2: 35, y2: 80 });
    expect(nudgeBoxAt(frozen, 0, 'up', true, size)[0]).toMatchObject({ y1: 0, y2: 10 });
    expect(resizeBoxAt(frozen, 0, 'w', { x: 50, y: 0 }, size)).toEqual({
      boxes: [{ classId: 1, x1: 30, y1: 10, x2: 50, y2: 20 }],
      handle: 'e',
    });
    expect(setBoxClass(frozen, 0, 2)[0]!.classId).toBe(2);
    expect(deleteBoxAt(frozen, 0)).toEqual([]);
    expect(addBox(frozen, 1, { x: 1, y: 1 }, { x: 1.2, y: 50 }, size)).toHaveLength(1);
  });

  it('copies the previous image’s boxes, clipped to this image, without duplicates', () => {
    const previous = [
      { classId: 1, x1: 10, y1: 10, x2: 30, y2: 20 },
      { classId: 2, x1: 90, y1: 70, x2: 150, y2: 120 },
      { classId: 2, x1: 200, y1: 10, x2: 210, y2: 20 },
    ];
    const copied = copyBoxes([{ classId: 1, x1: 10, y1: 10, x2: 30, y2: 20 }], previous, size);
    expect(copied).toEqual([
      { classId: 1, x1: 10, y1: 10, x2: 30, y2: 20 },
      { classId: 2, x1: 90, y1: 70, x2: 100, y2: 80 },
    ]);
  });
});

describe('keyboard', () => {
  const none = { boxSelected: false };
  it.each([
    [{ key: '3' }, none, { action: 'class', index: 2 }],
    [{ key: 'ArrowRight' }, none, { action: 'next-image' }],
    [{ key: 'ArrowLeft' }, none, { action: 'previous-image' }],
    [{ key: 'ArrowLeft', shiftKey: true }, { boxSelected: true }, { action: 'nudge', direction: 'left', large: true }],
    [{ key: 'z', ctrlKey: true }, none, { action: 'undo' }],
    [{ key: 'Z', ctrlKey: true, shiftKey: true }, none, { action: 'redo' }],
    [{ key: 'z', metaKey: true }, none, { action: 'undo' }],
    [{ key: 'y', ctrlKey: true }, none, { action: 'redo' }],
    [{ key: ']' }, none, { action: 'brush-size', direction: 1 }],
    [{ key: 'w' }, none, { action: 'tool', tool: 'wand' }],
    [{ key: 'H', shiftKey: true }, none, { action: 'fill-holes' }],
    [{ key: 'Delete' }, { boxSelected: true }, { action: 'delete-box' }],
    [{ key: 'm' }, none, { action: 'propose-boxes' }],
  ] as const)('%j → %j', (event, context, expected) => {
    expect(labelingAction(event, context)).toEqual(expected);
  });

  it('leaves other keys to the page', () => {
    expect(labelingAction({ key: 'c', ctrlKey: true }, none)).toBeNull();
    expect(labelingAction({ key: 'Delete' }, none)).toBeNull();
    expect(labelingAction({ key: '0' }, none)).toBeNull();
    expect(labelingAction({ key: 'M', shiftKey: true }, none)).toBeNull();
  });
});
