/**
 * The pure half of choosing a task's images (contract/task-images.ts): how a stored choice reads
 * back, and a rule as SQL. No database here; image-rule.test.ts checks the SQL against the rule's
 * meaning written out in plain code.
 */
import type { TaskImageRule, TaskImages } from '../../../contract/index';

export type TaskImagesKind = TaskImages['kind'];

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

/** A WHERE clause over the images table and its named parameters. */
export interface RuleSql {
  where: string;
  params: Record<string, string>;
}

/**
 * The rule's folders and modalities as a WHERE clause over `images`: SQLite filters 100,000 rows
 * several times faster than reading them into JavaScript to match there. image-rule.test.ts checks
 * it against the rule's meaning written out in plain code. The classes are not in it: the caller
 * intersects with the images carrying them, read from the label tables.
 */
export function ruleSql(rule: TaskImageRule): RuleSql {
  const params: Record<string, string> = {};
  const parts: string[] = [];
  if (rule.folders.length > 0) {
    const each = rule.folders.map((folder, i) => {
      const key = folderKey(folder);
      params[`folder${i}`] = key;
      // Lengths in SQL's characters (JavaScript counts an emoji as two).
      const head = `substr(path, 1, length(@folder${i})) = @folder${i}`;
      // The root ("/", "C:\\") already ends in its separator; any other folder needs one next.
      return SEPARATOR.test(key.at(-1)!)
        ? head
        : `(${head} AND substr(path, length(@folder${i}) + 1, 1) IN ('/', '\\'))`;
    });
    parts.push(`(${each.join(' OR ')})`);
  }
  if (rule.modalities.length > 0) {
    params.modalities = JSON.stringify(rule.modalities);
    // imageModality in SQL: the trimmed DICOM Modality, else the file kind, in capitals.
    parts.push(`upper(coalesce(nullif(trim(modality), ''), format)) IN (SELECT value FROM json_each(@modalities))`);
  }
  return { where: parts.length ? parts.join(' AND ') : '1', params };
}
