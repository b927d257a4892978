/**
 * The prediction benchmark's folders, made once and cached under tests/fixtures/generated/:
 * COUNT small grey PNGs (64 × 64, 8-bit, written by sharp) and COUNT real-size CT DICOM (512 × 512,
 * 16-bit, explicit VR little endian, rescale to HU) made from one DCMTK-written file (dump2dcm)
 * whose pixels and SOP Instance UID are rewritten per copy. Written in a temporary folder renamed
 * into place, so an interrupted run leaves no half folder behind.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, promises as fs, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { preprocessingSpecSchema } from '../contract/index';
import { appRoot } from '../main/app/paths';
import { groupFrames } from '../main/services/batch/frame-inputs';

/** The benchmark model's input (small-cnn, 64² grey), one spec for the 8-bit PNGs and the 16-bit CT: per image. */
export const BENCH_PREPROCESSING = preprocessingSpecSchema.parse({
  rows: 64,
  columns: 64,
  intensity: { mode: 'per-image' },
});
/** Frames per group of every model row: a batch run's groups for the benchmark model. */
export const BENCH_GROUP = groupFrames(BENCH_PREPROCESSING);

export const SMALL_SIZE = 64;
export const CT_SIZE = 512;
const FILES_PER_FOLDER = 500;
/** sharp encodes this many files at once. */
const WRITE_CONCURRENCY = 16;
const UID_PREFIX = '1.2.826.0.1.3680043.8.498.78.';
const UID_DIGITS = 8;
/** Bump when the generated content changes. */
const VERSION = 1;

/** A disk on a ramp, moved per image, so every file differs. */
function pixels(index: number, size: number, peak: number, base: number): number[] {
  const out = new Array<number>(size * size);
  const cx = size / 4 + ((index * 7) % (size / 2));
  const cy = size / 4 + ((index * 13) % (size / 2));
  const r2 = (size / 6) ** 2;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++)
      out[y * size + x] = (x - cx) ** 2 + (y - cy) ** 2 < r2 ? peak : base + ((x + 2 * y + index) % 64);
  return out;
}

async function cached(name: string, make: (dir: string) => Promise<void>): Promise<string> {
  const root = path.join(appRoot(), 'tests', 'fixtures', 'generated', `${name}-v${VERSION}`);
  if (existsSync(root)) return root;
  const temp = `${root}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(temp, { recursive: true });
    await make(temp);
    renameSync(temp, root);
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    if (!existsSync(root)) throw error;
  }
  return root;
}

function folderOf(dir: string, index: number): string {
  const folder = path.join(dir, `part-${String(Math.floor(index / FILES_PER_FOLDER)).padStart(3, '0')}`);
  mkdirSync(folder, { recursive: true });
  return folder;
}

/** `count` 64 × 64 8-bit grey PNGs. */
export function ensureSmallPngs(count: number): Promise<string> {
  return cached(`predict-png-${count}`, async (dir) => {
    for (let start = 0; start < count; start += WRITE_CONCURRENCY) {
      const writes: Promise<unknown>[] = [];
      for (let i = start; i < Math.min(count, start + WRITE_CONCURRENCY); i++) {
        const data = Uint8Array.from(pixels(i, SMALL_SIZE, 230, 20));
        const file = path.join(folderOf(dir, i), `img-${String(i).padStart(5, '0')}.png`);
        writes.push(
          sharp(data, { raw: { width: SMALL_SIZE, height: SMALL_SIZE, channels: 1 } })
            .png()
            .toFile(file),
        );
      }
      await Promise.all(writes);
    }
  });
}

/** `count` 512 × 512 16-bit CT slices (stored value = HU + 1024). */
export function ensureCtDicom(count: number): Promise<string> {
  return cached(`predict-ct-${count}`, async (dir) => {
    const scratch = path.join(dir, '.scratch');
    mkdirSync(scratch);
    const uid = `${UID_PREFIX}${'0'.repeat(UID_DIGITS)}`;
    writeFileSync(path.join(scratch, 'pixels.raw'), new Uint8Array(CT_SIZE * CT_SIZE * 2));
    const dump = [
      '(0002,0010) UI =LittleEndianExplicit',
      '(0008,0016) UI =CTImageStorage',
      `(0008,0018) UI ${uid}`,
      '(0008,0060) CS [CT]',
      '(0010,0020) LO [BENCH-001]',
      '(0020,000d) UI 1.2.826.0.1.3680043.8.498.78',
      '(0020,000e) UI 1.2.826.0.1.3680043.8.498.78.1',
      '(0028,0002) US 1',
      '(0028,0004) CS [MONOCHROME2]',
      `(0028,0010) US ${CT_SIZE}`,
      `(0028,0011) US ${CT_SIZE}`,
      '(0028,0030) DS [0.7\\0.7]',
      '(0028,0100) US 16',
      '(0028,0101) US 12',
      '(0028,0102) US 11',
      '(0028,0103) US 0',
      '(0028,1050) DS [40]',
      '(0028,1051) DS [400]',
      '(0028,1052) DS [-1024]',
      '(0028,1053) DS [1]',
      '(7fe0,0010) OW =pixels.raw',
    ];
    writeFileSync(path.join(scratch, 'template.dump'), `${dump.join('\n')}\n`);
    execFileSync('dump2dcm', ['--write-xfer-little', 'template.dump', 'template.dcm'], { cwd: scratch });
    const template = readFileSync(path.join(scratch, 'template.dcm'));
    // Pixel Data is the last element; the UID is in the file meta and in the data set.
    const pixelOffset = template.length - CT_SIZE * CT_SIZE * 2;
    const uidOffsets: number[] = [];
    for (let at = template.indexOf(uid, 0, 'latin1'); at >= 0; at = template.indexOf(uid, at + 1, 'latin1'))
      uidOffsets.push(at);
    for (let i = 0; i < count; i++) {
      const copy = Buffer.from(template);
      const values = Uint16Array.from(pixels(i, CT_SIZE, 1024 + 700, 1024 + 20));
      copy.set(new Uint8Array(values.buffer), pixelOffset);
      for (const at of uidOffsets) copy.write(String(i).padStart(UID_DIGITS, '0'), at + UID_PREFIX.length, 'latin1');
      await fs.writeFile(path.join(folderOf(dir, i), `ct-${String(i).padStart(5, '0')}.dcm`), copy);
    }
    rmSync(scratch, { recursive: true, force: true });
  });
}
