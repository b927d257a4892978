/**
 * The models channels (contract/channels/models.ts) on runs trained through the workspace
 * (workspace-quality.test.ts registers these tests with its trained detector and verifier):
 * boxes proposed on a test image, two images compared, and the verification gallery.
 */
import { describe, expect, it } from 'vitest';
import type { PairComparison } from '../../contract/index';
import type { Box } from '../../ml/detection/boxes';
import { iou } from '../../ml/detection/boxes';
import { newRunId, RunStore } from '../../main/services/training/run-store';
import type { Services } from '../../main/services/index';
import type { caller } from '../helpers/labels';
import type { detectionWorkspace, identityWorkspace, trainWithDefaults } from '../helpers/workspace-models';

type Trained = { trained: Awaited<ReturnType<typeof trainWithDefaults>> };
interface Models {
  call: ReturnType<typeof caller>;
  services: Services;
  detection: Awaited<ReturnType<typeof detectionWorkspace>> & Trained;
  verification: Awaited<ReturnType<typeof identityWorkspace>> & Trained;
}

/** A proposal finds an object when it has the object's class and IoU ≥ this (the mAP@0.5 criterion). */
const MATCH_IOU = 0.5;
/** Regression guards below what was measured on these models (see the report's numbers). */
const MIN_FOUND = 0.8;
const MIN_GALLERY_TOP1 = 0.6;
const TEST_IMAGES = 12;
const TEST_PARTS = 12;

function testSplit(services: Services, taskId: number): Set<number> {
  const rows = services.workspaces
    .require()
    .db.prepare("SELECT image_id FROM split_assignments WHERE task_id = ? AND split = 'test'")
    .pluck()
    .all(taskId) as number[];
  return new Set(rows);
}

