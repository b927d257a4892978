/**
 * Calibration of a classification run on its task's validation split (review.calibration): the
 * reliability diagram and ECE of the model's own probabilities, and with a temperature fitted
 * there (stored in the model card, so Review shows probabilities that mean what they say) or
 * already stored, the same after scaling. The validation split is the one the run did not train
 * on and the test split stays untouched for reporting.
 */
import path from 'node:path';
import { LoupeError, modelCardSchema, type ParsedRequestOf, type ReplyOf } from '../../../contract/index';
import { writeFileAtomic } from '../../../base/atomic-write';
import { applyTemperature, calibration, fitTemperature } from '../../../ml/metrics/calibration';
import { MODEL_CARD, readModelCard } from '../../../base/model-folder-files';
import type { Workspace } from '../workspace/workspace';
import { classTags } from './queue';
import { taskImageFilter } from '../labels/task-images';
import type { ReviewService } from './review-service';

export async function measureCalibration(
  review: ReviewService,
  ws: Workspace,
  request: ParsedRequestOf<'review.calibration'>,
  signal: AbortSignal,
  progress: (done: number, total: number) => void,
): Promise<ReplyOf<'review.calibration'>> {
  const model = await review.model(ws, request.runId);
  const ids = (
    ws.db
      .prepare(
        "SELECT image_id FROM split_assignments WHERE task_id = ? AND split = 'val' AND image_id IN (SELECT id FROM images WHERE missing = 0) ORDER BY image_id",
      )
      .pluck()
      .all(model.task.id) as number[]
  ).filter(taskImageFilter(ws.db, model.task.id));
  // Truth in the model's class order: images with one label of a class the model knows.
  const modelIndex = new Map(model.record.classes.map((name, i) => [name.toLowerCase(), i]));
  const indexOfClass = new Map(model.task.classes.map((c) => [c.id, modelIndex.get(c.name.toLowerCase())]));
  const tags = classTags(ws.db, model.task.id, ids);
  const labelled = ids.flatMap((id) => {
    const t = tags.get(id) ?? [];
    const index = t.length === 1 ? indexOfClass.get(t[0]!) : undefined;
    return index === undefined ? [] : [{ id, truth: index }];
  });
  if (labelled.length === 0) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `The task “${model.task.name}” has no validation images with one label of a class the model knows; assign splits (Label section) to measure calibration.`,
    );
  }
  progress(0, labelled.length);
  const raw = await review.predict(
    ws,
    model,
    labelled.map((l) => l.id),
    signal,
    (done) => progress(done, labelled.length),
  );
  const truth = labelled.map((l) => l.truth);
  const measure = (probabilities: number[][]) => {
    const { ece, bins } = calibration(
      probabilities.map((p) => Math.max(...p)),
      probabilities.map((p, i) => p.indexOf(Math.max(...p)) === truth[i]),
      request.bins,
    );
    return { ece, bins };
  };
  const probabilities = raw.map((r) => r.probabilities);
  const uncalibrated = measure(probabilities);
  let temperature = model.temperature;
  if (request.fit) {
    temperature = fitTemperature(probabilities, truth);
    const after = measure(probabilities.map((p) => applyTemperature(p, temperature!)));
    const card = await readModelCard(model.modelDir);
    const updated = modelCardSchema.parse({
      ...card,
      calibration: {
        temperature,
        split: 'val',
        images: labelled.length,
        eceBefore: uncalibrated.ece,
        eceAfter: after.ece,
        bins: request.bins,
        fittedAt: new Date().toISOString(),
      },
    });
    await writeFileAtomic(path.join(model.modelDir, MODEL_CARD), JSON.stringify(updated, null, 2));
  }
  const calibrated = temperature === null ? null : measure(probabilities.map((p) => applyTemperature(p, temperature)));
  return { runId: request.runId, images: labelled.length, uncalibrated, calibrated, temperature };
}
