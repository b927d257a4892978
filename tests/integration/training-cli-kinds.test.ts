/**
 * `loupe train` and `loupe eval` on the two pair- and box-based kinds, as a user runs them, on a
 * workspace of generated shapes and parts labelled through the services: a detector's boxes
 * (after the score threshold and NMS of its model card) and a verifier's scored pairs (distance
 * and decision at the card's threshold) land in a `loupe-eval` file beside the metrics the run
 * recorded. Few epochs on small images: this checks the path and the file; the quality tests
 * check how well these models learn. Also: a --kind the task cannot train is one line, exit 2.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  evaluationFileSchema,
  type EvaluationFile,
  type ModelCard,
  type RunRecord,
  type RunSummary,
} from '../../contract/index';
import { SHAPE_CLASSES } from '../fixtures/detection-shapes';
import { runCli } from '../helpers/cli';
import { prepareWorkspace } from '../helpers/prepare-workspace';
import { requireBuild } from '../helpers/services';
import { detectionWorkspace, identityWorkspace } from '../helpers/workspace-models';

/** Enough for a finished run with a model card; not to learn well. */
const EPOCHS = 2;
/**
 * A threshold low enough that a detector after two epochs still shows boxes, so NMS has
 * overlapping candidates to suppress (the default 0.3 would leave most images empty).
 */
const LOW_SCORE_THRESHOLD = 0.1;
/** detectionSet's default image side, in pixels. */
const IMAGE_SIZE = 64;
const SPLIT = { train: 0.5, val: 0.25, test: 0.25 };
/** Training and evaluating run in the spawned CLI's engine; a margin over what 2 cores need. */
const TRAIN_TIMEOUT_MS = 180_000;

let dir: string;
let workspace: string;
/** Image id → the file written for it. */
const files = new Map<string, string>();
/** Part image id → its part (identity) index. */
const partOf = new Map<string, number>();
/** Labelled pairs of the verification task, "a/b" → same. */
const verdicts = new Map<string, boolean>();
const started = performance.now();

