/**
 * What a reader makes of a file: the ImportPlan, built through PlanBuilder, which also holds the
 * rules every reader shares — one class-name rule, and what a malformed label means.
 *
 * A label the file gives for an image but that cannot be read (a bbox of strings, an unknown
 * category, a box outside the image) is not a skip like an unknown image: dropping it would
 * replace the image's labels with an incomplete set, or wipe them. Readers record it with
 * `malformed`; the import is then refused whole, or with `skipMalformed` that image is left
 * untouched.
 */
import { checkLabelName, LoupeError, type SplitName, type TaskKind } from '../../../../contract/index';
import type { PackedMask } from './packed-mask';

export interface PlanBox {
  /** 1-based index into ImportPlan.classNames. */
  cls: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface ImportPlan {
  kind: TaskKind;
  /** Plan class k (1-based) is classNames[k - 1]; masks and boxes use k. */
  classNames: string[];
  classTags: Map<number, number[]>;
  boxes: Map<number, PlanBox[]>;
  /** Image id → its masks by frame: one (frame 0) from a 2D mask, one per slice from a 3D label map. */
  masks: Map<number, Map<number, PackedMask>>;
  pairs: { imageA: number; imageB: number; same: boolean }[];
  /** Splits the file gives (train/val/test folders, a split column); other images keep theirs. */
  splits: Map<number, SplitName>;
  skipped: { where: string; reason: string }[];
  /** Unreadable labels of images the plan would otherwise replace; each is also in `skipped`. */
  malformed: { imageId: number; skip: { where: string; reason: string } }[];
}

/** At most this many problems are quoted in a refusal's message (the report lists more). */
const QUOTED_PROBLEMS = 5;

export class PlanBuilder {
  readonly plan: ImportPlan;
  private readonly classIndex = new Map<string, number>();

  constructor(kind: TaskKind) {
    this.plan = {
      kind,
      classNames: [],
      classTags: new Map(),
      boxes: new Map(),
      masks: new Map(),
      pairs: [],
      splits: new Map(),
      skipped: [],
      malformed: [],
    };
  }

  /**
   * The plan index of a class name (case-insensitive, trimmed), added on first use. A name the UI
   * would refuse (empty, multi-line, control characters, too long) refuses the import.
   */
  classOf(name: string): number {
    const key = name.trim().toLowerCase();
    let index = this.classIndex.get(key);
    if (index === undefined) {
      const checked = checkLabelName(name);
      if ('problem' in checked)
        throw new LoupeError(
          'INVALID_REQUEST',
          `The file names a class Loupe cannot use, so nothing was imported. ${checked.problem}`,
        );
      this.plan.classNames.push(checked.name);
      index = this.plan.classNames.length;
      this.classIndex.set(key, index);
    }
    return index;
  }

  skip(where: string, reason: string): void {
    this.plan.skipped.push({ where, reason });
  }

  /** A label of this image that cannot be read: see the file comment. `reason` names the field. */
  malformed(imageId: number, where: string, reason: string): void {
    const skip = { where, reason };
    this.plan.skipped.push(skip);
    this.plan.malformed.push({ imageId, skip });
  }
}

export function quoteProblems(problems: readonly { where: string; reason: string }[]): string {
  const listed = problems.slice(0, QUOTED_PROBLEMS).map((p) => `${p.where}: ${p.reason}`);
  if (problems.length > QUOTED_PROBLEMS) listed.push(`… and ${problems.length - QUOTED_PROBLEMS} more`);
  return listed.join('; ');
}

/**
 * Malformed labels found before any image is brought into the workspace (image-mask): the import
 * is refused before anything is written, or (skipMalformed) those files are reported and left out.
 */
export function settleMalformedFiles(
  builder: PlanBuilder,
  problems: readonly { where: string; reason: string }[],
  skipMalformed: boolean,
): void {
  if (problems.length === 0) return;
  if (!skipMalformed)
    throw new LoupeError(
      'INVALID_REQUEST',
      `The folder has ${problems.length} malformed label${problems.length === 1 ? '' : 's'}, so nothing was imported: ${quoteProblems(problems)}. ` +
        'Correct them, or skip malformed labels (--skip-malformed) to leave those images out.',
    );
  for (const p of problems) builder.skip(p.where, `${p.reason}; the image was left out`);
}

/** Refuses a plan with malformed labels, or (skipMalformed) takes their images out of it. */
export function settleMalformed(plan: ImportPlan, skipMalformed: boolean): void {
  if (plan.malformed.length === 0) return;
  if (!skipMalformed) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `The file has ${plan.malformed.length} malformed label${plan.malformed.length === 1 ? '' : 's'}, so nothing was imported (importing the rest would replace ` +
        `those images' labels with an incomplete set): ${quoteProblems(plan.malformed.map((m) => m.skip))}. Correct the file, or skip malformed labels ` +
        '(--skip-malformed) to leave those images untouched.',
    );
  }
  for (const { imageId, skip } of plan.malformed) {
    plan.classTags.delete(imageId);
    plan.boxes.delete(imageId);
    plan.masks.delete(imageId);
    plan.splits.delete(imageId);
    skip.reason += "; the image's labels were left untouched";
  }
}

/** Every image the plan labels. */
export function imagesOf(plan: ImportPlan): Set<number> {
  const ids = new Set<number>([...plan.classTags.keys(), ...plan.boxes.keys(), ...plan.masks.keys()]);
  for (const p of plan.pairs) ids.add(p.imageA).add(p.imageB);
  return ids;
}

/** The refusal of an import told a split whose file or folder sets its images' splits itself. */
export function ownSplitsRefusal(source: string): LoupeError {
  return new LoupeError(
    'INVALID_REQUEST',
    `${source} sets its images' splits itself (split folders or a split column); import it without a split.`,
  );
}

/** Puts every image the plan labels in `split` (an import told its split); refused where the file gives splits itself. */
export function placeInSplit(plan: ImportPlan, split: SplitName, source: string): void {
  if (plan.splits.size > 0) throw ownSplitsRefusal(source);
  for (const imageId of imagesOf(plan)) plan.splits.set(imageId, split);
}
