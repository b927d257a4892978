/**
 * The fuzz's valid seed files. Images: every DICOM fixture (all transfer syntaxes the fixture
 * scripts make with DCMTK and GDCM: native, deflated, RLE, JPEG baseline/extended/lossless,
 * JPEG-LS, JPEG 2000) and the PIL raster fixtures, plus a few raster encodings made here with
 * sharp (progressive JPEG, interlaced and palette PNG, LZW/deflate/tiled TIFF) so each decoder
 * path has a seed, and NIfTI-1/NIfTI-2 volumes (.nii and .nii.gz, both byte orders, integer,
 * float and RGB voxels) written by nibabel (tests/reference/nibabel_volumes.py). Labels: COCO, YOLO and CSV files naming the images in LABEL_IMAGES.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { ensureImagingFixtures, GENERATED_ROOT } from '../fixtures/imaging/generate';
import { runReference } from '../helpers/python-reference';
import type { LabelBundle } from './mutate-labels';

export type ImageFormat = 'dicom' | 'png' | 'jpeg' | 'tiff' | 'nifti';
export type LabelFormat = LabelBundle['format'];
export type FuzzFormat = ImageFormat | LabelFormat;

export interface ImageSeed {
  format: ImageFormat;
  name: string;
  bytes: Uint8Array;
  /** The file name's ending the import sees: 'dcm', 'png', ..., 'nii' or 'nii.gz'. */
  extension: string;
}

export interface Corpus {
  images: Map<ImageFormat, ImageSeed[]>;
  labels: Map<LabelFormat, { name: string; bundle: LabelBundle }[]>;
}

/** The images the label seeds name; the fuzz adds them to its workspace first. */
export const LABEL_IMAGES = ['img-a.png', 'img-b.png', 'img-c.png'] as const;
export const LABEL_IMAGE_WIDTH = 32;
export const LABEL_IMAGE_HEIGHT = 24;

const SHARP_SIDE = 48;
type SharpFormat = Exclude<ImageFormat, 'nifti'>;
const EXTENSIONS: Record<SharpFormat, string> = { dicom: 'dcm', png: 'png', jpeg: 'jpg', tiff: 'tif' };

async function sharpSeeds(): Promise<ImageSeed[]> {
  const grey = Buffer.alloc(SHARP_SIDE * SHARP_SIDE);
  const rgb = Buffer.alloc(SHARP_SIDE * SHARP_SIDE * 3);
  for (let i = 0; i < grey.length; i++) grey[i] = (i * 7) & 0xff;
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 13) & 0xff;
  const raw = (data: Buffer, channels: 1 | 3) =>
    sharp(data, { raw: { width: SHARP_SIDE, height: SHARP_SIDE, channels } });
  const made: [SharpFormat, string, Promise<Buffer>][] = [
    ['jpeg', 'grey.progressive.jpg', raw(grey, 1).jpeg({ progressive: true }).toBuffer()],
    ['jpeg', 'rgb.restart.jpg', raw(rgb, 3).jpeg({ quality: 70, optimiseCoding: false }).toBuffer()],
    ['png', 'rgb.interlaced.png', raw(rgb, 3).png({ progressive: true }).toBuffer()],
    ['png', 'rgb.palette.png', raw(rgb, 3).png({ palette: true, colours: 16 }).toBuffer()],
    ['tiff', 'grey.lzw.tif', raw(grey, 1).tiff({ compression: 'lzw', predictor: 'horizontal' }).toBuffer()],
    ['tiff', 'rgb.deflate.tif', raw(rgb, 3).tiff({ compression: 'deflate' }).toBuffer()],
    ['tiff', 'rgb.tiled.tif', raw(rgb, 3).tiff({ tile: true, tileWidth: 16, tileHeight: 16 }).toBuffer()],
    ['tiff', 'rgb.jpeg.tif', raw(rgb, 3).tiff({ compression: 'jpeg' }).toBuffer()],
  ];
  return Promise.all(
    made.map(async ([format, name, bytes]) => ({
      format,
      name,
      bytes: new Uint8Array(await bytes),
      extension: EXTENSIONS[format],
    })),
  );
}

/** nibabel_volumes.py cases: small volumes, so a mutant's import stays quick. */
const NIFTI_SEEDS = [
  {
    name: 'ct-int16',
    shape: [9, 7, 4],
    dtype: 'int16',
    version: 1,
    gzip: true,
    endian: '<',
    affine_codes: 'LPS',
    slope: 2,
    inter: -1024,
  },
  {
    name: 'mr-uint16-big-endian',
    shape: [8, 6, 3],
    dtype: 'uint16',
    version: 1,
    gzip: false,
    endian: '>',
    affine_codes: 'RAS',
  },
  {
    name: 'pet-float32-nifti2',
    shape: [6, 6, 5],
    dtype: 'float32',
    version: 2,
    gzip: true,
    endian: '<',
    affine_codes: 'LAS',
  },
  {
    name: 'labels-uint8',
    shape: [10, 8, 3],
    dtype: 'uint8',
    version: 1,
    gzip: false,
    endian: '<',
    affine_codes: 'RAS',
    labels: [0, 1, 2],
  },
  { name: 'rgb24', shape: [5, 4, 2], dtype: 'RGB24', version: 1, gzip: false, endian: '<', affine_codes: 'RAS' },
  {
    name: 'int32-nifti2-big-endian',
    shape: [7, 5, 2],
    dtype: 'int32',
    version: 2,
    gzip: false,
    endian: '>',
    affine_codes: 'RPI',
    max_value: 70000,
  },
].map((c, k) => ({ ...c, zooms: [0.9, 0.7, 2.5], form: k % 2 ? 'qform' : 'sform', seed: k + 1 }));

