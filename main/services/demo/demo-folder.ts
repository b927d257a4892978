/**
 * Loupe's demo data as a folder, for a first run without images of one's own:
 *   parts/<train|val|test>/<defect|ok>/part-00001.png   labelled, as torchvision's ImageFolder lays
 *                                                         out a dataset with splits (`loupe labels
 *                                                         import --format imagefolder` reads it)
 *   defects/<split>/images/part-00001.png + …/masks/…   the same parts with a mask of each defect (1 =
 *   defects/labelmap.csv                                  defect, 0 elsewhere), as `--format image-mask` reads them
 *   defects/boxes-<split>.json                          each defect's box, a COCO file per split (demo-boxes.ts)
 *   inbox/shift-01/part-00001.png …                     unlabelled parts for a batch run, 1,000 a folder
 *   washers/<train|val|test>/washer-001/shot-1.png …   each washer photographed six times, a folder a washer, for a
 *                                                         verifier (demo-washers.ts; `--format imagefolder` reads it)
 *   washer-references/washer-161.png …                  one more picture of each test washer, to enrol as a gallery
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
import { washerCount, washerPictureCount, writeWasherFolder } from './demo-washers';
import { writeInOrder, writeWhole } from './demo-write';
import { writeDescription } from './demo-description';
import {
  DEMO_DATASET_FOLDER,
  DEMO_INBOX_FOLDER,
  DEMO_MASKS_FOLDER,
  DEMO_TRUTH_FILE,
  DEMO_WASHERS_FOLDER,
  DEMO_WASHER_REFERENCES_FOLDER,
  type DemoFolderSummary,
} from './demo-layout';
import { defectMask, drawPartOfClass, PART_CLASSES, type PartClass } from './part-image';

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
  const random = seededRandom(seed);
  const { files, splits } = plan(images, inbox, random);
  const washers = washerCount(images);
  const total = files.length + washerPictureCount(washers);
  const summary: DemoFolderSummary = {
    folder: out,
    datasetFolder: path.join(out, DEMO_DATASET_FOLDER),
    masksFolder: path.join(out, DEMO_MASKS_FOLDER),
    inboxFolder: path.join(out, DEMO_INBOX_FOLDER),
    classes: PART_CLASSES,
    splits,
    inbox,
    inboxDefects: Math.round(inbox * INBOX_DEFECT_RATE),
    seed,
    washers: null,
    imported: [],
  };
  await writeWhole(out, 'the demo data', signal, async (temp) => {
    const written = files.flatMap((f) => [f.relative, ...(f.masked ? [f.masked.image, f.masked.mask] : [])]);
    for (const folder of new Set(written.map((f) => path.dirname(f))))
      await fs.mkdir(path.join(temp, folder), { recursive: true });
    const boxed: Record<SplitName, BoxedPart[]> = { train: [], val: [], test: [] };
    await writeInOrder(
      files,
      async (file) => {
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
      },
      signal,
      (done) => progress(done, total),
    );
    const washed = await writeWasherFolder(
      path.join(temp, DEMO_WASHERS_FOLDER),
      washers,
      seed,
      (done) => progress(files.length + done, total),
      signal,
    );
    summary.washers = {
      ...washed,
      folder: path.join(out, DEMO_WASHERS_FOLDER),
      referencesFolder: path.join(out, DEMO_WASHER_REFERENCES_FOLDER),
    };
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
    await writeDescription(temp, summary, seed);
  });
  return summary;
}
