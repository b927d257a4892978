/**
 * `loupe gallery enrol | list | remove` on a model folder, without a workspace: every image under
 * the paths is enrolled (the first frame, labelled by its folder or file name), equal to the
 * engine's own embedding of the decoded file; an unreadable file is named and the rest enrolled;
 * enrolling a file again replaces it; what is enrolled is what `loupe predict --gallery` matches.
 * A classifier, a missing path and a contradictory model choice are refused as bad input.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { galleryQueryRequestSchema, type GalleryListing, type ReplyOf } from '../../contract/index';
import { decodeFile } from '../../ml/decode/index';
import { engineHandlers } from '../../ml/methods/index';
import { readCsv, trainTinyClassifier } from '../helpers/batch-predict';
import { trainTinyVerifier, VERIFY_TEST_PARTS } from '../helpers/batch-task-models';
import { runCli } from '../helpers/cli';
import { engineContext, type TrainedModel } from '../helpers/engine-training';
import { prepareWorkspace } from '../helpers/prepare-workspace';
import { requireBuild } from '../helpers/services';
import { writePng } from '../helpers/workspace-models';

let root: string;
let verifier: TrainedModel;
let classifier: TrainedModel;
const test = VERIFY_TEST_PARTS;

beforeAll(async () => {
  requireBuild();
  root = mkdtempSync(path.join(os.tmpdir(), 'loupe-gallery-cli-'));
  verifier = await trainTinyVerifier('tiny verifier for the gallery CLI');
  classifier = await trainTinyClassifier();
}, 600_000);
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  for (const m of [verifier, classifier]) if (m) rmSync(m.root, { recursive: true, force: true });
});

const png = (file: string, v: (typeof test)[number]) =>
  writePng(file, { width: v.width, height: v.height, bitDepth: v.bitDepth, pixels: v.pixels });

describe('loupe gallery', () => {
  it('enrols a folder per identity, names a file it cannot read, replaces a file enrolled again, and removes', async () => {
    const refs = path.join(root, 'refs');
    // The first view of each part is its reference, in a folder named for the part.
    const references = test.filter((_, i) => i % 3 === 0);
    for (const v of references) {
      mkdirSync(path.join(refs, `part-${v.identity}`), { recursive: true });
      png(path.join(refs, `part-${v.identity}`, 'front.png'), v);
    }
    const broken = path.join(refs, 'part-x', 'broken.png');
    mkdirSync(path.dirname(broken));
    writeFileSync(broken, 'not a picture');
    const model = ['--model', verifier.modelDir];

    const enrolled = await runCli(['gallery', 'enrol', ...model, refs], { timeoutMs: 300_000 });
    expect(enrolled.code).toBe(1);
    expect(enrolled.stdout).toContain(`${references.length} references enrolled, 1 failed`);
    expect(enrolled.stderr).toContain(`failed     ${broken}: `);

    const listed = await runCli(['gallery', 'list', ...model, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const listing = JSON.parse(listed.stdout) as GalleryListing;
    expect(listing.references.map((r) => [r.id, r.label]).sort()).toEqual(
      references.map((v) => [path.join(refs, `part-${v.identity}`, 'front.png'), `part-${v.identity}`]).sort(),
    );
    // Each reference is the engine's embedding of its decoded file: queried with that file, it is its own nearest, at similarity 1.
    for (const { id } of listing.references) {
      const { frame } = await decodeFile(id);
      const nearest = await engineHandlers.galleryQuery(
        galleryQueryRequestSchema.parse({
          modelDir: verifier.modelDir,
          frames: [{ ...frame, samplesPerPixel: 1 }],
          k: 1,
        }),
        engineContext(),
      );
      expect(nearest.results[0]!.matches[0]!.id).toBe(id);
      expect(nearest.results[0]!.matches[0]!.score).toBeCloseTo(1, 5);
    }

    // Again, with labels from file names: the same files are replaced, not added.
    rmSync(path.dirname(broken), { recursive: true });
    const again = await runCli(['gallery', 'enrol', ...model, refs, '--label', 'file', '--json']);
    expect(again.code, again.stderr).toBe(0);
    const reply = JSON.parse(again.stdout) as ReplyOf<'batch.galleryEnrol'>;
    expect(reply).toMatchObject({ enrolled: references.length, failures: [] });
    expect(reply.gallery.references.map((r) => r.label)).toEqual(references.map(() => 'front'));

    // What `loupe predict --gallery` matches against: the enrolled files, by id.
    const queries = path.join(root, 'queries');
    mkdirSync(queries);
    test.filter((_, i) => i % 3 !== 0).forEach((v, i) => png(path.join(queries, `query-${i}.png`), v));
    const out = path.join(root, 'out');
    const predicted = await runCli(
      ['predict', ...model, '--in', queries, '--gallery', '--top-k', '1', '--format', 'csv', '--out', out],
      { timeoutMs: 300_000 },
    );
    expect(predicted.code, predicted.stderr).toBe(0);
    const { header, rows } = readCsv(out);
    const ids = new Set(listing.references.map((r) => r.id));
    expect(rows.length).toBe(8);
    for (const row of rows) expect(ids.has(row[header.indexOf('reference_id')]!)).toBe(true);

    const first = listing.references[0]!.id;
    const removed = await runCli(['gallery', 'remove', ...model, '--id', first, '--json']);
    expect(removed.code, removed.stderr).toBe(0);
    expect((JSON.parse(removed.stdout) as GalleryListing).references.map((r) => r.id)).not.toContain(first);
    const cleared = await runCli(['gallery', 'remove', ...model, '--all']);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(cleared.stdout).toContain('0 references in the gallery of');
    expect(JSON.parse(readFileSync(path.join(verifier.modelDir, 'gallery.json'), 'utf8'))).toMatchObject({
      references: [],
    });
  }, 600_000);

  it('refuses a classifier, a missing path, and both or neither of --model and --run, as bad input', async () => {
    const refs = path.join(root, 'refs-refused');
    mkdirSync(refs);
    png(path.join(refs, 'a.png'), test[0]!);
    const cases: [string[], RegExp][] = [
      [
        ['enrol', '--model', classifier.modelDir, refs],
        /A gallery is for verification models; this model does classification/,
      ],
      [['enrol', '--model', verifier.modelDir, path.join(root, 'nowhere')], /There is nothing at .*nowhere/],
      [
        ['list', '--model', verifier.modelDir, '--run', 'run-x'],
        /give either --model DIR, or --workspace W with --run RUN/,
      ],
      [['list'], /give either --model DIR/],
      [['remove', '--model', verifier.modelDir], /give either --id ID… or --all/],
    ];
    // A run the workspace does not have is named, with the runs it has.
    const workspace = path.join(root, 'ws-no-runs');
    await prepareWorkspace(workspace, async () => {});
    cases.push([
      ['list', '--workspace', workspace, '--run', 'run-20250101-093000-1a2b'],
      /there is no run "run-20250101-093000-1a2b" in this workspace .* its runs are: none yet/,
    ]);
    for (const [args, message] of cases) {
      const refused = await runCli(['gallery', ...args]);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.stderr).toMatch(message);
    }
  });
});
