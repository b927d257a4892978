/**
 * Imaging: importing files into the workspace, listing them, and handing pixels to the viewer.
 * Pixels cross the wire as the frame's stored values in a typed array (binary on both
 * transports); the viewer applies rescale and window/level itself, so a drag never re-decodes.
 */
import { z } from 'zod';
import { absolutePathSchema } from '../common';
import { defineChannel } from '../define';

export const IMAGE_FORMATS = ['dicom', 'png', 'jpeg', 'tiff', 'bmp', 'webp', 'gif', 'nifti'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

/**
 * Why a file could not be imported or decoded. Each comes with a message a user can act on;
 * the kind lets the UI and tests group them.
 */
export const DECODE_FAILURES = [
  /** The file has no bytes. */
  'empty',
  /** The file could not be read (permissions, vanished, a folder, ...). */
  'unreadable',
  /** Neither DICOM nor a raster format Loupe reads. */
  'not-an-image',
  /** A DICOM object that is not an image (report, structure set, presentation state, DICOMDIR, raw data): skipped, not a failure. */
  'non-image',
  /** DICOM whose structure is broken: truncated, wrong element lengths, bad tags. */
  'malformed',
  /** Pixel data shorter than Rows × Columns × frames says, or missing. */
  'truncated-pixels',
  /** Compressed pixel data the codec could not decode. */
  'corrupt-pixels',
  /** A transfer syntax, photometric interpretation or bit depth Loupe does not decode. */
  'unsupported',
  /** Dimensions that are zero, absurd, or above the decoded-size cap. */
  'too-large',
  /** Sequences nested deeper than Loupe follows. */
  'too-deep',
  /** Decoding ran past the per-file time cap and was stopped. */
  'timeout',
  /** The disk holding the workspace filled up; the import stops at the first such file. */
  'disk-full',
  /** A bug in Loupe; the log has details. */
  'internal',
] as const;
export type DecodeFailure = (typeof DECODE_FAILURES)[number];

/** One VOI window as stored in the file (or chosen by the user). */
/**
 * A VOI LUT (PS3.3 C.11.2.1.1) from the file's VOI LUT Sequence: modality value − firstMapped
 * indexes the table (clamped to its ends); entries have `bits` bits.
 */
export const voiLutSchema = z.object({
  firstMapped: z.number().int(),
  bits: z.number().int().min(1).max(16),
  table: z.array(z.number().int().min(0)).min(1).max(65536),
});
export type VoiLut = z.infer<typeof voiLutSchema>;

/** A window: centre/width, or (with `lut`) one of the file's VOI LUTs, whose centre/width span its input range. */
export const windowSchema = z.object({
  center: z.number(),
  width: z.number().positive(),
  name: z.string().optional(),
  lut: voiLutSchema.optional(),
});
export type WindowSetting = z.infer<typeof windowSchema>;

/**
 * CT windows radiologists use every day (centre/width in HU). Values follow common practice
 * (e.g. Radiopaedia "Windowing (CT)"); users can still drag to any window.
 */
export const CT_WINDOW_PRESETS: readonly (WindowSetting & { name: string; key: string })[] = [
  { name: 'Brain', key: 'b', center: 40, width: 80 },
  { name: 'Subdural', key: 's', center: 75, width: 215 },
  { name: 'Lung', key: 'l', center: -600, width: 1500 },
  { name: 'Mediastinum', key: 'm', center: 50, width: 350 },
  { name: 'Bone', key: 'o', center: 400, width: 1800 },
  { name: 'Abdomen', key: 'a', center: 40, width: 400 },
  { name: 'Liver', key: 'v', center: 30, width: 150 },
];

/** What Loupe knows about an image file once read: geometry, pixel format and identifiers. */
export const imageInfoSchema = z.object({
  format: z.enum(IMAGE_FORMATS),
  rows: z.number().int().positive(),
  columns: z.number().int().positive(),
  frames: z.number().int().positive(),
  samplesPerPixel: z.number().int().positive(),
  bitsAllocated: z.number().int().positive(),
  bitsStored: z.number().int().positive(),
  pixelRepresentation: z.union([z.literal(0), z.literal(1)]),
  /** Of the decoded pixels: colour always arrives as interleaved RGB. */
  photometricInterpretation: z.string(),
  /** As written in the file (YBR_FULL_422, PALETTE COLOR, ...). */
  sourcePhotometricInterpretation: z.string(),
  transferSyntaxUID: z.string().nullable(),
  rescaleSlope: z.number(),
  rescaleIntercept: z.number(),
  /** Unit of rescaled values: "HU" for CT, the file's RescaleType, or "" when unknown. */
  modalityUnit: z.string(),
  /** The file's windows in order; the first is the default. */
  windows: z.array(windowSchema),
  patientId: z.string().nullable(),
  studyInstanceUid: z.string().nullable(),
  seriesInstanceUid: z.string().nullable(),
  sopInstanceUid: z.string().nullable(),
  modality: z.string().nullable(),
  /** Row spacing then column spacing, in mm. */
  pixelSpacing: z.tuple([z.number(), z.number()]).nullable(),
  instanceNumber: z.number().int().nullable(),
  /** Further attributes for the metadata panel, keyed by their DICOM keyword. */
  attributes: z.record(z.string(), z.string()),
});
export type ImageInfo = z.infer<typeof imageInfoSchema>;

/** Stored pixel values of one frame, before rescale, row-major, colour interleaved. */
export type PixelArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Float32Array;

export const pixelArraySchema = z.custom<PixelArray>(
  (value) =>
    value instanceof Uint8Array ||
    value instanceof Int8Array ||
    value instanceof Uint16Array ||
    value instanceof Int16Array ||
    value instanceof Float32Array,
  'Expected a typed array of pixel values.',
);

export const imageRecordSchema = z.object({
  id: z.number().int(),
  sha256: z.string(),
  path: z.string(),
  fileName: z.string(),
  format: z.enum(IMAGE_FORMATS),
  fileSize: z.number().int(),
  rows: z.number().int(),
  columns: z.number().int(),
  frames: z.number().int(),
  modality: z.string().nullable(),
  patientId: z.string().nullable(),
  importedAt: z.string(),
  /** The source file was not found the last time Loupe looked; relink its folder. */
  missing: z.boolean(),
});
export type ImageRecord = z.infer<typeof imageRecordSchema>;

export const importOutcomeSchema = z.object({
  path: z.string(),
  /** 'skipped': a DICOM object that is not an image (a report, DICOMDIR, ...); not a failure. */
  status: z.enum(['imported', 'duplicate', 'skipped', 'failed']),
  imageId: z.number().int().optional(),
  failure: z.enum(DECODE_FAILURES).optional(),
  /** Why it failed or was skipped, or which image it duplicates, for the user. */
  message: z.string().optional(),
});
export type ImportOutcome = z.infer<typeof importOutcomeSchema>;

export const importReportSchema = z.object({
  imported: z.number().int(),
  duplicates: z.number().int(),
  /** DICOM objects that are not images, passed over. */
  skipped: z.number().int(),
  failed: z.number().int(),
  cancelled: z.boolean(),
  /** Why the import stopped before its last file (the disk filled up); the files not tried are listed as failed with the same kind. */
  stopped: z.object({ failure: z.enum(DECODE_FAILURES), message: z.string() }).optional(),
  files: z.array(importOutcomeSchema),
});
export type ImportReport = z.infer<typeof importReportSchema>;

/** What an import that found no file at all says (app and CLI), where "0 imported" alone reads as if files were refused. */
export const NO_FILES_FOUND =
  "No files were found to import. Passed over: hidden files and folders, Loupe's own folders in the workspace, and the whole workspace folder when a folder above it is imported (give a folder inside the workspace by its own path to import it).";

/** True when the import found nothing to try (not a cancel before the walk ended). */
export function foundNoFiles(report: Pick<ImportReport, 'files' | 'cancelled'>): boolean {
  return report.files.length === 0 && !report.cancelled;
}

export const importProgressSchema = z.object({
  phase: z.enum(['scanning', 'importing']),
  done: z.number().int().min(0),
  total: z.number().int().min(0),
  imported: z.number().int().min(0),
  duplicates: z.number().int().min(0),
  skipped: z.number().int().min(0),
  failed: z.number().int().min(0),
  current: z.string().optional(),
});
export type ImportProgress = z.infer<typeof importProgressSchema>;

/** Most paths one import call takes; a folder counts once however many files it holds. */
export const MAX_IMPORT_PATHS = 100_000;

export const imagingImport = defineChannel({
  name: 'imaging.import',
  summary: 'Import files and folders (recursively) into the open workspace, streaming progress; cancellable.',
  request: z.object({ paths: z.array(absolutePathSchema).min(1).max(MAX_IMPORT_PATHS) }).strict(),
  reply: importReportSchema,
  progress: importProgressSchema,
});

/** Largest file the browser mode uploads in one call (a dropped file without a server path). */
export const MAX_UPLOAD_BYTES = 200 * 1024 * 1024;

export const imagingUpload = defineChannel({
  name: 'imaging.upload',
  summary:
    'Keep the bytes of a file dropped in the browser in the workspace (sources/) and return its path for import.',
  request: z
    .object({
      name: z.string().min(1).max(255),
      bytes: z
        .instanceof(Uint8Array)
        .refine(
          (b) => b.byteLength <= MAX_UPLOAD_BYTES,
          'That file is larger than Loupe accepts by upload (200 MiB); import its folder by path instead.',
        ),
    })
    .strict(),
  reply: z.object({ path: z.string() }),
});

/** Largest page of the image list. */
export const MAX_LIST_LIMIT = 10_000;

export const imagingList = defineChannel({
  name: 'imaging.list',
  summary: 'A page of the workspace images in import order.',
  request: z
    .object({
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(MAX_LIST_LIMIT).default(1000),
    })
    .strict(),
  reply: z.object({ total: z.number().int(), items: z.array(imageRecordSchema) }),
});

export const imagingGet = defineChannel({
  name: 'imaging.get',
  summary: 'One image with everything Loupe stored about it (for the metadata panel).',
  request: z.object({ id: z.number().int() }).strict(),
  reply: z.object({ record: imageRecordSchema, info: imageInfoSchema }),
});

export const frameSchema = z.object({
  id: z.number().int(),
  frame: z.number().int().min(0),
  rows: z.number().int(),
  columns: z.number().int(),
  samplesPerPixel: z.number().int(),
  photometricInterpretation: z.string(),
  rescaleSlope: z.number(),
  rescaleIntercept: z.number(),
  modalityUnit: z.string(),
  windows: z.array(windowSchema),
  /** Smallest and largest stored value in this frame (for a default window and the LUT range). */
  minValue: z.number(),
  maxValue: z.number(),
  data: pixelArraySchema,
});
export type FramePixels = z.infer<typeof frameSchema>;

export const imagingFrame = defineChannel({
  name: 'imaging.frame',
  summary: "One frame's stored pixel values (binary) with rescale and window, for the viewer.",
  request: z.object({ id: z.number().int(), frame: z.number().int().min(0).default(0) }).strict(),
  reply: frameSchema,
});

/** Most thumbnails one call returns; the grid asks for what is on screen. */
export const MAX_THUMBNAILS_PER_CALL = 200;

export const imagingThumbnails = defineChannel({
  name: 'imaging.thumbnails',
  summary: 'Cached thumbnails (WebP bytes) of some images; missing ones are made on the way.',
  request: z.object({ ids: z.array(z.number().int()).min(1).max(MAX_THUMBNAILS_PER_CALL) }).strict(),
  reply: z.object({
    thumbnails: z.array(
      z.object({ id: z.number().int(), bytes: z.instanceof(Uint8Array).nullable(), mime: z.string() }),
    ),
  }),
});

export const imagingRelink = defineChannel({
  name: 'imaging.relink',
  summary: 'Find moved or renamed images by content hash under a folder and point their records there.',
  request: z.object({ folder: absolutePathSchema }).strict(),
  reply: z.object({ scanned: z.number().int(), relinked: z.number().int(), stillMissing: z.number().int() }),
  progress: z.object({ done: z.number().int(), total: z.number().int() }),
});

export const folderEntrySchema = z.object({ name: z.string(), path: z.string() });

export const imagingBrowse = defineChannel({
  name: 'imaging.browse',
  summary: 'The sub-folders of a folder (never files), so browser mode can pick a folder on the machine running Loupe.',
  request: z.object({ path: absolutePathSchema }).strict(),
  reply: z.object({ path: z.string(), parent: z.string().nullable(), folders: z.array(folderEntrySchema) }),
});
