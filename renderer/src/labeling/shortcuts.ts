/**
 * Labeling keys, decided in one place so the screens, the help overlay and the tests agree.
 * Keys 1–9 pick a class, arrows move between images (or nudge the selected box), [ and ] size the
 * brush, Ctrl+Z / Ctrl+Shift+Z undo and redo (Cmd on macOS; Ctrl+Y also redoes).
 */
export type LabelingTool = 'brush' | 'eraser' | 'polygon' | 'bucket' | 'wand' | 'box';

export type LabelingAction =
  | { action: 'class'; index: number }
  | { action: 'next-image' }
  | { action: 'previous-image' }
  | { action: 'undo' }
  | { action: 'redo' }
  | { action: 'brush-size'; direction: 1 | -1 }
  | { action: 'tool'; tool: LabelingTool }
  | { action: 'fill-holes' }
  | { action: 'nudge'; direction: 'left' | 'right' | 'up' | 'down'; large: boolean }
  | { action: 'delete-box' }
  | { action: 'copy-previous-boxes' }
  | { action: 'propose-boxes' }
  | { action: 'toggle-overlay' };

export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  shiftKey?: boolean;
  altKey?: boolean;
}

const TOOL_KEYS: Record<string, LabelingTool> = {
  b: 'brush',
  e: 'eraser',
  p: 'polygon',
  g: 'bucket',
  w: 'wand',
  r: 'box',
};
const ARROWS = { ArrowLeft: 'left', ArrowRight: 'right', ArrowUp: 'up', ArrowDown: 'down' } as const;

/** The action for a key press, or null to let the page have it. */
export function labelingAction(event: KeyLike, context: { boxSelected: boolean }): LabelingAction | null {
  const mod = event.ctrlKey || event.metaKey;
  const key = event.key;
  if (mod && !event.altKey) {
    if (key.toLowerCase() === 'z') return { action: event.shiftKey ? 'redo' : 'undo' };
    if (key.toLowerCase() === 'y') return { action: 'redo' };
    return null;
  }
  if (event.altKey) return null;
  if (key in ARROWS) {
    const direction = ARROWS[key as keyof typeof ARROWS];
    if (context.boxSelected) return { action: 'nudge', direction, large: event.shiftKey === true };
    if (direction === 'right' || direction === 'down') return { action: 'next-image' };
    return { action: 'previous-image' };
  }
  if (/^[1-9]$/.test(key)) return { action: 'class', index: Number(key) - 1 };
  if (key === '[' || key === ']') return { action: 'brush-size', direction: key === ']' ? 1 : -1 };
  if ((key === 'Delete' || key === 'Backspace') && context.boxSelected) return { action: 'delete-box' };
  const lower = key.toLowerCase();
  if (lower === 'h' && event.shiftKey) return { action: 'fill-holes' };
  if (lower === 'c' && !event.shiftKey) return { action: 'copy-previous-boxes' };
  if (lower === 'o' && !event.shiftKey) return { action: 'toggle-overlay' };
  if (lower === 'm' && !event.shiftKey) return { action: 'propose-boxes' };
  if (!event.shiftKey && TOOL_KEYS[lower]) return { action: 'tool', tool: TOOL_KEYS[lower]! };
  return null;
}

/** For the help overlay and the README. */
export const LABELING_SHORTCUTS: readonly { keys: string; does: string }[] = [
  { keys: '1–9', does: 'assign (or, multi-label, toggle) the class in that position' },
  { keys: '← / →', does: 'previous / next image (with a box selected: nudge it 1 px, Shift 10 px)' },
  { keys: 'Ctrl+Z, Ctrl+Shift+Z (Ctrl+Y)', does: 'undo, redo' },
  { keys: 'B E P G W R', does: 'brush, eraser, polygon, paint bucket, magic wand, box' },
  { keys: '[ ]', does: 'smaller / larger brush' },
  { keys: 'Shift+H', does: 'fill the holes of the selected class' },
  { keys: 'C', does: 'copy the boxes of the previous image' },
  { keys: 'M', does: 'propose boxes on the image with the chosen detection model (as drafts)' },
  { keys: 'A', does: 'accept the draft tag or mask from "Pre-label with run"' },
  { keys: 'X', does: 'discard the draft tag or mask' },
  { keys: 'Delete', does: 'delete the selected box' },
  { keys: 'O', does: 'show / hide the mask overlay' },
];

/** More labeling keys the screens handle themselves, for the help overlay. */
export const LABELING_SCREEN_SHORTCUTS: readonly { keys: string; does: string }[] = [
  {
    keys: 'Ctrl+click, Shift+click, Ctrl+A',
    does: 'select several images in the grid; 1–9 then assigns to all of them, Delete clears them',
  },
  { keys: 'Delete (classification)', does: 'clear the classes of the image (or of the selection)' },
  { keys: 'Enter, Esc, Backspace', does: 'polygon: close it, cancel it, remove its last point' },
  { keys: 'Shift+click (magic wand)', does: 'remove the grown region from the class instead of adding it' },
  { keys: 'Enter, Delete (draft box)', does: 'accept, delete the selected draft box' },
  { keys: 'A, S, D, X (pairs)', does: 'pin the image as A, mark same, mark different, swap A and B' },
  { keys: 'F, 0, Shift+R', does: 'fit, 1:1, reset the window; right-drag windows, middle-drag pans, wheel zooms' },
  { keys: 'PageUp / PageDown', does: 'previous / next frame of a multi-frame image' },
  { keys: '?', does: 'show / hide this help' },
];
