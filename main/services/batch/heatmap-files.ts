/**
 * `loupe predict --explain METHOD`: a heatmap PNG per frame of a classification model's
 * prediction (the predicted class), beside the masks and labels, named as they are. The engine's
 * explain method draws it and main/services/explain writes it, as `loupe explain` does; the trust
 * measures are left out here, as they cost many forward passes per image.
 */
import type { ExplainMethodName } from '../../../contract/index';
import type { DecodedFrame } from '../../../ml/decode/types';
import type { EngineSupervisor } from '../../engine/supervisor';
import { heatmapPng } from '../explain/heatmap-png';
import { engineFrame } from './batch-job';
import { callSignal } from './call-signal';
import { sideName, type FileOutputs, type PredictedFile } from './formats';

export const HEATMAPS_FOLDER = 'heatmaps';

export async function heatmapFiles(
  engine: EngineSupervisor,
  run: { modelDir: string; explain: ExplainMethodName; signal: AbortSignal },
  file: PredictedFile,
  frames: readonly DecodedFrame[],
): Promise<FileOutputs['sideFiles']> {
  const files: FileOutputs['sideFiles'] = [];
  for (const [index, frame] of frames.entries()) {
    const request = { modelDir: run.modelDir, frames: [engineFrame(frame)], method: run.explain, trust: false };
    const reply = await callSignal(run.signal, (signal) => engine.call('explain', request, { signal }));
    const { heatmap, rows, columns } = reply.explanations[0]!;
    files.push({
      relative: sideName(HEATMAPS_FOLDER, file, index, 'png'),
      data: await heatmapPng({ values: heatmap, rows, columns }),
    });
  }
  return files;
}
