/**
 * The pure parts behind the labeling screens: the grid's filter, keyboard stepping and
 * multi-select; bulk-assign undo; the overlay's dirty-rectangle colouring; the wand's values.
 */
import { describe, expect, it } from 'vitest';
import type { LabelMask, Point } from '../../../contract/geometry/index';
import type { FramePixels, LabelClass } from '../../../contract/index';
import { restoreRequests, type AssignRequest } from './bulk-history';
import {
  clickSelection,
  filterKey,
  matchesFilter,
  neighbour,
  parseFilterKey,
  type GridFilter,
  type ImageBadge,
} from './grid-filter';
import { MaskStroke } from './mask-edits';
import { clipRect, colourMaskRect, maskPalette, maskValuesPresent, segmentRect } from './mask-overlay';
import { brushSegment } from './mask-tools';
import { wandSource } from './wand-source';
import { seededRandom } from '../../../contract/random';

describe('grid filter and navigation', () => {
  const badge = (over: Partial<ImageBadge>): ImageBadge => ({
    classIds: [],
    boxes: 0,
    labeled: false,
    split: null,
    ...over,
  });

  it.each<[GridFilter, ImageBadge, boolean]>([
    [{ kind: 'all' }, badge({}), true],
    [{ kind: 'unlabeled' }, badge({ labeled: true, classIds: [3] }), false],
    [{ kind: 'labeled' }, badge({ labeled: true }), true],
    [{ kind: 'class', classId: 3 }, badge({ classIds: [1, 3] }), true],
    [{ kind: 'class', classId: 2 }, badge({ classIds: [1, 3] }), false],
    [{ kind: 'split', split: 'val' }, badge({ split: 'val' }), true],
    [{ kind: 'split', split: null }, badge({ split: 'train' }), false],
    [{ kind: 'split', split: null }, badge({}), true],
  ])('%j matches %j: %s', (filter, b, expected) => {
    expect(matchesFilter(b, filter)).toBe(expected);
    expect(parseFilterKey(filterKey(filter))).toEqual(filter);
  });

  it('steps from an image that has just left the filter to its neighbour in workspace order', () => {
    const order = [10, 11, 12, 13, 14];
    const shown = (id: number) => id !== 12 && id !== 13;
    expect(neighbour(order, shown, 12, 1)).toBe(14);
    expect(neighbour(order, shown, 12, -1)).toBe(11);
    expect(neighbour(order, shown, 14, 1)).toBeNull();
    expect(neighbour(order, shown, null, 1)).toBe(10);
    expect(neighbour(order, shown, 99, -1)).toBe(14);
  });

  it('selects like a file browser: click, Ctrl+click toggles, Shift+click ranges from the anchor', () => {
    const shown = [1, 2, 3, 4, 5];
    let state = clickSelection(shown, new Set(), null, 2, { ctrl: false, shift: false });
    expect([...state.selected]).toEqual([2]);
    state = clickSelection(shown, state.selected, state.anchor, 4, { ctrl: false, shift: true });
    expect([...state.selected].sort()).toEqual([2, 3, 4]);
    expect(state.anchor).toBe(2);
    state = clickSelection(shown, state.selected, state.anchor, 3, { ctrl: true, shift: false });
    expect([...state.selected].sort()).toEqual([2, 4]);
    state = clickSelection(shown, state.selected, state.anchor, 5, { ctrl: true, shift: true });
    expect([...state.selected].sort()).toEqual([2, 3, 4, 5]);
  });
});

/** The server's bulk assign (main/services/labels/image-labels.ts assignClasses), as a model. */
function applyAssign(tags: Map<number, number[]>, request: AssignRequest, multiLabel: boolean): void {
  for (const id of request.imageIds) {
    const have = new Set(tags.get(id) ?? []);
    if (request.mode === 'clear') have.clear();
    else if (request.mode === 'set') {
      have.clear();
      have.add(request.classId!);
    } else if (request.mode === 'add') {
      if (!multiLabel) have.clear();
      have.add(request.classId!);
    } else have.delete(request.classId!);
    tags.set(
      id,
      [...have].sort((a, b) => a - b),
    );
  }
}

