/**
 * A demo folder's description: README.txt and demo.json, read back when Add demo data runs again
 * (readDemoFolder), updated as each demo task's imports finish (markImported), and, for a folder
 * written before the washers, rewritten once they are added (addWashers).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../../base/atomic-write';
import {
  DEMO_DATASET_FOLDER,
  DEMO_INBOX_FOLDER,
  DEMO_MASKS_FOLDER,
  DEMO_WASHERS_FOLDER,
  DEMO_WASHER_REFERENCES_FOLDER,
  SUMMARY_FILE,
  type DemoFolderSummary,
} from './demo-layout';
import { readme } from './demo-readme';
import { washerCount, writeWasherFolder, type WasherSummary } from './demo-washers';
import { PART_CLASSES } from './part-image';

/** README.txt and demo.json, which say what the folder holds (rewritten when the washers are added later). */
export async function writeDescription(folder: string, summary: DemoFolderSummary, seed: number): Promise<void> {
  await fs.writeFile(path.join(folder, 'README.txt'), readme(summary));
  const { splits, inbox, inboxDefects, washers, imported } = summary;
  const described = washers && { identities: washers.identities, shotsPerWasher: washers.shotsPerWasher };
  await writeFileAtomic(
    path.join(folder, SUMMARY_FILE),
    JSON.stringify({
      splits,
      inbox,
      inboxDefects,
      seed,
      ...(described ? { washers: described } : {}),
      ...(imported ? { imported } : {}),
    }),
  );
}

/**
 * Records that a demo task's imports finished (demo.json); `finished`: the demo tasks already
 * there, taken as finished where the folder recorded none yet.
 */
export async function markImported(
  summary: DemoFolderSummary,
  task: string,
  finished: readonly string[],
): Promise<DemoFolderSummary> {
  const updated = { ...summary, imported: [...new Set([...(summary.imported ?? finished), task])] };
  await writeDescription(summary.folder, updated, summary.seed);
  return updated;
}

/**
 * A demo folder written before it had washers, given them: written beside its parts (whole or not
 * at all), then README.txt and demo.json rewritten to say so. Its parts stay as they were.
 */
export async function addWashers(
  summary: DemoFolderSummary,
  progress: (done: number, total: number) => void,
  signal: AbortSignal,
): Promise<DemoFolderSummary> {
  if (summary.washers) return summary;
  const { train, val, test } = summary.splits;
  // Left by a crash between the washers' rename and the description's rewrite: drawn again, the same.
  for (const folder of [DEMO_WASHERS_FOLDER, DEMO_WASHER_REFERENCES_FOLDER])
    await fs.rm(path.join(summary.folder, folder), { recursive: true, force: true });
  const washers = await writeWasherFolder(
    path.join(summary.folder, DEMO_WASHERS_FOLDER),
    washerCount(train + val + test),
    summary.seed,
    progress,
    signal,
  );
  const updated = { ...summary, washers };
  await writeDescription(summary.folder, updated, summary.seed);
  return updated;
}

/** What a complete demo folder at `folder` holds, or null where there is none (or it is not one). */
export async function readDemoFolder(folder: string): Promise<DemoFolderSummary | null> {
  const text = await fs.readFile(path.join(folder, SUMMARY_FILE), 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    const described = JSON.parse(text) as Pick<
      DemoFolderSummary,
      'splits' | 'inbox' | 'inboxDefects' | 'seed' | 'imported'
    > & {
      washers?: Omit<WasherSummary, 'folder' | 'referencesFolder'>;
    };
    const { splits, inbox, inboxDefects, seed, washers, imported } = described;
    if (![splits.train, splits.val, splits.test, inbox, inboxDefects, seed].every(Number.isInteger)) return null;
    const identities = washers ? Object.values(washers.identities) : [];
    return {
      folder,
      datasetFolder: path.join(folder, DEMO_DATASET_FOLDER),
      masksFolder: path.join(folder, DEMO_MASKS_FOLDER),
      inboxFolder: path.join(folder, DEMO_INBOX_FOLDER),
      classes: PART_CLASSES,
      splits,
      inbox,
      inboxDefects,
      seed,
      imported: Array.isArray(imported) ? imported.filter((t) => typeof t === 'string') : null,
      // A folder from before the washers (or whose record of them is damaged) has none: addWashers writes them.
      washers:
        washers && identities.length === 3 && identities.every(Number.isInteger)
          ? {
              identities: washers.identities,
              shotsPerWasher: washers.shotsPerWasher,
              folder: path.join(folder, DEMO_WASHERS_FOLDER),
              referencesFolder: path.join(folder, DEMO_WASHER_REFERENCES_FOLDER),
            }
          : null,
    };
  } catch {
    return null;
  }
}
