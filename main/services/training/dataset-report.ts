/** The dataset report a run shows before training: split counts, image sizes, channels and bit depths, and what was left out. */
import type { DatasetReport, SplitName, VerificationDatasetReport } from '../../../contract/index';

/** Sizes listed in a dataset report: the most common few are what the user needs to see. */
const REPORTED_SIZES = 5;

/** The image columns a dataset and its report read. */
export interface ImageRow {
  id: number;
  path: string;
  rows: number;
  columns: number;
  samples_per_pixel: number;
  bits_stored: number;
  format: string;
  modality: string | null;
  missing: number;
  split: SplitName | null;
  frames: number;
}

/** The images a run would use and what was left out (task-dataset's choice). */
interface ReportedChoice {
  /** A classifier's images carry their class index (`label`); a verifier's trained on classes, its `identity` too. */
  chosen: { row: ImageRow; label?: number; identity?: string }[];
  skipped: Map<string, number>;
  pairs: unknown[];
  verification?: VerificationDatasetReport;
}

export function reportOf(classes: string[], { chosen, skipped, pairs, verification }: ReportedChoice): DatasetReport {
  const used = chosen.map((c) => c.row);
  const counts = { train: 0, val: 0, test: 0 };
  for (const row of used) counts[row.split!]++;
  const sizes = new Map<string, { rows: number; columns: number; images: number }>();
  for (const row of used) {
    const key = `${row.rows}x${row.columns}`;
    const entry = sizes.get(key) ?? { rows: row.rows, columns: row.columns, images: 0 };
    entry.images++;
    sizes.set(key, entry);
  }
  return {
    classes,
    counts,
    skipped: [...skipped].map(([reason, count]) => ({ reason, count })),
    pairs: pairs.length,
    sizes: [...sizes.values()].sort((a, b) => b.images - a.images).slice(0, REPORTED_SIZES),
    channels: used.some((r) => r.samples_per_pixel >= 3) ? 3 : 1,
    bitsStored: Math.max(...used.map((r) => r.bits_stored)),
    // 8-bit files beside deeper ones (one camera saving both): one percentile range would leave the 8-bit ones near black.
    mixedBitDepths: used.some((r) => r.bits_stored <= 8) && used.some((r) => r.bits_stored > 8),
    modalities: [...new Set(used.map((r) => r.modality).filter((m): m is string => !!m))],
    ...(verification ? { verification } : {}),
    warnings: untrainedClasses(classes, chosen),
  };
}

/** Class names listed in a warning; the rest are counted. */
const NAMED_CLASSES = 3;

/**
 * A classifier's classes with val or test images but none in train: it cannot learn them, so each
 * of their images counts as a mistake, and a split made per identity (a part, a patient) leaves
 * every val and test class untrained; a verifier is what learns from such classes.
 */
function untrainedClasses(classes: readonly string[], chosen: ReportedChoice['chosen']): string[] {
  const classified = chosen.filter((c) => c.label !== undefined && c.identity === undefined);
  const trained = new Set(classified.filter((c) => c.row.split === 'train').map((c) => c.label!));
  const untrained = [...new Set(classified.filter((c) => !trained.has(c.label!)).map((c) => c.label!))].sort(
    (a, b) => a - b,
  );
  if (untrained.length === 0) return [];
  const names = untrained.slice(0, NAMED_CLASSES).map((i) => classes[i] ?? String(i));
  const listed = `${names.join(', ')}${untrained.length > NAMED_CLASSES ? ', …' : ''}`;
  const which =
    untrained.length === 1
      ? `Class ${listed} has val or test images but none in train`
      : `${untrained.length} of the ${classes.length} classes have val or test images but none in train (${listed})`;
  return [
    `${which}: a classifier cannot learn ${untrained.length === 1 ? 'it' : 'them'}, so each of ${untrained.length === 1 ? 'its' : 'their'} val and test images counts as a mistake. Give ${untrained.length === 1 ? 'it' : 'them'} training images (assign splits again), or, where the classes are identities (parts, patients), train a verifier: Train as “verification” (--kind verification).`,
  ];
}
