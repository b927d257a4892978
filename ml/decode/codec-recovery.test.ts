/**
 * One damaged file must not poison a codec for the files after it: for every compressed syntax,
 * a file damaged so its codec fails is decoded before and between valid files, and every valid
 * file must still decode to GDCM's/DCMTK's pixels. Damage is made here from the generated
 * fixtures (tests/fixtures/imaging), never committed.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureImagingFixtures, type DicomFixture } from '../../tests/fixtures/imaging/generate';
import dicomParser from './dicom/parser-lib';
import { decodeFile } from './index';

beforeAll(async () => {
  await ensureImagingFixtures();
}, 120_000);

type Damage = (fragment: Uint8Array) => void;

/** Pseudo-random bytes over the second half of the codestream: entropy-coded data, header intact. */
const noiseInSecondHalf: Damage = (fragment) => {
  let state = 7;
  for (let i = fragment.length >> 1; i < fragment.length - 2; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    fragment[i] = state >>> 24;
  }
};
/** Pseudo-random bytes from byte 40 on: tables and scan header damaged. */
const noiseAfterMarkers: Damage = (fragment) => {
  let state = 1;
  for (let i = 40; i < fragment.length - 2; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    fragment[i] = state >>> 24;
  }
};
/** The last two thirds zeroed, as a copy that stopped part-way leaves it. */
const zeroedTail: Damage = (fragment) => fragment.fill(0, Math.floor(fragment.length / 3));

/** Per compressed syntax: a fixture and a damage its codec refuses. */
const CASES: readonly { syntax: string; fixture: string; damage: Damage }[] = [
  { syntax: 'JPEG-LS', fixture: 'ct-signed.jpeg-ls', damage: noiseInSecondHalf },
  { syntax: 'JPEG 2000', fixture: 'rgb.j2k-lossless', damage: zeroedTail },
  { syntax: 'JPEG baseline', fixture: 'mono8.jpeg-baseline', damage: zeroedTail },
  { syntax: 'JPEG extended', fixture: 'ct-12bit.jpeg-extended', damage: noiseInSecondHalf },
  { syntax: 'JPEG lossless', fixture: 'ct-signed.jpeg-lossless', damage: noiseAfterMarkers },
  { syntax: 'RLE', fixture: 'ct-signed.rle', damage: zeroedTail },
];

/** Valid files of every compressed syntax, each decoded after the damaged file. */
const VALID = [
  'ct-signed.jpeg-ls',
  'rgb.jpeg-ls',
  'ct-signed.j2k-lossless',
  'rgb.j2k-lossless',
  'mono8.jpeg-baseline',
  'rgb.jpeg-baseline',
  'ct-12bit.jpeg-extended',
  'ct-signed.jpeg-lossless',
  'ct-signed.rle',
  'rgb.rle',
];

function damaged(fixture: DicomFixture, damage: Damage): Uint8Array {
  const bytes = new Uint8Array(readFileSync(fixture.file));
  const fragment = dicomParser.parseDicom(bytes).elements.x7fe00010!.fragments!.at(-1)!;
  damage(bytes.subarray(fragment.position, fragment.position + fragment.length));
  return bytes;
}

const ARRAYS = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  float32: Float32Array,
} as const;

async function expectReferencePixels(fixture: DicomFixture): Promise<void> {
  const { frame } = await decodeFile(fixture.file);
  const raw = readFileSync(fixture.expected);
  const copy = new Uint8Array(raw.byteLength);
  copy.set(raw);
  const expected = new ARRAYS[fixture.sampleType](copy.buffer);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(frame.data[i]! - expected[i]!));
  expect(worst, `${fixture.name} against ${fixture.reference}`).toBeLessThanOrEqual(fixture.tolerance);
}

async function expectRefused(bytes: Uint8Array): Promise<void> {
  const error = await decodeFile(bytes).then(
    () => null,
    (thrown: unknown) => thrown as Error & { failure?: string },
  );
  expect(error, 'the damaged file must be refused').not.toBeNull();
  expect(error!.name).toBe('DecodeError');
  expect(['corrupt-pixels', 'truncated-pixels', 'malformed']).toContain(error!.failure);
  // A named reason in words: no bare WASM exception pointer, no embind registration noise.
  expect(error!.message).not.toMatch(/:\s*\d+$|register|undefined/);
}

describe('a damaged file does not poison the decoders', async () => {
  const { dicom } = await ensureImagingFixtures();
  const byName = new Map(dicom.map((f) => [f.name, f]));
  const fixture = (name: string): DicomFixture => byName.get(name) ?? expect.unreachable(`no fixture ${name}`);

  it.each(CASES.map((c) => [c.syntax, c] as const))(
    '%s: damaged first, then every valid file',
    async (_syntax, { fixture: name, damage }) => {
      await expectRefused(damaged(fixture(name), damage));
      for (const valid of VALID) await expectReferencePixels(fixture(valid));
      // Twice in a row: the fresh module must also recover.
      await expectRefused(damaged(fixture(name), damage));
      await expectRefused(damaged(fixture(name), damage));
      await expectReferencePixels(fixture(name));
    },
  );

  it.each(CASES.map((c) => [c.syntax, c] as const))(
    '%s: valid, damaged, valid',
    async (_syntax, { fixture: name, damage }) => {
      await expectReferencePixels(fixture(name));
      await expectRefused(damaged(fixture(name), damage));
      for (const valid of VALID) await expectReferencePixels(fixture(valid));
    },
  );
});