beforeAll(async () => {
  requireBuild();
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-train-cli-kinds-'));
  workspace = path.join(dir, 'ws');
  await prepareWorkspace(workspace, async (call) => {
    await detectionWorkspace(call, path.join(dir, 'shapes'), { count: 32, seed: 5, fractions: SPLIT });
    const parts = await identityWorkspace(call, path.join(dir, 'parts'), {
      identities: 12,
      viewsPerIdentity: 4,
      seed: 3,
      fractions: SPLIT,
    });
    parts.parts.forEach((ids, part) => ids.forEach((id) => partOf.set(String(id), part)));
    // The same part views, judged as pairs in a verification task: consecutive views of a part are
    // the same part; each part's first view against every other part's first view is not.
    const pairsTask = await call('labels.createTask', { name: 'Same part', kind: 'verification' });
    const pair = async (a: number, b: number, same: boolean): Promise<void> => {
      await call('labels.addPair', { taskId: pairsTask.id, imageA: a, imageB: b, same });
      verdicts.set(`${a}/${b}`, same);
    };
    for (const [p, views] of parts.parts.entries()) {
      for (let k = 0; k + 1 < views.length; k++) await pair(views[k]!, views[k + 1]!, true);
      for (const other of parts.parts.slice(p + 1)) await pair(views[0]!, other[0]!, false);
    }
    await call('labels.assignSplits', {
      taskId: pairsTask.id,
      fractions: SPLIT,
      groupBy: { kind: 'filename', pattern: '^(part\\d+)-' },
      seed: 3,
    });
    const { items } = await call('imaging.list', { limit: 1000 });
    for (const item of items) files.set(String(item.id), item.fileName);
  });
  console.log(`training-cli-kinds: workspace ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  console.log(`training-cli-kinds: ${((performance.now() - started) / 1000).toFixed(1)} s in all`);
});

/** `loupe train … --json`; returns the finished run. */
async function train(args: string[]): Promise<RunSummary> {
  const t0 = performance.now();
  const result = await runCli(['train', '--workspace', workspace, '--epochs', String(EPOCHS), '--json', ...args], {
    timeoutMs: TRAIN_TIMEOUT_MS,
  });
  expect(result.code, result.stderr).toBe(0);
  const run = JSON.parse(result.stdout) as RunSummary;
  expect(run).toMatchObject({ state: 'completed', epochsDone: EPOCHS });
  console.log(`training-cli-kinds: loupe train ${args.join(' ')}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return run;
}

/** `loupe eval --out`; returns the file, the run record and the model card. */
async function evaluate(
  runId: string,
  name: string,
): Promise<{ file: EvaluationFile; record: RunRecord; card: ModelCard; stdout: string }> {
  const out = path.join(dir, `${name}.json`);
  const result = await runCli(['eval', '--workspace', workspace, '--run', runId, '--out', out], {
    timeoutMs: TRAIN_TIMEOUT_MS,
  });
  expect(result.code, result.stderr).toBe(0);
  const file = evaluationFileSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
  const runDir = path.join(workspace, 'runs', runId);
  const record = JSON.parse(readFileSync(path.join(runDir, 'run.json'), 'utf8')) as RunRecord;
  const card = JSON.parse(readFileSync(path.join(runDir, 'model', 'model-card.json'), 'utf8')) as ModelCard;
  expect(file).toMatchObject({
    format: 'loupe-eval',
    split: 'test',
    model: { runId, dir: path.join(runDir, 'model') },
  });
  // The test split scored again with the card's settings gives what the run recorded at its end.
  expect(file.metrics).toEqual(record.evaluation);
  expect(file.images).toHaveLength(record.dataset.splits.test.length);
  // Every image under its workspace id, with the path of the file imported for it.
  for (const image of file.images) {
    expect(image.path && path.basename(image.path), `image ${image.id}`).toBe(files.get(image.id));
    expect(existsSync(image.path!)).toBe(true);
  }
  return { file, record, card, stdout: result.stdout };
}

/** Intersection over union of two [x1, y1, x2, y2] boxes, written here so NMS is not checked against itself. */
function iou(a: readonly number[], b: readonly number[]): number {
  const w = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!));
  const h = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
  const union = (a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - w * h;
  return union > 0 ? (w * h) / union : 0;
}

/** Checks every pair's distance and decision, and that the pairs are among the split's images; returns the pairs. */
function checkPairs(file: EvaluationFile, card: ModelCard) {
  const threshold = card.verification!.threshold;
  if (file.metrics.task !== 'verification') throw new Error(`expected a verification report, got ${file.metrics.task}`);
  expect(file.metrics.decision.threshold).toBe(threshold);
  const pairs = file.pairs!;
  expect(pairs.length).toBe(file.metrics.genuinePairs + file.metrics.impostorPairs);
  const inSplit = new Set(file.images.map((i) => i.id));
  for (const p of pairs) {
    expect(inSplit.has(p.a) && inSplit.has(p.b), `${p.a}/${p.b}`).toBe(true);
    expect(p.distance).toBeCloseTo(Math.sqrt(Math.max(0, 2 - 2 * p.score)), 5);
    expect(p.same).toBe(p.score >= threshold);
  }
  return pairs;
}

describe('loupe train / eval: detection and verification', () => {
  it('detection: eval writes each test image’s boxes after the card’s score threshold and NMS', async () => {
    const config = path.join(dir, 'low-threshold.json');
    writeFileSync(config, JSON.stringify({ detection: { scoreThreshold: LOW_SCORE_THRESHOLD } }));
    const run = await train(['--task', 'Shapes', '--config', config]);
    expect(run.architecture).toBe('centernet');
    const { file, card, stdout } = await evaluate(run.runId, 'shapes');
    expect(stdout).toMatch(/^mAP@0\.5 ([\d.]+|n\/a) on \d+ test image\(s\)/);
    expect(file.task).toBe('detection');
    expect(file.classes).toEqual([...SHAPE_CLASSES]);
    const settings = card.detection!;
    expect(settings).toMatchObject({ scoreThreshold: LOW_SCORE_THRESHOLD, method: 'nms', classAgnostic: false });
    if (file.metrics.task !== 'detection') throw new Error('expected a detection report');
    expect(file.metrics.settings).toEqual(settings);
    let boxes = 0;
    for (const image of file.images) {
      if (!('boxes' in image)) throw new Error(`image ${image.id} has no boxes list`);
      boxes += image.boxes.length;
      expect(image.boxes.length).toBeLessThanOrEqual(settings.maxDetections);
      image.boxes.forEach((d, i) => {
        const [x1, y1, x2, y2] = d.box;
        expect(
          0 <= x1 && x1 <= x2 && x2 <= IMAGE_SIZE && 0 <= y1 && y1 <= y2 && y2 <= IMAGE_SIZE,
          `box ${d.box.join(', ')}`,
        ).toBe(true);
        expect(d.className).toBe(file.classes[d.classId]);
        expect(d.score).toBeGreaterThanOrEqual(settings.scoreThreshold);
        if (i > 0) expect(d.score).toBeLessThanOrEqual(image.boxes[i - 1]!.score);
        // Two epochs give boxes a pixel or two wide, which rarely overlap; NMS itself is compared
        // with torchvision in ml/detection/nms.reference.test.ts. This checks the file keeps it.
        for (const e of image.boxes.slice(0, i))
          if (e.classId === d.classId) expect(iou(d.box, e.box)).toBeLessThanOrEqual(settings.iouThreshold);
      });
    }
    // Not a quality bar: only that the file holds boxes to check.
    expect(boxes).toBeGreaterThan(0);
  });

  it('verification from identities: --kind verification on a classification task, every test pair scored and decided', async () => {
    const run = await train(['--task', 'Part serials', '--kind', 'verification']);
    expect(run.architecture).toBe('siamese');
    const { file, card } = await evaluate(run.runId, 'serials');
    expect(file.task).toBe('verification');
    if (file.metrics.task !== 'verification') throw new Error('expected a verification report');
    expect(file.metrics.pairSource).toBe('identities');
    const pairs = checkPairs(file, card);
    // Every pair of the split's images, the truth being whether they show the same part.
    const n = file.images.length;
    expect(pairs.length).toBe((n * (n - 1)) / 2);
    for (const p of pairs) expect(p.truth).toBe(partOf.get(p.a) === partOf.get(p.b));
    expect(pairs.some((p) => p.truth) && pairs.some((p) => !p.truth)).toBe(true);
  });

  it('verification from labelled pairs: the test split’s pairs with their verdicts', async () => {
    const run = await train(['--task', 'Same part']);
    expect(run.architecture).toBe('siamese');
    const { file, card } = await evaluate(run.runId, 'pairs');
    if (file.metrics.task !== 'verification') throw new Error('expected a verification report');
    expect(file.metrics.pairSource).toBe('pairs');
    const pairs = checkPairs(file, card);
    expect(pairs.length).toBeGreaterThan(0);
    for (const p of pairs) expect(p.truth).toBe(verdicts.get(`${p.a}/${p.b}`) ?? verdicts.get(`${p.b}/${p.a}`));
  });

  it('refuses a kind the task cannot train, and a kind that does not exist: one line on stderr, exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['--task', 'Part serials', '--kind', 'detection'],
        /“Part serials” is a classification task; it trains a classification model, or a verifier whose identities are its classes, not a detection model/,
      ],
      [
        ['--task', 'Shapes', '--kind', 'verification'],
        /“Shapes” is a detection task; it trains a detection model, not a verification model/,
      ],
      [
        ['--task', 'Shapes', '--kind', 'nonsense'],
        /--kind is one of classification, segmentation, detection, verification/,
      ],
    ];
    const runCount = async (): Promise<number> =>
      (JSON.parse((await runCli(['runs', '--workspace', workspace, '--json'])).stdout) as RunSummary[]).length;
    const before = await runCount();
    for (const [args, message] of cases) {
      const result = await runCli(['train', '--workspace', workspace, ...args]);
      expect(result.code, result.stderr).toBe(2);
      const lines = result.stderr.trim().split('\n');
      expect(lines, result.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^loupe: /);
      expect(lines[0]).toMatch(message);
      expect(result.stdout).toBe('');
    }
    // Refused before anything started: no run was made.
    expect(await runCount()).toBe(before);
  });
});