function niftiSeeds(): ImageSeed[] {
  const dir = path.join(GENERATED_ROOT, 'fuzz-nifti');
  mkdirSync(dir, { recursive: true });
  const written = runReference<Record<string, { file: string }>>('nibabel_volumes.py', { dir, cases: NIFTI_SEEDS });
  return Object.entries(written).map(([name, { file }]) => ({
    format: 'nifti',
    name,
    bytes: new Uint8Array(readFileSync(file)),
    extension: file.endsWith('.gz') ? 'nii.gz' : 'nii',
  }));
}

const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
const [A, B, C] = LABEL_IMAGES;
const W = LABEL_IMAGE_WIDTH;
const H = LABEL_IMAGE_HEIGHT;

function labelSeeds(): Corpus['labels'] {
  const images = LABEL_IMAGES.map((file_name, k) => ({ id: k + 1, file_name, width: W, height: H }));
  const categories = [
    { id: 1, name: 'crack' },
    { id: 2, name: 'dent' },
  ];
  const cocoDetection = {
    images,
    categories,
    annotations: [
      { id: 1, image_id: 1, category_id: 1, bbox: [2, 3, 10, 8], iscrowd: 0 },
      { id: 2, image_id: 2, category_id: 2, bbox: [0, 0, 32, 24] },
      { id: 3, image_id: 3, category_id: 1, bbox: [5.5, 6.25, 4, 4] },
    ],
  };
  const cocoSegmentation = {
    images,
    categories,
    annotations: [
      { id: 1, image_id: 1, category_id: 1, segmentation: [[2, 2, 20, 2, 20, 15, 2, 15]] },
      {
        id: 2,
        image_id: 2,
        category_id: 2,
        segmentation: { counts: [40, 10, 300, 20, 398], size: [H, W] },
        iscrowd: 1,
      },
      {
        id: 3,
        image_id: 3,
        category_id: 2,
        segmentation: [
          [1, 1, 30, 1, 15, 22],
          [3, 3, 5, 3, 5, 5],
        ],
      },
    ],
  };
  const bundle = (format: LabelFormat, entry: string, files: Record<string, string>): LabelBundle => ({
    format,
    entry,
    files: new Map(Object.entries(files).map(([k, v]) => [k, utf8(v)])),
  });
  return new Map<LabelFormat, { name: string; bundle: LabelBundle }[]>([
    [
      'coco',
      [
        {
          name: 'coco-detection',
          bundle: bundle('coco', 'annotations.json', { 'annotations.json': JSON.stringify(cocoDetection) }),
        },
        {
          name: 'coco-segmentation',
          bundle: bundle('coco', 'annotations.json', { 'annotations.json': JSON.stringify(cocoSegmentation) }),
        },
      ],
    ],
    [
      'yolo',
      [
        {
          name: 'yolo-detection',
          bundle: bundle('yolo', '.', {
            'classes.txt': 'crack\ndent\n',
            [`labels/${A.replace('.png', '.txt')}`]: '0 0.5 0.5 0.25 0.25\n1 0.1 0.1 0.1 0.1\n',
            [`labels/${B.replace('.png', '.txt')}`]: '1 0.75 0.5 0.5 0.5\n',
          }),
        },
        {
          name: 'yolo-segmentation',
          bundle: bundle('yolo', '.', {
            'classes.txt': 'crack\ndent\n',
            [`labels/${A.replace('.png', '.txt')}`]: '0 0.1 0.1 0.9 0.1 0.9 0.9 0.1 0.9\n',
            [`labels/${C.replace('.png', '.txt')}`]: '1 0.2 0.2 0.8 0.3 0.5 0.9\n',
          }),
        },
      ],
    ],
    [
      'csv',
      [
        {
          name: 'csv-classes',
          bundle: bundle('csv', 'classes.csv', {
            'classes.csv': `image,class\n${A},normal\n${B},defect\n${B},scratch\n${C},normal\n`,
          }),
        },
        {
          name: 'csv-pairs',
          bundle: bundle('csv', 'pairs.csv', {
            'pairs.csv': `image_a,image_b,same\n${A},${B},1\n${B},${C},no\n${A},${C},same\n`,
          }),
        },
      ],
    ],
  ]);
}

export async function loadCorpus(): Promise<Corpus> {
  const fixtures = await ensureImagingFixtures();
  const images = new Map<ImageFormat, ImageSeed[]>([
    ['dicom', []],
    ['png', []],
    ['jpeg', []],
    ['tiff', []],
    ['nifti', niftiSeeds()],
  ]);
  for (const f of fixtures.dicom)
    images
      .get('dicom')!
      .push({ format: 'dicom', name: f.name, bytes: new Uint8Array(readFileSync(f.file)), extension: 'dcm' });
  for (const f of fixtures.raster) {
    if (f.format === 'webp') continue;
    images.get(f.format)!.push({
      format: f.format,
      name: f.name,
      bytes: new Uint8Array(readFileSync(f.file)),
      extension: EXTENSIONS[f.format],
    });
  }
  for (const seed of await sharpSeeds()) images.get(seed.format)!.push(seed);
  return { images, labels: labelSeeds() };
}
