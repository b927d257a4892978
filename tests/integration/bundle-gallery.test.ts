/**
 * A verification model's gallery carried in its export (`loupe export --gallery`): the bundle's
 * gallery.json holds each reference's label and embedding under a hashed id (no enrolled path),
 * `loupe predict --model BUNDLE --gallery` then matches as the model folder does (the same
 * references in the same order, scores within the export's fp32 bound), `loupe gallery list` reads
 * it, and enrolling into a bundle, exporting a gallery that is empty or of a model that is not a
 * verifier, and a bundle gallery made for another run are refused with their reasons.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  exportRequestSchema,
  galleryEnrolRequestSchema,
  galleryListRequestSchema,
  galleryQueryRequestSchema,
  type DecodedFrame,
  type GalleryFile,
} from '../../contract/index';
import { EXPORT_TEST_CASES, exportTestSpec, saveTestModel, testFrames } from '../../ml/export/export-test-support';
import { exportedReferenceId } from '../../ml/export/bundle-gallery';
import { engineHandlers } from '../../ml/methods/index';
import { readCsv } from '../helpers/batch-predict';
import { runCli } from '../helpers/cli';
import { engineContext } from '../helpers/engine-training';
import { requireBuild } from '../helpers/services';
import { writePng } from '../helpers/workspace-models';

/** The fp32 export's bound on |ONNX − Loupe| per output; a cosine of unit embeddings moves by no more than about twice it. */
const SCORE_TOLERANCE = 2e-4;
const REFERENCES = 6;

let root: string;
let modelDir: string;
let bundleDir: string;
let queries: string;
let frames: DecodedFrame[];

/** The export request of model folder `from` into `outDir`, checked on `frames`. */
function exportRequest(from: string, outDir: string, task: 'verification' | 'classification', gallery: boolean) {
  return exportRequestSchema.parse({
    modelDir: from,
    outDir,
    gallery,
    dataset: {
      task,
      classes: task === 'classification' ? ['a', 'b'] : [],
      samples: frames.map((frame, i) => ({
        id: String(i),
        split: 'test',
        image: { frame },
        ...(task === 'classification' ? { label: i % 2 } : { identity: `part-${i % 3}` }),
      })),
    },
    split: 'test',
  });
}

