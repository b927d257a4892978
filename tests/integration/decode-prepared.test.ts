/**
 * A batch run's reads through the real decode worker (`readPrepared`): the worker reads every file
 * into the one buffer it keeps for the next, so each file's model input must be what that file
 * alone gives, whatever the worker read before it — larger or smaller files, DICOM of every
 * transfer syntax, multi-frame, PNG, JPEG and TIFF. Checked against the same steps in this process.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { preprocessingSpecSchema } from '../../contract/index';
import { prepareFrames } from '../../ml/data/preprocessing';
import { engineFrame } from '../../ml/decode/engine-frame';
import { openImage } from '../../ml/decode/index';
import { DecodePool } from '../../main/services/imaging/decode-pool';
import { decodeWorkerEntry } from '../../main/services/imaging/index';
import { memoryLogger } from '../../main/services/logger';
import { ensureImagingFixtures, type ImagingFixtures } from '../fixtures/imaging/generate';
import { requireBuild } from '../helpers/services';

let fixtures: ImagingFixtures;
beforeAll(async () => {
  requireBuild();
  fixtures = await ensureImagingFixtures();
}, 600_000);

const spec = preprocessingSpecSchema.parse({ rows: 32, columns: 32, intensity: { mode: 'per-image' } });

/** What the worker should send for `file`: its hash and size, and its frames prepared (or why not). */
async function expected(file: string) {
  const bytes = new Uint8Array(readFileSync(file));
  const image = await openImage(bytes, file);
  const frames = [];
  for (let i = 0; i < image.info.frames; i++) frames.push(await image.decodeFrame(i));
  let prepared: { input: number[] } | { error: string };
  try {
    prepared = { input: Array.from(prepareFrames(frames.map(engineFrame), spec).input) };
  } catch (error) {
    prepared = { error: (error as Error).message };
  }
  return { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length, prepared };
}

describe('decode worker, prepared reads', () => {
  it('gives each file its own model input, read after files of every size and kind', async () => {
    const files = [...fixtures.dicom.map((f) => f.file), ...fixtures.raster.map((f) => f.file)];
    // Large before small and small before large: the kept buffer is reused both ways.
    const bySize = [...files].sort((a, b) => readFileSync(b).length - readFileSync(a).length);
    const order = bySize.flatMap((file, i) => [file, bySize[bySize.length - 1 - i]!]);
    const pool = new DecodePool({ entry: decodeWorkerEntry(), size: 1, log: memoryLogger() });
    try {
      let compared = 0;
      for (const file of order) {
        const want = await expected(file).catch(() => null);
        const got = await pool.readPrepared(file, spec).catch(() => null);
        if (!want || !got) {
          // A fixture the decoder refuses is refused both ways.
          expect(got === null, file).toBe(want === null);
          continue;
        }
        const prepared = 'input' in got.prepared ? { input: Array.from(got.prepared.input) } : got.prepared;
        expect({ sha256: got.sha256, size: got.size, prepared }, file).toEqual(want);
        compared++;
      }
      expect(compared).toBeGreaterThan(files.length);
    } finally {
      await pool.close();
    }
  }, 600_000);
});