describe('bulk assign undo', () => {
  it('puts every image back, for random states and every mode, single- and multi-label', () => {
    const random = seededRandom(11);
    for (let trial = 0; trial < 200; trial++) {
      const multiLabel = trial % 2 === 0;
      const tags = new Map<number, number[]>();
      for (let id = 1; id <= 12; id++) {
        const classes = [1, 2, 3].filter(() => random() < (multiLabel ? 0.4 : 0.3));
        tags.set(id, multiLabel ? classes : classes.slice(0, 1));
      }
      const before = new Map([...tags].map(([id, c]) => [id, [...c]]));
      const mode = (['set', 'add', 'remove', 'clear'] as const)[trial % 4]!;
      const imageIds = [...tags.keys()].filter(() => random() < 0.6);
      if (imageIds.length === 0) continue;
      const request: AssignRequest =
        mode === 'clear' ? { taskId: 1, imageIds, mode } : { taskId: 1, imageIds, mode, classId: 1 + (trial % 3) };
      applyAssign(tags, request, multiLabel);
      const selectedBefore = new Map(imageIds.map((id) => [id, before.get(id)!]));
      for (const undo of restoreRequests(1, selectedBefore, multiLabel)) applyAssign(tags, undo, multiLabel);
      expect(tags, `trial ${trial}`).toEqual(before);
    }
  });

  it('groups images by their former classes: one call per group', () => {
    const requests = restoreRequests(
      7,
      new Map([
        [1, [2]],
        [2, []],
        [3, [2]],
        [4, [1, 3]],
      ]),
      true,
    );
    expect(requests).toEqual([
      { taskId: 7, imageIds: [1, 3], mode: 'set', classId: 2 },
      { taskId: 7, imageIds: [2], mode: 'clear' },
      { taskId: 7, imageIds: [4], mode: 'set', classId: 1 },
      { taskId: 7, imageIds: [4], mode: 'add', classId: 3 },
    ]);
  });
});

describe('mask overlay', () => {
  const cls = (id: number, maskIndex: number, color: string): LabelClass => ({
    id,
    taskId: 1,
    name: `c${id}`,
    color,
    position: id,
    maskIndex,
  });

  it('colours classes opaque, and the background and hidden classes transparent', () => {
    const palette = maskPalette([cls(1, 1, '#ff8000'), cls(2, 2, '#0000ff')], new Set([2]));
    const mask: LabelMask = { width: 3, height: 1, data: Uint8Array.from([0, 1, 2]) };
    const out = new Uint8ClampedArray(12);
    colourMaskRect(mask, palette, { x0: 0, y0: 0, x1: 3, y1: 1 }, out);
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 255, 128, 0, 255, 0, 0, 0, 0]);
  });

  it('recolouring only the rectangles strokes touched gives the same overlay as recolouring the whole mask', () => {
    const random = seededRandom(5);
    const width = 300;
    const height = 200;
    const mask: LabelMask = { width, height, data: new Uint8Array(width * height) };
    const palette = maskPalette([cls(1, 1, '#ff0000'), cls(2, 2, '#00ff00')]);
    const overlay = new Uint8ClampedArray(width * height * 4);
    const paintRect = (rect: ReturnType<typeof clipRect>) => {
      if (!rect) return;
      const part = new Uint8ClampedArray((rect.x1 - rect.x0) * (rect.y1 - rect.y0) * 4);
      colourMaskRect(mask, palette, rect, part);
      for (let y = rect.y0; y < rect.y1; y++)
        overlay.set(
          part.subarray((y - rect.y0) * (rect.x1 - rect.x0) * 4, (y - rect.y0 + 1) * (rect.x1 - rect.x0) * 4),
          (y * width + rect.x0) * 4,
        );
    };
    for (let stroke = 0; stroke < 30; stroke++) {
      const s = new MaskStroke(mask);
      const radius = [0.5, 1, 3, 8, 20][stroke % 5]!;
      const value = stroke % 3;
      let last: Point = { x: random() * width * 1.2 - 30, y: random() * height * 1.2 - 20 };
      for (let k = 0; k < 8; k++) {
        const next = { x: last.x + (random() - 0.5) * 120, y: last.y + (random() - 0.5) * 120 };
        brushSegment(s, last, next, radius, value);
        paintRect(clipRect(segmentRect(last, next, radius), width, height));
        last = next;
      }
    }
    const whole = new Uint8ClampedArray(width * height * 4);
    colourMaskRect(mask, palette, { x0: 0, y0: 0, x1: width, y1: height }, whole);
    expect(maskValuesPresent(mask)).toEqual([1, 2]);
    const differing = overlay.findIndex((v, i) => v !== whole[i]);
    expect(differing).toBe(-1);
  });
});

describe('magic wand values', () => {
  const frame = (over: Partial<FramePixels>): FramePixels => ({
    id: 1,
    frame: 0,
    rows: 1,
    columns: 2,
    samplesPerPixel: 1,
    photometricInterpretation: 'MONOCHROME2',
    rescaleSlope: 1,
    rescaleIntercept: 0,
    modalityUnit: '',
    windows: [],
    minValue: 0,
    maxValue: 255,
    data: new Uint8Array(2),
    ...over,
  });

  it('uses greyscale values as stored, with the tolerance converted from modality units', () => {
    const data = Uint16Array.from([100, 200]);
    const source = wandSource(frame({ data, rescaleSlope: 0.5, rescaleIntercept: -1024, modalityUnit: 'HU' }));
    expect(source.values).toBe(data);
    expect(source.toleranceScale).toBe(2);
  });

  it('grows colour images over their luma', () => {
    const source = wandSource(frame({ samplesPerPixel: 3, data: Uint8Array.from([255, 0, 0, 0, 0, 255]) }));
    expect(Array.from(source.values).map((v) => Math.round(v * 1000) / 1000)).toEqual([76.245, 29.07]);
  });
});