beforeAll(async () => {
  requireBuild();
  await tf.setBackend('cpu');
  root = mkdtempSync(path.join(os.tmpdir(), 'loupe-bundle-gallery-'));
  modelDir = path.join(root, 'verifier');
  bundleDir = path.join(root, 'bundle');
  // Random weights are enough: the test is about the bundle matching as the folder does, not about accuracy.
  await saveTestModel(modelDir, EXPORT_TEST_CASES.find(([name]) => name === 'Siamese embedding')![1]);
  // The decision a trained verifier's card holds.
  const cardFile = path.join(modelDir, 'model-card.json');
  const card = JSON.parse(readFileSync(cardFile, 'utf8')) as Record<string, unknown>;
  card['verification'] = {
    similarity: 'cosine',
    embeddingDim: 16,
    threshold: 0.9,
    targetFar: 0.01,
    chosenOn: 'val',
    far: 0,
    tar: 1,
    genuinePairs: 6,
    impostorPairs: 6,
  };
  writeFileSync(cardFile, JSON.stringify(card));
  frames = testFrames(12, 32, 32, 9);
  queries = path.join(root, 'queries');
  mkdirSync(queries);
  frames.slice(REFERENCES).forEach((f, i) =>
    writePng(path.join(queries, `query-${i}.png`), {
      width: f.columns,
      height: f.rows,
      bitDepth: 16,
      pixels: f.data as Uint16Array,
    }),
  );
}, 600_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a gallery carried in an export bundle', () => {
  it('refuses to carry an empty gallery, or a classifier’s', async () => {
    await expect(
      engineHandlers.export(exportRequest(modelDir, path.join(root, 'empty'), 'verification', true), engineContext()),
    ).rejects.toThrow(/has no enrolled references to carry \(--gallery\)/);
    const classifier = path.join(root, 'classifier');
    await saveTestModel(classifier, {
      task: 'classification',
      model: { architecture: 'small-cnn', filters: [4, 8] },
      classes: ['a', 'b'],
      preprocessing: exportTestSpec(),
    });
    await expect(
      engineHandlers.export(exportRequest(classifier, path.join(root, 'c'), 'classification', true), engineContext()),
    ).rejects.toThrow(/--gallery carries a verification model's gallery; the model in .* does classification/);
  }, 300_000);

  it('holds labels and embeddings under hashed ids, and matches as the model folder does', async () => {
    const enrolled = frames.slice(0, REFERENCES).map((frame, i) => ({
      id: path.join(root, 'site-a', 'patient-jones', `ref-${i}.png`),
      label: `part ${i}`,
      frame,
    }));
    await engineHandlers.galleryEnrol(
      galleryEnrolRequestSchema.parse({ modelDir, references: enrolled }),
      engineContext(),
    );
    const reply = await engineHandlers.export(
      exportRequest(modelDir, bundleDir, 'verification', true),
      engineContext(),
    );
    expect(reply.files).toContain('gallery.json');

    const text = readFileSync(path.join(bundleDir, 'gallery.json'), 'utf8');
    expect(text).not.toContain('patient-jones');
    const carried = JSON.parse(text) as GalleryFile;
    const original = JSON.parse(readFileSync(path.join(modelDir, 'gallery.json'), 'utf8')) as GalleryFile;
    expect(carried.references.map((r) => [r.id, r.label])).toEqual(
      original.references.map((r) => [exportedReferenceId(r.id), r.label]),
    );
    expect(carried.references.map((r) => r.embedding)).toEqual(original.references.map((r) => r.embedding));

    const query = (dir: string) =>
      engineHandlers.galleryQuery(
        galleryQueryRequestSchema.parse({ modelDir: dir, frames: frames.slice(REFERENCES), k: REFERENCES }),
        engineContext(),
      );
    const listed = await engineHandlers.galleryList(
      galleryListRequestSchema.parse({ modelDir: bundleDir }),
      engineContext(),
    );
    expect(listed).toMatchObject({ exported: true, threshold: 0.9 });
    expect(listed.references.map((r) => r.id)).toEqual(carried.references.map((r) => r.id));
    const [fromFolder, fromBundle] = [await query(modelDir), await query(bundleDir)];
    expect(fromBundle.runtime).toBe('onnxruntime');
    // Every reference is matched (k = all of them): each with the same label and score within the
    // bound, in the same order wherever two scores are further apart than the bound allows to swap.
    fromFolder.results.forEach((result, q) => {
      const bundled = fromBundle.results[q]!.matches;
      const rankOf = new Map(bundled.map((m, rank) => [m.id, rank]));
      result.matches.forEach((m, rank) => {
        const twin = bundled[rankOf.get(exportedReferenceId(m.id))!]!;
        expect(twin.label).toBe(m.label);
        expect(Math.abs(twin.score - m.score)).toBeLessThan(SCORE_TOLERANCE);
        const before = result.matches[rank - 1];
        if (before && before.score - m.score > 2 * SCORE_TOLERANCE)
          expect(rankOf.get(twin.id)!).toBeGreaterThan(rankOf.get(exportedReferenceId(before.id))!);
      });
    });
  }, 300_000);

  it('is what `loupe predict --gallery` matches on the bundle, and `loupe gallery` lists but will not change', async () => {
    const out = path.join(root, 'out');
    const predicted = await runCli(
      ['predict', '--model', bundleDir, '--in', queries, '--gallery', '--top-k', '2', '--format', 'csv', '--out', out],
      { timeoutMs: 300_000 },
    );
    expect(predicted.code, predicted.stderr).toBe(0);
    const { header, rows } = readCsv(out);
    const carried = JSON.parse(readFileSync(path.join(bundleDir, 'gallery.json'), 'utf8')) as GalleryFile;
    const ids = new Set(carried.references.map((r) => r.id));
    expect(rows).toHaveLength((frames.length - REFERENCES) * 2);
    for (const row of rows) expect(ids.has(row[header.indexOf('reference_id')]!)).toBe(true);

    const listed = await runCli(['gallery', 'list', '--model', bundleDir]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(`${REFERENCES} references in the gallery of`);
    const refused = await runCli(['gallery', 'enrol', '--model', bundleDir, queries]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/is an exported bundle; its gallery is the one exported with it/);
  }, 300_000);

  it('refuses a gallery made for another run, saying to export again', async () => {
    const other = path.join(root, 'bundle-other');
    cpSync(bundleDir, other, { recursive: true });
    const file = path.join(other, 'gallery.json');
    const gallery = JSON.parse(readFileSync(file, 'utf8')) as GalleryFile;
    writeFileSync(file, JSON.stringify({ ...gallery, model: { ...gallery.model, runId: 'another-run' } }));
    await expect(
      engineHandlers.galleryList(galleryListRequestSchema.parse({ modelDir: other }), engineContext()),
    ).rejects.toThrow(/another version of this model.*export the model again with its gallery \(--gallery\)/);
  });
});
