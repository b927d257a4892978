/**
 * Loupe's demo data as a folder, for a first run without images of one's own:
 *   parts/<train|val|test>/<defect|ok>/part-00001.png   labelled, as torchvision's ImageFolder lays
 *                                                         out a dataset with splits (`loupe labels
 *                                                         import --format imagefolder` reads it)
 *   defects/<split>/images/part-00001.png + …/masks/…   the same parts with a mask of each defect (1 =
 *   defects/labelmap.csv                                  defect, 0 elsewhere), as `--format image-mask` reads them
 *   defects/boxes-<split>.json                          each defect's box, a COCO file per split (demo-boxes.ts)
 *   inbox/shift-01/part-00001.png …                     unlabelled parts for a batch run, 1,000 a folder
 *   inbox-truth.csv                                     each inbox file's class, to check a batch run against
 *   README.txt                                          what the folder is and the commands that use it
 *   demo.json                                           what the folder holds (readDemoFolder)
 * The folder appears whole or not at all: it is written under a temporary name beside the target
 * and renamed once complete (a cancel, a full disk or a crash leaves no half dataset under the
 * target's name). The same seed gives the same files, pixel for pixel.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DEMO_DEFAULTS, DEMO_LIMITS, LoupeError, SPLITS, type SplitName } from '../../../contract/index';
import { seededRandom, shuffle } from '../../../contract/random';
import { toCsv } from '../csv';
import { LABELMAP_FILE } from '../labels/interchange/mask-folder';
import { encodePng } from '../explain/heatmap-png';
import { boxesFile, boxOfMask, cocoBoxes, type BoxedPart } from './demo-boxes';
import { defectMask, drawPartOfClass, PART_CLASSES, type PartClass } from './part-image';

export const DEMO_DATASET_FOLDER = 'parts';
export const DEMO_MASKS_FOLDER = 'defects';
export const DEMO_INBOX_FOLDER = 'inbox';
export const DEMO_TRUTH_FILE = 'inbox-truth.csv';
const SUMMARY_FILE = 'demo.json';

export interface DemoFolderArgs {
  /** Labelled images, half of each class, split 70/15/15 into train, val and test (DEMO_DEFAULTS: 2,000). */
  images?: number;
  /** Unlabelled images for a batch run, one in five a defect, as a line's reject rate might be (1,000). */
  inbox?: number;
  /** Seed of every random choice (1). */
  seed?: number;
}

const SPLIT_SHARES = [
  ['train', 0.7],
  ['val', 0.15],
  ['test', 0.15],
] as const;
const INBOX_DEFECT_RATE = 0.2;
const FILES_PER_INBOX_FOLDER = 1000;
/** PNG encodes in flight at once (sharp runs them on libuv's pool). */
const ENCODES_IN_FLIGHT = 8;

export interface DemoFolderSummary {
  folder: string;
  datasetFolder: string;
  /** The same labelled parts with their defects' masks (image-mask layout). */
  masksFolder: string;
  inboxFolder: string;
  classes: readonly PartClass[];
  /** Labelled images per split. */
  splits: Record<'train' | 'val' | 'test', number>;
  inbox: number;
  inboxDefects: number;
}

interface PlannedFile {
  relative: string;
  partClass: PartClass;
  /** Labelled parts (absent for the inbox's): where the copy beside its mask goes (`defects/<split>/images|masks/<name>`). */
  masked?: { split: SplitName; name: string; image: string; mask: string };
}

function checkCount(name: keyof typeof DEMO_LIMITS, value: number): void {
  const { min, max } = DEMO_LIMITS[name];
  if (!Number.isInteger(value) || value < min || value > max)
    throw new LoupeError(
      'INVALID_REQUEST',
      `The demo's ${name} must be a whole number from ${min} to ${max}; got ${value}.`,
    );
}

