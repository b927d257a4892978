/**
 * `loupe predict` with segmentation and detection models: mask PNGs equal to the model's masks
 * (run in-process on the same decoded frames), areas in mm² from a DICOM's PixelSpacing, every
 * frame of a multi-frame DICOM, and detection boxes in JSONL, COCO and YOLO that agree box for box.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMaskPng } from '../../main/services/labels/mask-files';
import { decodeFile } from '../../ml/decode/index';
import { Predictor } from '../../ml/train/predictor';
import { detectionDataset, detectionSet } from '../fixtures/detection-shapes';
import { makeSyntheticScans, segmentationDataset } from '../fixtures/synthetic-scans';
import { readCsv } from '../helpers/batch-predict';
import { DETECT_CONFIG, SEGMENT_CONFIG, SIDE } from '../helpers/batch-task-models';
import { runCli } from '../helpers/cli';
import { trainForQuality, type TrainedModel } from '../helpers/engine-training';
import { requireBuild } from '../helpers/services';
import { writePng } from '../helpers/workspace-models';

/** PixelSpacing of the DICOM written below: row spacing then column spacing, mm. */
const SPACING = [0.5, 0.6] as const;

let root: string;
const trained: TrainedModel[] = [];

beforeAll(() => {
  requireBuild();
  root = mkdtempSync(path.join(os.tmpdir(), 'loupe-batch-tasks-'));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  for (const t of trained) rmSync(t.root, { recursive: true, force: true });
});

/** A two-frame 16-bit DICOM with PixelSpacing, written by DCMTK's dump2dcm. */
function twoFrameDicom(file: string, frames: Uint16Array[]): void {
  const scratch = mkdtempSync(path.join(root, 'dicom-'));
  const raw = path.join(scratch, 'pixels.raw');
  const pixels = new Uint16Array(frames.length * SIDE * SIDE);
  frames.forEach((f, i) => pixels.set(f, i * SIDE * SIDE));
  writeFileSync(raw, new Uint8Array(pixels.buffer));
  const dump = [
    '(0002,0010) UI =LittleEndianExplicit',
    '(0008,0016) UI =SecondaryCaptureImageStorage',
    '(0008,0018) UI 1.2.826.0.1.3680043.8.498.77',
    '(0008,0060) CS [OT]',
    '(0028,0002) US 1',
    '(0028,0004) CS [MONOCHROME2]',
    `(0028,0008) IS [${frames.length}]`,
    `(0028,0010) US ${SIDE}`,
    `(0028,0011) US ${SIDE}`,
    `(0028,0030) DS [${SPACING[0]}\\${SPACING[1]}]`,
    '(0028,0100) US 16',
    '(0028,0101) US 16',
    '(0028,0102) US 15',
    '(0028,0103) US 0',
    `(7fe0,0010) OW =${raw}`,
  ];
  writeFileSync(path.join(scratch, 'dump.txt'), `${dump.join('\n')}\n`);
  execFileSync('dump2dcm', ['--write-xfer-little', path.join(scratch, 'dump.txt'), file]);
}

