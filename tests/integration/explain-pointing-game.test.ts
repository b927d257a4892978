/**
 * The pointing game (Zhang et al., 2016) on scans where the cause is known: a small classifier is
 * trained through the engine's train method on synthetic 16-bit scans whose class is decided by a
 * lesion alone, and the engine's explain method must point at it. For Grad-CAM, Grad-CAM++,
 * Score-CAM, CAM and guided Grad-CAM the heatmap's peak lies inside the lesion mask on ≥ 90 % of
 * the lesion images of the test split, and removing pixels in heatmap order lowers the class probability faster than adding them raises it
 * (mean deletion AUC < mean insertion AUC). A heatmap that ignored the lesion would hit it about as
 * often as the lesion's share of the image (a few per cent).
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainRequestSchema, MAX_EXPLAIN_FRAMES, type ExplainMethodName } from '../../contract/index';
import { engineHandlers } from '../../ml/methods/index';
import { classificationDataset, makeSyntheticScans, type SyntheticScan } from '../fixtures/synthetic-scans';
import { engineContext, TRAINING_TIMEOUT_MS, trainForQuality, type TrainedModel } from '../helpers/engine-training';

/** The target: the peak inside the lesion on at least this share of lesion images. */
const MIN_POINTING_ACCURACY = 0.9;
/** A classifier that has not learnt the lesion has nothing to point at; checked first so a failure says which. */
const MIN_TEST_ACCURACY = 0.9;
const SIZE = 32;
const SCANS = 240;
const EPOCHS = 8;

const scans = makeSyntheticScans({ count: SCANS, size: SIZE, seed: 7 });
const dataset = classificationDataset(scans);
let trained: TrainedModel;

beforeAll(async () => {
  trained = await trainForQuality('pointing-game classifier', dataset, {
    // Loupe's defaults for these scans (main/services/training/defaults.ts) with fewer epochs, as in
    // training-quality.test.ts. Three stages: the last feature map is 8 × 8, a cell per 4 × 4 pixels.
    task: 'classification',
    model: { architecture: 'small-cnn', filters: [16, 32, 64] },
    preprocessing: { rows: SIZE, columns: SIZE, intensity: { mode: 'auto' } },
    loss: { name: 'cross-entropy' },
    optimizer: { name: 'adamw' },
    learningRate: 3e-3,
    schedule: { name: 'cosine' },
    augment: { flipHorizontal: 0.5 },
    epochs: EPOCHS,
    batchSize: 16,
    seed: 3,
  });
}, TRAINING_TIMEOUT_MS);
afterAll(() => rmSync(trained.root, { recursive: true, force: true }));

/** The lesion images of the test split, where the pointing game is played. */
function testLesions(): SyntheticScan[] {
  const test = new Set(dataset.samples.filter((s) => s.split === 'test').map((s) => s.id));
  return scans.filter((s) => s.abnormal && test.has(s.id));
}

async function explainAll(images: readonly SyntheticScan[], method: ExplainMethodName, classIndex: number) {
  const out = [];
  for (let start = 0; start < images.length; start += MAX_EXPLAIN_FRAMES) {
    const frames = images.slice(start, start + MAX_EXPLAIN_FRAMES).map((s) => s.frame);
    const request = explainRequestSchema.parse({ modelDir: trained.modelDir, frames, method, classIndex, trust: true });
    const reply = await engineHandlers.explain(request, engineContext());
    out.push(...reply.explanations);
  }
  return out;
}

/** Every method whose heatmap has one meaning of "where" (guided backprop alone is an edge map, not a location). */
const POINTING_METHODS = ['gradcam', 'gradcam++', 'scorecam', 'cam', 'guided-gradcam'] as const;

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

describe('the pointing game on scans whose lesion decides the class', () => {
  it(`the classifier learnt the task (test accuracy ≥ ${MIN_TEST_ACCURACY})`, () => {
    const report = trained.record.evaluation!;
    if (report.task !== 'classification') throw new Error('expected a classification report');
    console.log(`[pointing game] test accuracy ${report.accuracy.toFixed(3)} over ${report.count} images`);
    expect(report.accuracy).toBeGreaterThanOrEqual(MIN_TEST_ACCURACY);
  });

  for (const method of POINTING_METHODS) {
    it(`${method}: the peak lies in the lesion on ≥ ${MIN_POINTING_ACCURACY * 100} % of lesion images; deletion AUC < insertion AUC`, async () => {
      const lesions = testLesions();
      expect(lesions.length).toBeGreaterThanOrEqual(15);
      const lesionClass = dataset.classes!.indexOf('lesion');
      const explanations = await explainAll(lesions, method, lesionClass);
      let hits = 0;
      explanations.forEach((e, i) => {
        expect([e.rows, e.columns]).toEqual([SIZE, SIZE]);
        const [x, y] = e.peak;
        if (lesions[i]!.mask[y * SIZE + x] === 1) hits++;
      });
      const pointing = hits / lesions.length;
      const deletion = mean(explanations.map((e) => e.trust!.deletionAuc));
      const insertion = mean(explanations.map((e) => e.trust!.insertionAuc));
      const predictedLesion = explanations.filter((e) => e.probability > 0.5).length;
      const lesionShare = mean(lesions.map((s) => s.mask.reduce((a, b) => a + b, 0) / (SIZE * SIZE)));
      console.log(
        `[pointing game] ${method}: peak in lesion ${hits}/${lesions.length} (${(pointing * 100).toFixed(1)} %, chance ≈ ${(lesionShare * 100).toFixed(1)} %); predicted lesion on ${predictedLesion}; deletion AUC ${deletion.toFixed(3)} < insertion AUC ${insertion.toFixed(3)}`,
      );
      expect(pointing).toBeGreaterThanOrEqual(MIN_POINTING_ACCURACY);
      expect(deletion).toBeLessThan(insertion);
    }, 120_000);
  }
});
