/**
 * The pure half of choosing a task's images (contract/task-images.ts): how a stored choice reads
 * back, and whether one image matches a rule. No database here, so the matching is tested alone.
 */
import { imageModality, type TaskImageRule, type TaskImages } from '../../../contract/index';

export type TaskImagesKind = TaskImages['kind'];

/** What a rule looks at in an image. */
export interface RuleImage {
  id: number;
  path: string;
  format: string;
  modality: string | null;
}

/** A stored rule, as migration 007 keeps it in label_tasks.images_rule_json. */
export function parseRule(json: string | null): TaskImageRule {
  const stored = JSON.parse(json ?? '{}') as Partial<TaskImageRule>;
  return {
    kind: 'rule',
    folders: stored.folders ?? [],
    modalities: stored.modalities ?? [],
    classIds: stored.classIds ?? [],
  };
}

export function ruleJson(rule: TaskImageRule): string {
  return JSON.stringify({ folders: rule.folders, modalities: rule.modalities, classIds: rule.classIds });
}

/** A task's images as its reply reports them. */
export function taskImagesOf(kind: TaskImagesKind, ruleJsonText: string | null, listed: number): TaskImages {
  if (kind === 'all') return { kind };
  if (kind === 'list') return { kind, count: listed };
  const { folders, modalities, classIds } = parseRule(ruleJsonText);
  return { kind, folders, modalities, classIds };
}

const SEPARATOR = /[\\/]/;

/** The folder without trailing separators ("/data/chest/" is "/data/chest"; "/" stays "/"). */
export function folderKey(folder: string): string {
  let end = folder.length;
  while (end > 1 && SEPARATOR.test(folder[end - 1]!)) end--;
  return folder.slice(0, end);
}

/**
 * Whether the file lies in the folder or below it. A plain string prefix would put
 * /data/chest-old under /data/chest, so the next character must be a separator.
 */
export function folderContains(folder: string, filePath: string): boolean {
  const key = folderKey(folder);
  if (!filePath.startsWith(key)) return false;
  if (SEPARATOR.test(key.at(-1)!)) return true; // The root ("/" or "C:\").
  return filePath.length > key.length && SEPARATOR.test(filePath[key.length]!);
}

/**
 * Whether an image matches a rule: one of its folders (if any) and one of its modalities (if any)
 * and one of its classes (if any). `tagged` holds the images carrying one of the rule's classes.
 */
export function matchesRule(image: RuleImage, rule: TaskImageRule, tagged: ReadonlySet<number>): boolean {
  if (rule.folders.length > 0 && !rule.folders.some((folder) => folderContains(folder, image.path))) return false;
  if (rule.modalities.length > 0 && !rule.modalities.includes(imageModality(image.format, image.modality)))
    return false;
  return rule.classIds.length === 0 || tagged.has(image.id);
}
