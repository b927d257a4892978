/**
 * What every use of a completed run's model needs (proposals, pair comparison, gallery, review):
 * the run's model folder, refused with a reason when there is none, and an image's first frame
 * decoded by the imaging service as the engine takes it.
 */
import { existsSync } from 'node:fs';
import { LoupeError, type DecodedFrame, type RunRecord, type TaskKind } from '../../../contract/index';
import { runFile } from '../../../base/run-files';
import type { ImagingService } from '../imaging/imaging-service';
import type { Workspace } from '../workspace/workspace';
import { RunStore, type RunRow } from './run-store';

export interface RunModel {
  modelDir: string;
  record: RunRecord;
  row: RunRow;
}

/** The model folder and record of a completed run of `kind`, or a refusal that says why not. */
export async function completedModel(ws: Workspace, runId: string, kind: TaskKind): Promise<RunModel> {
  const store = new RunStore(ws);
  const row = store.require(runId);
  if (row.kind !== kind)
    throw new LoupeError('INVALID_REQUEST', `Run ${runId} trained a ${row.kind} model; this needs a ${kind} model.`);
  const modelDir = runFile(store.folder(runId), 'model');
  const record = await store.record(runId);
  if (!record || !existsSync(modelDir))
    throw new LoupeError('INVALID_REQUEST', `Run ${runId} has no model yet; only a completed run's model can be used.`);
  return { modelDir, record, row };
}

/** An image's first frame as the engine takes it (signed 8-bit values widened: the model input has no int8 path). */
export async function engineFrame(imaging: ImagingService, imageId: number): Promise<DecodedFrame> {
  const pixels = await imaging.frame(imageId, 0);
  if (pixels.samplesPerPixel !== 1 && pixels.samplesPerPixel !== 3 && pixels.samplesPerPixel !== 4) {
    throw new LoupeError(
      'BAD_IMAGE',
      `Image ${imageId} has ${pixels.samplesPerPixel} samples per pixel; models read grey or colour images.`,
    );
  }
  // Decoders return buffers of their own (never shared memory), as the engine's frame reader notes.
  const data = (pixels.data instanceof Int8Array ? Int16Array.from(pixels.data) : pixels.data) as DecodedFrame['data'];
  return {
    data,
    rows: pixels.rows,
    columns: pixels.columns,
    samplesPerPixel: pixels.samplesPerPixel,
    rescaleSlope: pixels.rescaleSlope,
    rescaleIntercept: pixels.rescaleIntercept,
  };
}
