/**
 * evaluateDetections against pycocotools' COCOeval on generated cases: many images, three classes,
 * objects of every COCO size range, crowd regions, jittered, missed, duplicated and spurious
 * detections, score ties. pycocotools is not packaged by Debian; the test uses the first of
 * LOUPE_PYCOCOTOOLS_PYTHON, .tmp/pyref/bin/python, /usr/bin/python3 that can import it, e.g.
 *   /usr/bin/python3 -m venv --system-site-packages .tmp/pyref && .tmp/pyref/bin/pip install --no-deps pycocotools
 * and is skipped, saying so, where none can. The hand-built cases in detection.test.ts always run.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Box } from '../detection/boxes';
import { randomInt, seededRandom } from '../../tests/fixtures/detection-random';
import { pythonHasModule, runPythonReference } from '../../tests/reference/run-python-reference';
import { evaluateDetections, type DetectionEvalImage, type GroundTruthBox, type ScoredBox } from './detection';

const candidates = [
  process.env.LOUPE_PYCOCOTOOLS_PYTHON,
  path.resolve(import.meta.dirname, '../../.tmp/pyref/bin/python'),
  '/usr/bin/python3',
];
const python = candidates.find(
  (p): p is string => !!p && (p.startsWith('/usr/') || existsSync(p)) && pythonHasModule('pycocotools.cocoeval', p),
);

function generatedCase(seed: number, imageCount: number, classCount: number): DetectionEvalImage[] {
  const random = seededRandom(seed);
  const images: DetectionEvalImage[] = [];
  for (let i = 0; i < imageCount; i++) {
    const groundTruth: GroundTruthBox[] = [];
    const detections: ScoredBox[] = [];
    const score = () => Math.round(random() * 20) / 20; // coarse: many ties
    for (let k = randomInt(random, 0, 6); k > 0; k--) {
      // Sizes from 4 to 160 px: small, medium and large objects.
      const w = 4 + random() ** 2 * 156;
      const h = w * (0.5 + random());
      const x = random() * 600;
      const y = random() * 600;
      const classId = randomInt(random, 0, classCount - 1);
      const crowd = random() < 0.08;
      groundTruth.push({ box: [x, y, x + w, y + h], classId, crowd });
      const r = random();
      if (r < 0.15) continue; // missed
      const jitter = (s: number) => (random() - 0.5) * s * (r < 0.6 ? 0.15 : 0.6);
      const box: Box = [x + jitter(w), y + jitter(h), x + w + jitter(w), y + h + jitter(h)];
      detections.push({ box, classId: random() < 0.9 ? classId : (classId + 1) % classCount, score: score() });
      if (random() < 0.2) detections.push({ box: [box[0] + 1, box[1], box[2] + 1, box[3]], classId, score: score() });
    }
    for (let k = randomInt(random, 0, 2); k > 0; k--) {
      const x = random() * 700;
      const y = random() * 700;
      const w = 5 + random() * 100;
      detections.push({
        box: [x, y, x + w, y + w * (0.5 + random())],
        classId: randomInt(random, 0, classCount - 1),
        score: score(),
      });
    }
    images.push({ groundTruth, detections });
  }
  return images;
}

describe.skipIf(!python)(
  `evaluateDetections equals pycocotools COCOeval${python ? '' : ' (skipped: no Python here can import pycocotools)'}`,
  () => {
    const cases = [generatedCase(1, 40, 3), generatedCase(2, 25, 2), generatedCase(3, 60, 4), generatedCase(4, 8, 3)];
    const classIds = (images: DetectionEvalImage[]) =>
      [...new Set(images.flatMap((im) => im.groundTruth.map((g) => g.classId)))].sort((a, b) => a - b);
    const reference = python
      ? runPythonReference<{ results: { stats: number[]; perClass: { ap: number | null; ap50: number | null }[] }[] }>(
          'pycocotools_eval.py',
          { cases: cases.map((images) => ({ images, classIds: classIds(images) })) },
          python,
        )
      : { results: [] };

    it.each(cases.map((images, i) => [i, images] as const))('case %i', (i, images) => {
      const ref = reference.results[i]!;
      const m = evaluateDetections(images, { classIds: classIds(images) });
      const ours = [m.mAP, m.mAP50, m.mAP75, m.mAPSmall, m.mAPMedium, m.mAPLarge, m.ar1, m.ar10, m.ar100].map(
        (v) => v ?? -1,
      );
      ours.forEach((v, k) => expect(v, `stat ${k}`).toBeCloseTo(ref.stats[k]!, 12));
      m.perClass.forEach((c, k) => {
        expect(c.ap ?? -1, `class ${k} AP`).toBeCloseTo(ref.perClass[k]!.ap ?? -1, 12);
        expect(c.ap50 ?? -1, `class ${k} AP50`).toBeCloseTo(ref.perClass[k]!.ap50 ?? -1, 12);
      });
      // The cases must exercise what they claim: imperfect scores, and every size range present.
      expect(ref.stats[0]).toBeGreaterThan(0.05);
      expect(ref.stats[0]).toBeLessThan(0.95);
    });
  },
);