function plan(
  images: number,
  inbox: number,
  random: () => number,
): { files: PlannedFile[]; splits: DemoFolderSummary['splits'] } {
  const files: PlannedFile[] = [];
  const splits = { train: 0, val: 0, test: 0 };
  for (const partClass of PART_CLASSES) {
    const count = partClass === PART_CLASSES[0] ? Math.ceil(images / 2) : Math.floor(images / 2);
    let start = 0;
    SPLIT_SHARES.forEach(([split, share], i) => {
      const n = i === SPLIT_SHARES.length - 1 ? count - start : Math.round(count * share);
      for (let k = 0; k < n; k++) {
        const name = `part-${String(files.length + 1).padStart(5, '0')}.png`;
        files.push({
          relative: path.join(DEMO_DATASET_FOLDER, split, partClass, name),
          partClass,
          masked: {
            split,
            name,
            image: path.join(DEMO_MASKS_FOLDER, split, 'images', name),
            mask: path.join(DEMO_MASKS_FOLDER, split, 'masks', name),
          },
        });
      }
      splits[split] += n;
      start += n;
    });
  }
  const inboxClasses: PartClass[] = Array.from({ length: inbox }, (_, i) =>
    i < Math.round(inbox * INBOX_DEFECT_RATE) ? 'defect' : 'ok',
  );
  shuffle(inboxClasses, random).forEach((partClass, i) => {
    const shift = `shift-${String(Math.floor(i / FILES_PER_INBOX_FOLDER) + 1).padStart(2, '0')}`;
    const name = `part-${String(i + 1).padStart(5, '0')}.png`;
    files.push({ relative: path.join(DEMO_INBOX_FOLDER, shift, name), partClass });
  });
  return { files, splits };
}

function readme(summary: DemoFolderSummary): string {
  return `Loupe demo data: synthetic images of machined washers, 64 x 64 grey PNG, some with a defect
(a scratch, a pit or a chip out of the rim). Made by \`loupe demo\`; nothing here is a real part or patient.

${DEMO_DATASET_FOLDER}/     ${summary.splits.train + summary.splits.val + summary.splits.test} labelled images: <split>/<class>/<image> (classes: ${summary.classes.join(', ')})
${DEMO_MASKS_FOLDER}/   the same images as <split>/images/<image> beside <split>/masks/<image> (1 = defect), with labelmap.csv,
           and each defect's box in boxes-<split>.json (COCO)
${DEMO_INBOX_FOLDER}/      ${summary.inbox} unlabelled images (${summary.inboxDefects} defects) for a batch run
${DEMO_TRUTH_FILE}  the class of every inbox image, to check a batch run's predictions against

Try it from the command line (W: a workspace folder; RUN: the run id \`loupe train\` prints):
  npx loupe labels import --workspace W --format imagefolder --task parts "${summary.datasetFolder}"
  npx loupe train --workspace W --task parts
  npx loupe predict --workspace W --run RUN --in "${summary.inboxFolder}" --out predictions
and for a U-Net that outlines the defects, and a detector that boxes them:
  npx loupe labels import --workspace W --format image-mask --task defects "${summary.masksFolder}"
  npx loupe train --workspace W --task defects
  npx loupe labels import --workspace W --format coco --task boxes --split train "${path.join(summary.masksFolder, 'boxes-train.json')}"
  (and boxes-val.json with --split val, boxes-test.json with --split test), then
  npx loupe train --workspace W --task boxes
`;
}

