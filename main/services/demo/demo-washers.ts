/**
 * The demo's verification data, as a folder beside the parts: pictures of washers, each washer
 * (an identity) photographed several times (part-identity.ts), laid out as an ImageFolder dataset
 * whose classes are the washers:
 *   washers/<train|val|test>/washer-001/shot-1.png …
 * Each split holds washers of its own (60/20/20), so a verifier is tested on washers it never saw,
 * as a part arriving tomorrow would be. Beside it, one more picture of each test washer, as a part
 * is photographed once when it is registered, to enrol as the verifier's gallery:
 *   washer-references/washer-161.png …   (`loupe gallery enrol --label file`)
 * The washers are imported as a classification task and trained with the verification kind
 * (classes are identities). Their own generator, so adding them to an older demo folder leaves that
 * folder's parts as they were.
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import type { SplitName } from '../../../contract/index';
import { seededRandom } from '../../../contract/random';
import { encodePng } from '../explain/heatmap-png';
import { DEMO_WASHER_REFERENCES_FOLDER } from './demo-layout';
import { writeInOrder, writeWhole } from './demo-write';
import { drawShot, sampleIdentity, type PartIdentity } from './part-identity';

/** Pictures of each washer: enough for genuine pairs in every split, few enough to write quickly. */
export const SHOTS_PER_WASHER = 6;
/** At least two washers in val and in test, so each has impostor pairs to measure an EER on. */
const MIN_WASHERS = 10;

/** Washers for a demo of `images` labelled parts: a tenth as many (200 for the default 2,000), at least 10. */
export function washerCount(images: number): number {
  return Math.max(MIN_WASHERS, Math.round(images / 10));
}

export interface WasherSummary {
  folder: string;
  /** One more picture of each test washer, named for it, to enrol as a gallery. */
  referencesFolder: string;
  /** Washers (identities) per split. */
  identities: Record<SplitName, number>;
  shotsPerWasher: number;
}

/** Pictures written for `washers` washers: six shots of each and a reference picture of each test washer. */
export function washerPictureCount(washers: number): number {
  return washers * SHOTS_PER_WASHER + splitsOf(washers).test;
}

function splitsOf(washers: number): Record<SplitName, number> {
  const train = Math.round(washers * 0.6);
  const val = Math.round(washers * 0.2);
  return { train, val, test: washers - train - val };
}

/** The washers' generator: seeded from the demo's seed, apart from the parts' stream. */
const washerRandom = (seed: number) => seededRandom((seed ^ 0x5eed_0a5e) >>> 0);

/**
 * Writes `washers` washers' shots into `out` (absent or empty) and each test washer's reference
 * picture into the folder beside it (DEMO_WASHER_REFERENCES_FOLDER), each whole or not at all.
 */
export async function writeWasherFolder(
  out: string,
  washers: number,
  seed: number,
  progress: (done: number, total: number) => void,
  signal: AbortSignal,
): Promise<WasherSummary> {
  const random = washerRandom(seed);
  const identities = splitsOf(washers);
  const shots: Picture[] = [];
  const references: Picture[] = [];
  let n = 0;
  for (const [split, count] of Object.entries(identities))
    for (let i = 0; i < count; i++) {
      const washer = sampleIdentity(random);
      const name = `washer-${String(++n).padStart(3, '0')}`;
      for (let k = 1; k <= SHOTS_PER_WASHER; k++)
        shots.push({ relative: path.join(split, name, `shot-${k}.png`), washer });
      if (split === 'test') references.push({ relative: `${name}.png`, washer });
    }
  const total = shots.length + references.length;
  const referencesFolder = path.join(path.dirname(out), DEMO_WASHER_REFERENCES_FOLDER);
  // The references are drawn after every shot, from the same generator: the shots do not depend on them.
  await writePictures(out, shots, random, signal, (done) => progress(done, total));
  await writePictures(referencesFolder, references, random, signal, (done) => progress(shots.length + done, total));
  return { folder: out, referencesFolder, identities, shotsPerWasher: SHOTS_PER_WASHER };
}

interface Picture {
  relative: string;
  washer: PartIdentity;
}

async function writePictures(
  out: string,
  pictures: readonly Picture[],
  random: () => number,
  signal: AbortSignal,
  progress: (done: number) => void,
): Promise<void> {
  await writeWhole(out, 'the demo washers', signal, async (temp) => {
    for (const folder of new Set(pictures.map((s) => path.dirname(s.relative))))
      await fs.mkdir(path.join(temp, folder), { recursive: true });
    await writeInOrder(
      pictures,
      async ({ relative, washer }) => {
        const shot = drawShot(random, washer);
        const side = shot.spec.side;
        await fs.writeFile(path.join(temp, relative), await encodePng(shot.pixels, side, side, 1));
      },
      signal,
      progress,
    );
  });
}
