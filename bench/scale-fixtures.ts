/**
 * The scale benchmark's folder: COUNT small distinct images (64 × 64) in sub-folders of
 * FILES_PER_FOLDER, as a study archive is laid out. A mix of what users import: 8-bit grey PNG
 * and RGB JPEG written by sharp, and 16-bit CT-like DICOM (explicit VR little endian, rescale to
 * HU) made from one DCMTK-written file (dump2dcm) whose pixel values and SOP Instance UID are
 * rewritten in place per copy, so 2,000 DICOM files cost one process start, not 2,000.
 *
 * Cached under tests/fixtures/generated/scale-<count>-v<version>/ and written atomically (a
 * temporary folder renamed into place).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, promises as fs, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { appRoot } from '../main/app/paths';

/** Side of every image: small, so the benchmark measures Loupe's per-file cost, not the codecs'. */
export const SCALE_IMAGE_SIZE = 64;
/** Files per sub-folder; the 100-image baseline imports the first folder. */
export const FILES_PER_FOLDER = 100;
/** Bump when the generated content changes, so an old cache is not reused. */
const VERSION = 2;
/** sharp encodes this many files at once (libvips has its own thread pool). */
const WRITE_CONCURRENCY = 16;
/** Fixed-width slot in the template's SOP Instance UID, rewritten per copy. */
const UID_PREFIX = '1.2.826.0.1.3680043.8.498.77.';
const UID_DIGITS = 8;

export interface ScaleFolder {
  root: string;
  /** The first sub-folder (FILES_PER_FOLDER images): the baseline's import. */
  firstFolder: string;
  count: number;
  byFormat: Record<'png' | 'jpeg' | 'dicom', number>;
}

type Kind = keyof ScaleFolder['byFormat'];

/** Two in ten DICOM, two in ten JPEG, the rest PNG: every folder holds all three. */
function kindOf(index: number): Kind {
  const k = index % 10;
  return k < 2 ? 'dicom' : k < 4 ? 'jpeg' : 'png';
}

function fileName(index: number, kind: Kind): string {
  return `img-${String(index).padStart(5, '0')}.${kind === 'dicom' ? 'dcm' : kind === 'jpeg' ? 'jpg' : 'png'}`;
}

/** Bits of the index drawn as blocks along the top edge: 14 bits count past any COUNT used here. */
const INDEX_BITS = 14;
/** Side of one bit's block: a whole JPEG block (8 × 8), so quantisation cannot erase it. */
const BIT_BLOCK = 8;

/**
 * A disk on a ramp, shifted per image, with the index drawn in the top rows as black/white 8 × 8
 * blocks so that every file differs, even after lossy JPEG (otherwise images 1,024 apart would
 * encode to the same bytes and import as duplicates).
 */
function greyPixels(index: number): Uint8Array {
  const n = SCALE_IMAGE_SIZE;
  const data = new Uint8Array(n * n);
  const cx = 16 + (index % 32);
  const cy = 24 + ((index >> 5) % 32);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++)
      data[y * n + x] = (x - cx) ** 2 + (y - cy) ** 2 < 144 ? 230 : (x * 2 + y + index) & 0x7f;
  }
  const perRow = n / BIT_BLOCK;
  for (let bit = 0; bit < INDEX_BITS; bit++) {
    const value = (index >> bit) & 1 ? 255 : 0;
    const x0 = (bit % perRow) * BIT_BLOCK;
    const y0 = Math.floor(bit / perRow) * BIT_BLOCK;
    for (let y = y0; y < y0 + BIT_BLOCK; y++) data.fill(value, y * n + x0, y * n + x0 + BIT_BLOCK);
  }
  return data;
}

function rgbPixels(index: number): Uint8Array {
  const grey = greyPixels(index);
  const data = new Uint8Array(grey.length * 3);
  for (let i = 0; i < grey.length; i++) {
    data[i * 3] = grey[i]!;
    data[i * 3 + 1] = 255 - grey[i]!;
    data[i * 3 + 2] = (i + index) & 0xff;
  }
  return data;
}

/** CT-like stored values (HU + 1024): soft tissue and a bone disk, the index blocks included. */
function ctPixels(index: number): Uint16Array {
  const grey = greyPixels(index);
  const data = new Uint16Array(grey.length);
  for (let i = 0; i < grey.length; i++) data[i] = grey[i]! === 230 ? 1024 + 700 : 1024 + 40 + grey[i]!;
  return data;
}