/** Writes the demo folder at `out` (absent or empty); returns what it holds. */
export async function writeDemoFolder(
  out: string,
  args: DemoFolderArgs,
  progress: (done: number, total: number) => void,
  signal: AbortSignal,
): Promise<DemoFolderSummary> {
  const { images, inbox, seed } = { ...DEMO_DEFAULTS, ...args };
  checkCount('images', images);
  checkCount('inbox', inbox);
  const existing = await fs.readdir(out).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw new LoupeError('IO_ERROR', `Cannot read ${out}: ${error.message}.`, { cause: error });
  });
  if (existing && existing.length > 0)
    throw new LoupeError('CONFLICT', `${out} is not empty; give a new or empty folder for the demo data.`);

  const random = seededRandom(seed);
  const { files, splits } = plan(images, inbox, random);
  const summary: DemoFolderSummary = {
    folder: out,
    datasetFolder: path.join(out, DEMO_DATASET_FOLDER),
    masksFolder: path.join(out, DEMO_MASKS_FOLDER),
    inboxFolder: path.join(out, DEMO_INBOX_FOLDER),
    classes: PART_CLASSES,
    splits,
    inbox,
    inboxDefects: Math.round(inbox * INBOX_DEFECT_RATE),
  };
  const temp = path.join(path.dirname(out), `.${path.basename(out)}.partial-${process.pid}-${Date.now()}`);
  try {
    await fs.mkdir(path.dirname(out), { recursive: true });
    const written = files.flatMap((f) => [f.relative, ...(f.masked ? [f.masked.image, f.masked.mask] : [])]);
    for (const folder of new Set(written.map((f) => path.dirname(f))))
      await fs.mkdir(path.join(temp, folder), { recursive: true });
    // Pixels are drawn in file order from the one generator, so the files do not depend on how encodes interleave.
    let next = 0;
    let done = 0;
    const boxed: Record<SplitName, BoxedPart[]> = { train: [], val: [], test: [] };
    let failed = false;
    const worker = async (): Promise<void> => {
      while (next < files.length && !failed) {
        signal.throwIfAborted();
        const file = files[next++]!;
        const part = drawPartOfClass(random, file.partClass);
        const side = part.spec.side;
        const png = await encodePng(part.pixels, side, side, 1);
        await fs.writeFile(path.join(temp, file.relative), png);
        if (file.masked) {
          const mask = defectMask(part.spec);
          boxed[file.masked.split].push({ name: file.masked.name, side, box: boxOfMask(mask, side) });
          await fs.writeFile(path.join(temp, file.masked.image), png);
          await fs.writeFile(path.join(temp, file.masked.mask), await encodePng(mask, side, side, 1));
        }
        progress(++done, files.length);
      }
    };
    // Every worker ends before anything is cleaned up: one still writing would refill the folder being removed.
    const ended = await Promise.allSettled(
      Array.from({ length: ENCODES_IN_FLIGHT }, async () => {
        try {
          await worker();
        } catch (error) {
          failed = true;
          throw error;
        }
      }),
    );
    const failure = ended.find((e) => e.status === 'rejected');
    if (failure) throw failure.reason;
    const truth = files
      .filter((f) => !f.masked)
      .map((f) => [
        f.relative
          .slice(DEMO_INBOX_FOLDER.length + 1)
          .split(path.sep)
          .join('/'),
        f.partClass,
      ]);
    await fs.writeFile(path.join(temp, DEMO_TRUTH_FILE), toCsv([['file', 'class'], ...truth]));
    await fs.writeFile(
      path.join(temp, DEMO_MASKS_FOLDER, LABELMAP_FILE),
      toCsv([
        ['index', 'name'],
        [0, 'background'],
        [1, 'defect'],
      ]),
    );
    for (const split of SPLITS)
      await fs.writeFile(path.join(temp, DEMO_MASKS_FOLDER, boxesFile(split)), cocoBoxes(boxed[split]));
    await fs.writeFile(path.join(temp, 'README.txt'), readme(summary));
    const { splits: counts, inbox: inboxCount, inboxDefects } = summary;
    await fs.writeFile(
      path.join(temp, SUMMARY_FILE),
      JSON.stringify({ splits: counts, inbox: inboxCount, inboxDefects, seed }),
    );
    if (existing) await fs.rmdir(out);
    await fs.rename(temp, out);
    return summary;
  } catch (error) {
    await fs.rm(temp, { recursive: true, force: true });
    if (signal.aborted) throw new LoupeError('CANCELLED', 'Writing the demo data was cancelled; nothing was kept.');
    if (error instanceof LoupeError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOSPC' || code === 'EDQUOT' ? 'the disk is full' : (error as Error).message;
    throw new LoupeError('IO_ERROR', `Cannot write the demo data into ${out}: ${why}. Nothing was kept.`, {
      cause: error,
    });
  }
}

/** What a complete demo folder at `folder` holds, or null where there is none (or it is not one). */
export async function readDemoFolder(folder: string): Promise<DemoFolderSummary | null> {
  const text = await fs.readFile(path.join(folder, SUMMARY_FILE), 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    const { splits, inbox, inboxDefects } = JSON.parse(text) as Pick<
      DemoFolderSummary,
      'splits' | 'inbox' | 'inboxDefects'
    >;
    if (![splits.train, splits.val, splits.test, inbox, inboxDefects].every(Number.isInteger)) return null;
    return {
      folder,
      datasetFolder: path.join(folder, DEMO_DATASET_FOLDER),
      masksFolder: path.join(folder, DEMO_MASKS_FOLDER),
      inboxFolder: path.join(folder, DEMO_INBOX_FOLDER),
      classes: PART_CLASSES,
      splits,
      inbox,
      inboxDefects,
    };
  } catch {
    return null;
  }
}
