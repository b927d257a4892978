/**
 * A model's classes matched to a label task's classes by name (names are unique per task
 * regardless of case), refused with the missing names when the task cannot hold the model's
 * predictions: drafts must land on classes the user sees.
 */
import { LoupeError, type LabelTask } from '../../../contract/index';
import { BACKGROUND_CLASS } from './task-dataset';

/** Model class index → task class id; a segmentation model's class 0 is background (null). */
export function matchClasses(task: LabelTask, modelClasses: readonly string[], runId: string): (number | null)[] {
  const byName = new Map(task.classes.map((c) => [c.name.toLowerCase(), c.id]));
  const segmentation = task.kind === 'segmentation';
  const missing: string[] = [];
  const matched = modelClasses.map((name, i) => {
    if (segmentation && i === 0 && name.toLowerCase() === BACKGROUND_CLASS) return null;
    const id = byName.get(name.toLowerCase());
    if (id === undefined) missing.push(name);
    return id ?? null;
  });
  if (missing.length)
    throw new LoupeError(
      'INVALID_REQUEST',
      `Run ${runId} predicts ${missing.map((n) => `“${n}”`).join(', ')}, which task “${task.name}” has no class for. ` +
        `Pick a run trained on this task's classes, or add the missing class${missing.length === 1 ? '' : 'es'}.`,
    );
  return matched;
}

/** Task mask value per model class index (0 for background), for a draft mask in the task's values. */
export function maskValues(task: LabelTask, matched: readonly (number | null)[]): Uint8Array {
  const values = new Uint8Array(Math.max(1, matched.length));
  matched.forEach((classId, i) => {
    const value = classId === null ? 0 : (task.classes.find((c) => c.id === classId)?.maskIndex ?? 0);
    values[i] = value;
  });
  return values;
}
