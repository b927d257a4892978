/**
 * `loupe predict --gallery` with a verification model: every image matched against the model's
 * enrolled references, the k nearest with scores and decisions in CSV and JSONL, equal to the
 * engine's own gallery query on the same decoded images; an empty gallery is refused up front. A
 * Batch section job asked for the gallery writes the same matches, lists each image's nearest, and
 * its viewer shows an image's nearest references.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GALLERY_NO_MATCH,
  galleryEnrolRequestSchema,
  galleryQueryRequestSchema,
  type BatchJob,
} from '../../contract/index';
import { decodeFile } from '../../ml/decode/index';
import { engineHandlers } from '../../ml/methods/index';
import { viewFrame } from '../fixtures/verification-parts';
import { readCsv } from '../helpers/batch-predict';
import { trainTinyVerifier, VERIFY_TEST_PARTS } from '../helpers/batch-task-models';
import { runCli } from '../helpers/cli';
import { engineContext, type TrainedModel } from '../helpers/engine-training';
import { caller } from '../helpers/labels';
import { realServices, requireBuild } from '../helpers/services';
import { writePng } from '../helpers/workspace-models';

const TOP_K = 2;

let root: string;
let model: TrainedModel;
const test = VERIFY_TEST_PARTS;

beforeAll(async () => {
  requireBuild();
  root = mkdtempSync(path.join(os.tmpdir(), 'loupe-batch-gallery-'));
  model = await trainTinyVerifier('tiny verifier for batch prediction');
}, 600_000);
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  if (model) rmSync(model.root, { recursive: true, force: true });
});

describe('loupe predict --gallery', () => {
  it('refuses an empty gallery, then writes the k nearest references per image as the engine finds them', async () => {
    const input = path.join(root, 'queries');
    mkdirSync(input);
    // The first view of each part is its reference; the other views are the queries.
    const queries = test.filter((_, i) => i % 3 !== 0);
    queries.forEach((v, i) =>
      writePng(path.join(input, `query-${i}.png`), {
        width: v.width,
        height: v.height,
        bitDepth: v.bitDepth,
        pixels: v.pixels,
      }),
    );
    const args = [
      'predict',
      '--model',
      model.modelDir,
      '--in',
      input,
      '--gallery',
      '--top-k',
      String(TOP_K),
      '--format',
      'csv,jsonl',
    ];

    const empty = await runCli([...args, '--out', path.join(root, 'out-empty')]);
    expect(empty.stderr).toMatch(/^loupe: The model in .* has no enrolled references; enrol some/m);
    expect(empty.code).toBe(2);

    const references = test
      .filter((_, i) => i % 3 === 0)
      .map((v) => ({ id: `part-${v.identity}`, label: `part ${v.identity}`, frame: viewFrame(v) }));
    await engineHandlers.galleryEnrol(
      galleryEnrolRequestSchema.parse({ modelDir: model.modelDir, references }),
      engineContext(),
    );

    const out = path.join(root, 'out');
    const { code, stderr } = await runCli([...args, '--out', out], { timeoutMs: 300_000 });
    expect(code, stderr).toBe(0);
    const { header, rows } = readCsv(out);
    expect(header.slice(4, 11)).toEqual([
      'rank',
      'reference_id',
      'reference_label',
      'score',
      'distance',
      'same',
      'threshold',
    ]);
    expect(rows).toHaveLength(queries.length * TOP_K);
    const lines = readFileSync(path.join(out, 'predictions.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            path: string;
            matches: { rank: number; id: string; score: number; same: boolean }[];
            threshold: number;
          },
      );
    expect(lines).toHaveLength(queries.length);
    for (const line of lines) {
      const { frame } = await decodeFile(line.path);
      const expected = await engineHandlers.galleryQuery(
        galleryQueryRequestSchema.parse({
          modelDir: model.modelDir,
          frames: [{ ...frame, samplesPerPixel: 1 }],
          k: TOP_K,
        }),
        engineContext(),
      );
      expect(line.threshold).toBe(expected.threshold);
      expect(line.matches.map((m) => [m.rank, m.id, m.same])).toEqual(
        expected.results[0]!.matches.map((m, i) => [i + 1, m.id, m.same]),
      );
      line.matches.forEach((m, i) => expect(m.score).toBeCloseTo(expected.results[0]!.matches[i]!.score, 5));
      const csvRows = rows.filter((r) => r[0] === line.path);
      expect(csvRows.map((r) => [r[4], r[5], r[9]])).toEqual(
        line.matches.map((m) => [String(m.rank), m.id, m.same ? 'same' : 'different']),
      );
    }
  }, 600_000);

  it("a Batch section job matched against the gallery writes the CLI's matches, and its results name the nearest", async () => {
    const { services, log } = realServices();
    const call = caller(services, log);
    try {
      await call('workspace.open', { path: path.join(root, 'ws'), create: true });
      const out = path.join(root, 'out-job');
      const ended = new Promise<BatchJob>((resolve) =>
        services.bus.subscribe((name, payload) => {
          if (name !== 'batch.job') return;
          const { job } = payload as { job: BatchJob };
          if (job.state !== 'running') resolve(job);
        }),
      );
      const started = await call('batch.start', {
        model: { dir: model.modelDir },
        inputs: [path.join(root, 'queries')],
        out,
        gallery: { k: TOP_K },
      });
      expect(started.gallery).toEqual({ k: TOP_K });
      expect(await ended).toMatchObject({ state: 'completed', gallery: { k: TOP_K } });
      type Line = {
        path: string;
        threshold: number;
        matches: { id: string; label: string; score: number; same: boolean }[];
      };
      const read = (folder: string) =>
        new Map(
          readFileSync(path.join(folder, 'predictions.jsonl'), 'utf8')
            .trimEnd()
            .split('\n')
            .map((l) => JSON.parse(l) as Line)
            .map((l) => [l.path, l]),
        );
      const job = read(out);
      const cli = read(path.join(root, 'out'));
      expect([...job.keys()].sort()).toEqual([...cli.keys()].sort());
      for (const [file, line] of job)
        expect(line.matches.map((m) => m.id)).toEqual(cli.get(file)!.matches.map((m) => m.id));
      const { rows } = await call('batch.results', { jobId: started.jobId, limit: 500 });
      expect(rows).toHaveLength(job.size);
      for (const row of rows) {
        // The nearest reference's label where it is decided the same part; how far it leads the next.
        const [nearest, next] = job.get(row.path)!.matches as [Line['matches'][number], Line['matches'][number]];
        expect(row.predicted).toBe(nearest.same ? nearest.label : GALLERY_NO_MATCH);
        expect(row.score).toBeCloseTo(nearest.score, 6);
        expect(row.margin).toBeCloseTo(nearest.score - next.score, 6);
      }
      // The viewer lists an image's nearest references as the job wrote them.
      const line = job.get(rows[0]!.path)!;
      const shown = await call('batch.prediction', { jobId: started.jobId, path: rows[0]!.path, frame: 0 });
      expect(shown).toMatchObject({ boxes: null, mask: null });
      expect(shown.matches).toEqual({
        threshold: line.threshold,
        nearest: line.matches.map((m) => ({ id: m.id, label: m.label, score: m.score, same: m.same })),
      });

      // A reference's picture beside a match: a file reference's first frame, as decoded; only ids the gallery holds.
      const reference = path.join(root, 'queries', 'query-0.png');
      const enrolled = await call('batch.galleryEnrol', { model: { dir: model.modelDir }, inputs: [reference] });
      expect(enrolled).toMatchObject({ enrolled: 1, failures: [] });
      // One call for several: the file reference's frame, as decoded; for the others no frame, and why.
      const notFromFile = line.matches[0]!.id;
      const outside = ['/etc/passwd', path.join(root, 'queries', 'query-1.png')];
      const { pictures } = await call('batch.galleryPictures', {
        model: { dir: model.modelDir },
        ids: [reference, notFromFile, ...outside],
      });
      expect(pictures.map((p) => p.id)).toEqual([reference, notFromFile, ...outside]);
      const { frame } = await decodeFile(reference);
      const picture = pictures[0]!.frame!;
      expect([picture.rows, picture.columns, picture.id, pictures[0]!.reason]).toEqual([
        frame.rows,
        frame.columns,
        0,
        null,
      ]);
      expect(Array.from(picture.data)).toEqual(Array.from(frame.data));
      expect(pictures[1]).toMatchObject({ frame: null, reason: expect.stringMatching(/names no file to show/) });
      for (const p of pictures.slice(2))
        expect(p).toMatchObject({ frame: null, reason: expect.stringMatching(/holds no reference/) });
    } finally {
      await services.dispose();
    }
  }, 300_000);
});