describe('loupe predict, segmentation and detection', () => {
  it('writes mask PNGs equal to the model’s masks, with areas in mm² from PixelSpacing, for every frame', async () => {
    const scans = makeSyntheticScans({ count: 24, size: SIDE, seed: 4 });
    const model = await trainForQuality('tiny U-Net for batch prediction', segmentationDataset(scans), SEGMENT_CONFIG);
    trained.push(model);
    const input = path.join(root, 'seg-in');
    mkdirSync(input);
    const png = path.join(input, 'scan.png');
    writePng(png, { width: SIDE, height: SIDE, bitDepth: 16, pixels: scans[0]!.frame.data });
    const dicom = path.join(input, 'two-frames.dcm');
    twoFrameDicom(dicom, [scans[1]!.frame.data, scans[2]!.frame.data]);

    const out = path.join(root, 'seg-out');
    const { code, stderr } = await runCli(['predict', '--model', model.modelDir, '--in', input, '--out', out], {
      timeoutMs: 300_000,
    });
    expect(code, stderr).toBe(0);
    const { header, rows } = readCsv(out);
    expect(header).toEqual([
      'path',
      'relative',
      'sha256',
      'frame',
      'mask',
      'pixels_background',
      'pixels_lesion',
      'mm2_background',
      'mm2_lesion',
      'model_id',
      'weights_sha256',
    ]);
    expect(rows.map((r) => [r[0], r[3]])).toEqual(
      [
        [png, '0'],
        [dicom, '0'],
        [dicom, '1'],
      ].sort(),
    );

    const predictor = await Predictor.load(model.modelDir);
    try {
      for (const row of rows) {
        const { frame } = await decodeFile(row[0]!, { frame: Number(row[3]) });
        const [expected] = await predictor.predict([
          { ...frame, samplesPerPixel: 1, data: frame.data as Uint16Array<ArrayBuffer> },
        ]);
        if (!expected || !('mask' in expected)) throw new Error('expected a mask');
        const mask = await decodeMaskPng(readFileSync(path.join(out, row[4]!)));
        expect(Buffer.from(mask.data).equals(Buffer.from(expected.mask))).toBe(true);
        expect([Number(row[5]), Number(row[6])]).toEqual(expected.classPixels);
        if (row[0] === dicom) expect(Number(row[8])).toBeCloseTo(expected.classPixels[1]! * SPACING[0] * SPACING[1], 6);
        else expect(row[8]).toBe('');
      }
    } finally {
      predictor.dispose();
    }
  }, 600_000);

  it('writes the same boxes to JSONL, COCO and YOLO, as the model finds them at --threshold', async () => {
    const samples = detectionSet({ count: 24, seed: 9, size: 32, objectSize: [6, 12] });
    const model = await trainForQuality(
      'tiny detector for batch prediction',
      detectionDataset({ train: samples.slice(0, 16), val: samples.slice(16, 20), test: samples.slice(20) }),
      DETECT_CONFIG,
    );
    trained.push(model);
    const input = path.join(root, 'det-in');
    mkdirSync(input);
    samples.slice(0, 6).forEach((s, i) =>
      writePng(path.join(input, `shape-${i}.png`), {
        width: s.width,
        height: s.height,
        bitDepth: s.bitDepth,
        pixels: s.pixels,
      }),
    );
    const out = path.join(root, 'det-out');
    // A barely trained detector: a low threshold so that there are boxes to compare.
    const threshold = 0.05;
    const { code, stderr } = await runCli(
      ['predict', '--model', model.modelDir, '--in', input, '--out', out, '--threshold', String(threshold)],
      { timeoutMs: 300_000 },
    );
    expect(code, stderr).toBe(0);

    type Line = { path: string; boxes: { classId: number; score: number; box: number[] }[] };
    const lines = readFileSync(path.join(out, 'predictions.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Line);
    expect(lines).toHaveLength(6);
    const coco = JSON.parse(readFileSync(path.join(out, 'coco.json'), 'utf8')) as {
      images: { id: number; file_name: string }[];
      annotations: { image_id: number; category_id: number; bbox: number[]; score: number }[];
    };
    expect(coco.images.map((i) => i.file_name)).toEqual(lines.map((l) => l.path));
    const yoloFiles = readdirSync(path.join(out, 'labels')).sort();
    expect(yoloFiles).toHaveLength(6);

    const predictor = await Predictor.load(model.modelDir);
    let boxes = 0;
    try {
      for (const [i, line] of lines.entries()) {
        const { frame } = await decodeFile(line.path);
        const [expected] = await predictor.predict(
          [{ ...frame, samplesPerPixel: 1, data: frame.data as Uint16Array<ArrayBuffer> }],
          undefined,
          { scoreThreshold: threshold },
        );
        if (!expected || !('detections' in expected)) throw new Error('expected boxes');
        // The batch ran the model on ONNX Runtime, this Predictor on the engine: the same boxes within float tolerance.
        expect(line.boxes.map((b) => b.classId)).toEqual(expected.detections.map((d) => d.classId));
        line.boxes.forEach((b, j) => {
          const d = expected.detections[j]!;
          expect(Math.abs(b.score - d.score)).toBeLessThan(1e-5);
          b.box.forEach((v, k) => expect(Math.abs(v - d.box[k]!)).toBeLessThan(1e-3));
        });
        const annotations = coco.annotations.filter((a) => a.image_id === coco.images[i]!.id);
        expect(
          annotations.map((a) => [
            a.category_id - 1,
            a.score,
            a.bbox[0],
            a.bbox[1],
            a.bbox[0]! + a.bbox[2]!,
            a.bbox[1]! + a.bbox[3]!,
          ]),
        ).toEqual(line.boxes.map((b) => [b.classId, b.score, ...b.box]));
        const yolo = readFileSync(
          path.join(out, 'labels', yoloFiles.find((f) => f.startsWith(path.basename(line.path)))!),
          'utf8',
        );
        const yoloBoxes = yolo
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split(' ').map(Number));
        // COCO and YOLO say what the JSONL says.
        expect(yoloBoxes).toHaveLength(line.boxes.length);
        yoloBoxes.forEach(([classId, cx, cy, w, h, score], k) => {
          const d = line.boxes[k]!;
          const [x1, y1, x2, y2] = d.box as [number, number, number, number];
          expect(classId).toBe(d.classId);
          for (const [got, want] of [
            [cx, (x1 + x2) / 2 / frame.columns],
            [cy, (y1 + y2) / 2 / frame.rows],
            [w, (x2 - x1) / frame.columns],
            [h, (y2 - y1) / frame.rows],
            [score, d.score],
          ]) {
            expect(got).toBeCloseTo(want!, 5);
          }
        });
        boxes += expected.detections.length;
      }
    } finally {
      predictor.dispose();
    }
    expect(boxes).toBeGreaterThan(0);
  }, 600_000);
});
