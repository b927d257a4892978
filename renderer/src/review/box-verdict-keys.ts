/**
 * The keys of a "disagree" on a detection or verification run's item, beside the verdict keys
 * every Review view shares (verdict-keys.ts). Correcting boxes: 1–9 pick the class to draw, Delete
 * or Backspace removes the selected box, Enter records the verdict with the boxes, Esc goes back.
 * Answering a pair: 1 same, 2 different, Enter no answer, Esc back.
 */
import type { useAnnotateStore } from '../stores/annotate';
import type { useReviewBoxVerdictsStore } from '../stores/review-box-verdicts';

type Verdicts = ReturnType<typeof useReviewBoxVerdictsStore>;
type Annotate = ReturnType<typeof useAnnotateStore>;

export function correctionKey(key: string, verdicts: Verdicts, annotate: Annotate): boolean {
  if (/^[1-9]$/.test(key)) {
    const cls = verdicts.task?.classes[Number(key) - 1];
    if (cls) annotate.activeClassId = cls.id;
  } else if (key === 'Delete' || key === 'Backspace') {
    const selected = annotate.selectedBox;
    if (selected?.kind === 'box') verdicts.deleteBox(selected.index);
    annotate.selectedBox = null;
  } else if (key === 'Enter') void verdicts.record('disagree', verdicts.correcting ?? []);
  else if (key === 'Escape') verdicts.reset();
  else return false;
  return true;
}

export function pickAnswerKey(key: string, verdicts: Verdicts): boolean {
  if (key === '1' || key === '2') void verdicts.record('disagree', key === '1');
  else if (key === 'Enter') void verdicts.record('disagree');
  else if (key === 'Escape') verdicts.pickingAnswer = false;
  else return false;
  return true;
}
