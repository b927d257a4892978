/**
 * Which interchange formats the import/export panel offers: only those that carry the task's kind
 * (COCO for a classification task could only end in an error), and a choice that follows the task.
 */
import { LABEL_FORMAT_KINDS, LABEL_FORMATS, type LabelFormat, type TaskKind } from '../../../contract/index';

/** Formats for a task of this kind, in the contract's order; every format when there is no task (an import into a new task). */
export function formatsFor(kind: TaskKind | null): LabelFormat[] {
  return kind === null
    ? [...LABEL_FORMATS]
    : LABEL_FORMATS.filter((format) => LABEL_FORMAT_KINDS[format].includes(kind));
}

/** The current choice while it fits, else the first format that does. */
export function fittingFormat(kind: TaskKind | null, current: LabelFormat): LabelFormat {
  const formats = formatsFor(kind);
  return formats.includes(current) ? current : (formats[0] ?? current);
}
