/** Summaries of the audit trail that the reports and the Review section share. */
import type { ReviewVerdict } from '../../../contract/index';

/** DICOM identifiers an export includes only when asked. */
export const IDENTIFIER_COLUMNS = ['patient_id', 'study_uid', 'series_uid', 'sop_uid'] as const;

export type Identifiers = Record<(typeof IDENTIFIER_COLUMNS)[number], string>;

/** Agreement among current verdicts: agree / (agree + disagree); unsure ones are counted apart. */
export function agreement(current: readonly Pick<ReviewVerdict, 'verdict'>[]): {
  agree: number;
  disagree: number;
  unsure: number;
  rate: number | null;
} {
  const count = (kind: ReviewVerdict['verdict']) => current.filter((v) => v.verdict === kind).length;
  const [agree, disagree, unsure] = [count('agree'), count('disagree'), count('unsure')];
  return { agree, disagree, unsure, rate: agree + disagree > 0 ? agree / (agree + disagree) : null };
}

/** The latest verdict per (run, image), in trail order. */
export function latestOnly<V extends Pick<ReviewVerdict, 'id' | 'runId' | 'imageId'>>(verdicts: readonly V[]): V[] {
  const latest = new Map<string, V>();
  for (const v of verdicts) latest.set(`${v.runId}\0${v.imageId}`, v);
  return [...latest.values()].sort((a, b) => a.id - b.id);
}

type VerdictWho = Pick<
  ReviewVerdict,
  'id' | 'createdAt' | 'reviewer' | 'imagePath' | 'imageSha256' | 'runId' | 'weightsSha256' | 'taskId'
>;

/** The CSV cells every kind of verdict starts with: verdict_id, time, reviewer, image_path … task_id. */
export function verdictLeadCells(v: VerdictWho): (string | number)[] {
  return [v.id, v.createdAt, v.reviewer, v.imagePath, v.imageSha256, v.runId, v.weightsSha256, v.taskId ?? ''];
}
