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
  chosen: { row: ImageRow }[];
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
  };
}