/** One DICOM file written by DCMTK; copies change only its pixels and the digits of its SOP Instance UID. */
function writeDicomTemplate(scratch: string): { bytes: Buffer; pixelOffset: number; uidOffsets: number[] } {
  const n = SCALE_IMAGE_SIZE;
  writeFileSync(path.join(scratch, 'pixels.raw'), Buffer.from(ctPixels(0).buffer));
  const uid = `${UID_PREFIX}${'0'.repeat(UID_DIGITS)}`;
  const dump = [
    '(0002,0010) UI =LittleEndianExplicit',
    '(0008,0016) UI =CTImageStorage',
    `(0008,0018) UI ${uid}`,
    '(0008,0060) CS [CT]',
    '(0010,0020) LO [SCALE-001]',
    '(0020,000d) UI 1.2.826.0.1.3680043.8.498.77',
    '(0020,000e) UI 1.2.826.0.1.3680043.8.498.77.1',
    '(0028,0002) US 1',
    '(0028,0004) CS [MONOCHROME2]',
    `(0028,0010) US ${n}`,
    `(0028,0011) US ${n}`,
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
  execFileSync('dump2dcm', ['--write-xfer-little', 'template.dump', 'template.dcm'], {
    cwd: scratch,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const bytes = readFileSync(path.join(scratch, 'template.dcm'));
  const pixelBytes = n * n * 2;
  // Pixel Data is the last element: its value is the file's last bytes.
  const pixelOffset = bytes.length - pixelBytes;
  // The UID is in the file meta (Media Storage SOP Instance UID) and in the data set.
  const uidOffsets: number[] = [];
  for (let at = bytes.indexOf(uid, 0, 'latin1'); at >= 0; at = bytes.indexOf(uid, at + 1, 'latin1'))
    uidOffsets.push(at);
  if (uidOffsets.length !== 2)
    throw new Error(`The DICOM template holds its SOP Instance UID ${uidOffsets.length} times, not twice.`);
  return { bytes, pixelOffset, uidOffsets };
}

async function writeOne(index: number, folder: string, template: ReturnType<typeof writeDicomTemplate>): Promise<void> {
  const kind = kindOf(index);
  const file = path.join(folder, fileName(index, kind));
  const n = SCALE_IMAGE_SIZE;
  if (kind === 'dicom') {
    const copy = Buffer.from(template.bytes);
    const pixels = ctPixels(index);
    copy.set(new Uint8Array(pixels.buffer), template.pixelOffset);
    for (const at of template.uidOffsets)
      copy.write(String(index).padStart(UID_DIGITS, '0'), at + UID_PREFIX.length, 'latin1');
    await fs.writeFile(file, copy);
  } else if (kind === 'jpeg') {
    await sharp(rgbPixels(index), { raw: { width: n, height: n, channels: 3 } })
      .jpeg({ quality: 90 })
      .toFile(file);
  } else {
    await sharp(greyPixels(index), { raw: { width: n, height: n, channels: 1 } })
      .png()
      .toFile(file);
  }
}

/** Makes the folder once per count and version; later calls return the cached one. */
export async function ensureScaleFolder(count: number): Promise<ScaleFolder> {
  // From the app root, not this file: the benchmark runs from a bundle in node_modules/.cache.
  const root = path.join(appRoot(), 'tests', 'fixtures', 'generated', `scale-${count}-v${VERSION}`);
  const manifest = path.join(root, 'manifest.json');
  if (!existsSync(manifest)) {
    const temp = `${root}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      const scratch = path.join(temp, '.scratch');
      mkdirSync(scratch, { recursive: true });
      const template = writeDicomTemplate(scratch);
      const byFormat = { png: 0, jpeg: 0, dicom: 0 };
      for (let start = 0; start < count; start += WRITE_CONCURRENCY) {
        const batch: Promise<void>[] = [];
        for (let index = start; index < Math.min(count, start + WRITE_CONCURRENCY); index++) {
          const folder = path.join(
            temp,
            'images',
            `part-${String(Math.floor(index / FILES_PER_FOLDER)).padStart(3, '0')}`,
          );
          if (index % FILES_PER_FOLDER === 0) mkdirSync(folder, { recursive: true });
          byFormat[kindOf(index)] += 1;
          batch.push(writeOne(index, folder, template));
        }
        await Promise.all(batch);
      }
      rmSync(scratch, { recursive: true, force: true });
      const result: ScaleFolder = {
        root: path.join(root, 'images'),
        firstFolder: path.join(root, 'images', 'part-000'),
        count,
        byFormat,
      };
      writeFileSync(path.join(temp, 'manifest.json'), JSON.stringify(result, null, 1));
      renameSync(temp, root);
    } catch (error) {
      rmSync(temp, { recursive: true, force: true });
      if (!existsSync(manifest)) throw error;
    }
  }
  return JSON.parse(readFileSync(manifest, 'utf8')) as ScaleFolder;
}
