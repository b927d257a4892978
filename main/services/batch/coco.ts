/**
 * coco.json for a detection batch: written at the end of a run from predictions.jsonl (COCO is
 * one JSON document, which cannot be appended to file by file). Streamed line by line into a
 * temporary file and renamed, so memory stays flat and a kill leaves either no coco.json or a whole one.
 */
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { LoupeError } from '../../../contract/index';
import { JSONL_FILE, type ModelFacts } from './formats';

export const COCO_FILE = 'coco.json';

interface DetectionLine {
  path: string;
  sha256: string;
  frame: number;
  rows: number;
  columns: number;
  boxes: { classId: number; score: number; box: [number, number, number, number] }[];
}

export async function writeCoco(folder: string, model: ModelFacts): Promise<void> {
  const target = path.join(folder, COCO_FILE);
  const temporary = `${target}.partial`;
  const out = createWriteStream(temporary);
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };
  try {
    // Category ids are class index + 1: COCO reserves 0.
    const categories = model.classes.map((name, i) => ({ id: i + 1, name }));
    await write(
      `{"info":${JSON.stringify({ description: 'Loupe batch prediction', model_id: model.modelId, weights_sha256: model.weightsSha256 })},`,
    );
    await write(`"categories":${JSON.stringify(categories)},"images":[`);
    const annotations: string[] = [];
    let imageId = 0;
    let annotationId = 0;
    const lines = createInterface({
      input: createReadStream(path.join(folder, JSONL_FILE)).on('error', () => {}),
      crlfDelay: Infinity,
    });
    // Annotations go to a second temporary file: images come first in the document.
    const annotationsFile = `${target}.annotations.partial`;
    const annotationOut = createWriteStream(annotationsFile);
    for await (const line of lines) {
      if (line === '') continue;
      const d = JSON.parse(line) as DetectionLine;
      imageId++;
      await write(
        `${imageId > 1 ? ',' : ''}${JSON.stringify({ id: imageId, file_name: d.path, frame: d.frame, sha256: d.sha256, width: d.columns, height: d.rows })}`,
      );
      for (const b of d.boxes) {
        const [x1, y1, x2, y2] = b.box;
        annotationId++;
        const record = {
          id: annotationId,
          image_id: imageId,
          category_id: b.classId + 1,
          bbox: [x1, y1, x2 - x1, y2 - y1],
          area: (x2 - x1) * (y2 - y1),
          score: b.score,
          iscrowd: 0,
        };
        annotations.push(`${annotationId > 1 ? ',' : ''}${JSON.stringify(record)}`);
        if (annotations.length >= 1000 && !annotationOut.write(annotations.splice(0).join('')))
          await once(annotationOut, 'drain');
      }
    }
    annotationOut.end(annotations.join(''));
    await once(annotationOut, 'finish');
    await write('],"annotations":[');
    for await (const chunk of createReadStream(annotationsFile, 'utf8')) await write(chunk as string);
    await write(']}\n');
    out.end();
    await once(out, 'finish');
    await fs.rm(annotationsFile, { force: true });
    await fs.rename(temporary, target);
  } catch (error) {
    out.destroy();
    throw new LoupeError('IO_ERROR', `Cannot write ${target}: ${(error as Error).message}`, { cause: error });
  }
}