export function modelsUse(get: () => Models): void {
  describe('models.proposeBoxes', () => {
    it("proposes boxes in image pixels, as the task's classes, on the objects of test images", async () => {
      const { call, services, detection } = get();
      const { task, samples, trained } = detection;
      const images = [...testSplit(services, task.id)].slice(0, TEST_IMAGES);
      let objects = 0;
      let found = 0;
      for (const imageId of images) {
        const reply = await call('models.proposeBoxes', { runId: trained.run.runId, taskId: task.id, imageId });
        expect(reply.imageId).toBe(imageId);
        expect(reply.unmatchedClasses).toEqual([]);
        const sample = samples.get(imageId)!;
        for (const b of reply.boxes) {
          expect(task.classes.map((c) => c.id)).toContain(b.classId);
          expect([b.x1, b.y1].every((v) => v >= 0) && b.x2 <= sample.width && b.y2 <= sample.height).toBe(true);
          expect(b.score).toBeGreaterThanOrEqual(reply.scoreThreshold);
        }
        for (const object of sample.objects) {
          objects++;
          const classId = task.classes[object.classId]!.id;
          const best = Math.max(
            0,
            ...reply.boxes
              .filter((b) => b.classId === classId)
              .map((b) => iou([b.x1, b.y1, b.x2, b.y2] as Box, object.box)),
          );
          if (best >= MATCH_IOU) found++;
        }
      }
      console.log(
        `[models] proposeBoxes: ${found} of ${objects} objects on ${images.length} test images found at IoU ≥ ${MATCH_IOU}`,
      );
      expect(found / objects).toBeGreaterThanOrEqual(MIN_FOUND);
    });

    it('honours a score threshold for one call', async () => {
      const { call, services, detection } = get();
      const imageId = [...testSplit(services, detection.task.id)][0]!;
      const request = { runId: detection.trained.run.runId, taskId: detection.task.id, imageId };
      const loose = await call('models.proposeBoxes', { ...request, scoreThreshold: 0.05 });
      const strict = await call('models.proposeBoxes', { ...request, scoreThreshold: 0.6 });
      expect([loose.scoreThreshold, strict.scoreThreshold]).toEqual([0.05, 0.6]);
      expect(strict.boxes.every((b) => b.score >= 0.6)).toBe(true);
      expect(loose.boxes.some((b) => b.score < 0.6)).toBe(true);
      expect(strict.boxes).toEqual(loose.boxes.filter((b) => b.score >= 0.6));
    });

    it('refuses a verification run, a task of another kind, and a run without a model', async () => {
      const { call, services, detection, verification } = get();
      const imageId = [...testSplit(services, detection.task.id)][0]!;
      await expect(
        call('models.proposeBoxes', { runId: verification.trained.run.runId, taskId: detection.task.id, imageId }),
      ).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
        message: expect.stringMatching(/trained a verification model; this needs a detection model/),
      });
      await expect(
        call('models.proposeBoxes', { runId: detection.trained.run.runId, taskId: verification.task.id, imageId }),
      ).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
        message: expect.stringMatching(
          /“Part serials” is a classification task; boxes are proposed in detection tasks/,
        ),
      });
      // A run that failed before its first epoch: a row, no folder, no model.
      const failed = newRunId(new Date(2020, 0, 1));
      new RunStore(services.workspaces.require()).insert({
        id: failed,
        taskId: detection.task.id,
        taskName: 'Shapes',
        kind: 'detection',
        state: 'failed',
        config: detection.trained.defaults.config,
        ownerPid: null,
      });
      await expect(
        call('models.proposeBoxes', { runId: failed, taskId: detection.task.id, imageId }),
      ).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
        message: expect.stringMatching(/has no model yet; only a completed run's model can be used/),
      });
    });
  });

  describe('models.comparePair', () => {
    it('scores two views of one part above two different parts; the decision is score ≥ threshold', async () => {
      const { call, services, verification } = get();
      const test = testSplit(services, verification.task.id);
      const parts = verification.parts.filter((p) => test.has(p[0]!)).slice(0, TEST_PARTS);
      const runId = verification.trained.run.runId;
      const same: PairComparison[] = [];
      const different: PairComparison[] = [];
      for (const [i, part] of parts.entries()) {
        same.push(await call('models.comparePair', { runId, imageA: part[0]!, imageB: part[1]! }));
        different.push(
          await call('models.comparePair', { runId, imageA: part[0]!, imageB: parts[(i + 1) % parts.length]![1]! }),
        );
      }
      for (const c of [...same, ...different]) {
        expect(c.same).toBe(c.score >= c.threshold);
        expect(c.distance).toBeCloseTo(Math.sqrt(2 - 2 * c.score), 5);
        expect(c.targetFar).toBe(0.01);
      }
      const mean = (xs: { score: number }[]) => xs.reduce((s, x) => s + x.score, 0) / xs.length;
      console.log(
        `[models] comparePair: mean score same ${mean(same).toFixed(3)}, different ${mean(different).toFixed(3)}; accepted ${same.filter((c) => c.same).length}/${same.length} same, ${different.filter((c) => c.same).length}/${different.length} different`,
      );
      expect(mean(same)).toBeGreaterThan(mean(different));
      expect(same.filter((c, i) => c.score > different[i]!.score).length).toBeGreaterThanOrEqual(
        Math.ceil(0.8 * parts.length),
      );
      // A threshold for one call decides by it.
      const strict = await call('models.comparePair', {
        runId,
        imageA: parts[0]![0]!,
        imageB: parts[0]![1]!,
        threshold: 1,
      });
      expect(strict).toMatchObject({ threshold: 1, same: strict.score >= 1 });
    });

    it('refuses an image compared with itself, and a detection run', async () => {
      const { call, verification, detection } = get();
      const [a, b] = verification.parts[0]!;
      await expect(
        call('models.comparePair', { runId: verification.trained.run.runId, imageA: a!, imageB: a! }),
      ).rejects.toThrow(/Pick two different images to compare/);
      await expect(
        call('models.comparePair', { runId: detection.trained.run.runId, imageA: a!, imageB: b! }),
      ).rejects.toThrow(/trained a detection model; this needs a verification model/);
    });
  });

  describe('the verification gallery', () => {
    it('enrols references with progress, lists them, finds the twin of a query, and removes references', async () => {
      const { call, services, verification } = get();
      const runId = verification.trained.run.runId;
      const test = testSplit(services, verification.task.id);
      const parts = verification.parts.filter((p) => test.has(p[0]!)).slice(0, TEST_PARTS);
      const events: { done: number; total: number }[] = [];
      const enrolled = await call(
        'models.enrol',
        {
          runId,
          references: parts.map((p, i) => ({ imageId: p[0]!, ...(i === 0 ? { label: 'golden sample' } : {}) })),
        },
        (p) => events.push(p as { done: number; total: number }),
      );
      expect(events.at(-1)).toEqual({ done: parts.length, total: parts.length });
      expect(events.every((e, i) => i === 0 || e.done >= events[i - 1]!.done)).toBe(true);
      expect(enrolled.references.map((r) => r.imageId).sort((x, y) => x! - y!)).toEqual(
        parts.map((p) => p[0]!).sort((x, y) => x - y),
      );
      expect(enrolled.references.find((r) => r.imageId === parts[0]![0])!.label).toBe('golden sample');
      expect(enrolled.references.find((r) => r.imageId === parts[1]![0])!.label).toMatch(/^part\d+-view0\.png$/);
      expect(await call('models.gallery', { runId })).toEqual(enrolled);

      // The enrolled image itself: its own reference first, score ≈ 1, decided the same.
      const twin = await call('models.query', { runId, imageId: parts[0]![0]!, k: 3 });
      expect(twin.matches[0]).toMatchObject({ imageId: parts[0]![0], same: true });
      expect(twin.matches[0]!.score).toBeCloseTo(1, 4);
      expect(twin.matches).toHaveLength(3);
      // Another view of each enrolled part: its part's reference is the nearest for most parts.
      let top1 = 0;
      for (const part of parts) {
        const reply = await call('models.query', { runId, imageId: part[2]! });
        expect(reply.matches.map((m) => m.score)).toEqual([...reply.matches.map((m) => m.score)].sort((x, y) => y - x));
        for (const m of reply.matches) expect(m.same).toBe(m.score >= reply.threshold);
        if (reply.matches[0]!.imageId === part[0]) top1++;
      }
      console.log(`[models] gallery: another view's part ranked first for ${top1} of ${parts.length} enrolled parts`);
      expect(top1 / parts.length).toBeGreaterThanOrEqual(MIN_GALLERY_TOP1);

      const removed = await call('models.removeReferences', { runId, ids: [`image-${parts[0]![0]}`] });
      expect(removed.references.map((r) => r.imageId)).not.toContain(parts[0]![0]);
      expect(removed.references).toHaveLength(parts.length - 1);
      const after = await call('models.query', { runId, imageId: parts[0]![0]! });
      expect(after.matches.map((m) => m.imageId)).not.toContain(parts[0]![0]);
    });
  });
}
