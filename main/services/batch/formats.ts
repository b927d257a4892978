/**
 * What a batch prediction writes per file, by output format: rows of CSV and JSONL results,
 * mask PNGs and YOLO label files. Every row names the file (path and SHA-256), the frame, and the
 * model (id and weights hash), so a row handed on still says where it came from.
 */
import type { GalleryMatch, ImageInfo, SamplePrediction, TaskKind } from '../../../contract/index';
import { toCsv } from '../csv';
import { encodeMaskPng } from '../labels/mask-files';
import type { ModelIdentity } from './output-folder';

export const OUTPUT_FORMATS = ['csv', 'jsonl', 'coco', 'yolo', 'masks'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** What each task can write, and what it writes when --format is not given. */
export const TASK_FORMATS: Record<TaskKind, { allowed: readonly OutputFormat[]; defaults: readonly OutputFormat[] }> = {
  classification: { allowed: ['csv', 'jsonl'], defaults: ['csv', 'jsonl'] },
  segmentation: { allowed: ['masks', 'csv', 'jsonl'], defaults: ['masks'] },
  detection: { allowed: ['coco', 'yolo', 'csv', 'jsonl'], defaults: ['coco', 'yolo', 'jsonl'] },
  verification: { allowed: ['jsonl', 'csv'], defaults: ['jsonl'] },
};

export const CSV_FILE = 'predictions.csv';
export const JSONL_FILE = 'predictions.jsonl';
export const MASKS_FOLDER = 'masks';
export const YOLO_FOLDER = 'labels';

/** What one frame came out as: the engine's prediction, or (verification with a gallery) its nearest references. */
export type FramePrediction = SamplePrediction | { matches: GalleryMatch[]; threshold: number };

export interface ModelFacts extends ModelIdentity {
  task: TaskKind;
  classes: string[];
}

/** The file whose frames were predicted. */
export interface PredictedFile {
  path: string;
  relative: string;
  sha256: string;
  info: ImageInfo;
}

export interface FileOutputs {
  rows: Map<string, string>;
  sideFiles: { relative: string; data: Uint8Array | string }[];
}

/** The CSV header line of each results file for this model. */
export function csvHeader(model: ModelFacts): string {
  const base = ['path', 'relative', 'sha256', 'frame'];
  const tail = ['model_id', 'weights_sha256'];
  switch (model.task) {
    case 'classification':
      return toCsv([[...base, 'predicted', ...model.classes.map((c) => `p_${c}`), ...tail]]);
    case 'segmentation':
      return toCsv([
        [...base, 'mask', ...model.classes.map((c) => `pixels_${c}`), ...model.classes.map((c) => `mm2_${c}`), ...tail],
      ]);
    case 'detection':
      return toCsv([[...base, 'class', 'score', 'x1', 'y1', 'x2', 'y2', ...tail]]);
    case 'verification':
      return toCsv([
        [...base, 'rank', 'reference_id', 'reference_label', 'score', 'distance', 'same', 'threshold', ...tail],
      ]);
  }
}

/** Side files are named after the input file (its place under the input) plus its hash, so two inputs never collide. */
export function sideName(folder: string, file: PredictedFile, frame: number, extension: string): string {
  return `${folder}/${file.relative}.${file.sha256.slice(0, 8)}.f${frame}.${extension}`;
}

/** Everything `formats` asks for one file's predictions (one per frame). */
export async function outputsFor(
  model: ModelFacts,
  formats: ReadonlySet<OutputFormat>,
  file: PredictedFile,
  predictions: readonly FramePrediction[],
): Promise<FileOutputs> {
  const csv: (string | number)[][] = [];
  const jsonl: string[] = [];
  const sideFiles: FileOutputs['sideFiles'] = [];
  const ids = { model_id: model.modelId, weights_sha256: model.weightsSha256 };
  const where = (frame: number) => [file.path, file.relative, file.sha256, frame];
  for (const [frame, p] of predictions.entries()) {
    const common = { path: file.path, relative: file.relative, sha256: file.sha256, frame };
    if ('probabilities' in p) {
      const predicted = model.classes[p.predicted] ?? String(p.predicted);
      csv.push([...where(frame), predicted, ...p.probabilities, ids.model_id, ids.weights_sha256]);
      jsonl.push(
        JSON.stringify({
          ...common,
          predicted,
          probabilities: Object.fromEntries(model.classes.map((c, i) => [c, p.probabilities[i]])),
          ...ids,
        }),
      );
    } else if ('mask' in p) {
      // Only a DICOM header's PixelSpacing and a NIfTI header's pixdim are physical sizes; a raster file's
      // resolution (often a default 72 dpi) is not.
      const spacing = file.info.format === 'dicom' || file.info.format === 'nifti' ? file.info.pixelSpacing : null;
      const mm2 = p.classPixels.map((n) => (spacing ? n * spacing[0] * spacing[1] : ''));
      const mask = formats.has('masks') ? sideName(MASKS_FOLDER, file, frame, 'png') : '';
      if (mask)
        sideFiles.push({
          relative: mask,
          data: await encodeMaskPng({ data: p.mask as Uint8Array<ArrayBuffer>, width: p.columns, height: p.rows }),
        });
      csv.push([...where(frame), mask, ...p.classPixels, ...mm2, ids.model_id, ids.weights_sha256]);
      const areas = Object.fromEntries(
        model.classes.map((c, i) => [c, { pixels: p.classPixels[i], mm2: spacing ? mm2[i] : null }]),
      );
      jsonl.push(JSON.stringify({ ...common, rows: p.rows, columns: p.columns, mask: mask || null, areas, ...ids }));
    } else if ('detections' in p) {
      const boxes = p.detections.map((d) => ({
        class: model.classes[d.classId] ?? String(d.classId),
        classId: d.classId,
        score: d.score,
        box: d.box,
      }));
      for (const b of boxes) csv.push([...where(frame), b.class, b.score, ...b.box, ids.model_id, ids.weights_sha256]);
      jsonl.push(JSON.stringify({ ...common, rows: file.info.rows, columns: file.info.columns, boxes, ...ids }));
      if (formats.has('yolo'))
        sideFiles.push({
          relative: sideName(YOLO_FOLDER, file, frame, 'txt'),
          data: yoloLines(p.detections, file.info.columns, file.info.rows),
        });
    } else if ('matches' in p) {
      p.matches.forEach((m, rank) =>
        csv.push([
          ...where(frame),
          rank + 1,
          m.id,
          m.label,
          m.score,
          m.distance,
          m.same ? 'same' : 'different',
          p.threshold,
          ids.model_id,
          ids.weights_sha256,
        ]),
      );
      jsonl.push(
        JSON.stringify({
          ...common,
          threshold: p.threshold,
          matches: p.matches.map((m, rank) => ({ rank: rank + 1, ...m })),
          ...ids,
        }),
      );
    } else {
      jsonl.push(JSON.stringify({ ...common, embedding: Array.from(p.embedding), ...ids }));
    }
  }
  const rows = new Map<string, string>();
  if (formats.has('csv') || (model.task === 'segmentation' && formats.has('masks')))
    rows.set(CSV_FILE, csv.length > 0 ? toCsv(csv) : '');
  // Detection keeps its JSONL whenever COCO is asked for: coco.json is written from it at the end.
  if (formats.has('jsonl') || (model.task === 'detection' && formats.has('coco')))
    rows.set(JSONL_FILE, jsonl.map((l) => `${l}\n`).join(''));
  return { rows, sideFiles };
}

/** YOLO: one line per box, "class cx cy w h score", centre and size as fractions of the frame. */
function yoloLines(
  detections: readonly { box: readonly number[]; classId: number; score: number }[],
  width: number,
  height: number,
): string {
  const f = (v: number) => v.toFixed(6);
  return detections
    .map(
      ({ box: [x1, y1, x2, y2], classId, score }) =>
        `${classId} ${f((x1! + x2!) / 2 / width)} ${f((y1! + y2!) / 2 / height)} ${f((x2! - x1!) / width)} ${f((y2! - y1!) / height)} ${f(score)}\n`,
    )
    .join('');
}
