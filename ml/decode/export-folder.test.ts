/**
 * What a PACS export folder holds besides images: a DICOMDIR and non-image objects are refused
 * as 'non-image' with their kind named (the import skips them), and images written without the
 * 128-byte preamble (meta header first, or the bare data set) decode to the CT base file's pixels.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureImagingFixtures } from '../../tests/fixtures/imaging/generate';
import { decodeFile } from './index';

beforeAll(async () => {
  await ensureImagingFixtures();
}, 120_000);

describe('a PACS export folder', async () => {
  const { exportObjects, dicom } = await ensureImagingFixtures();
  const ct = dicom.find((f) => f.name === 'ct-signed.explicit-le')!;

  const skipped = exportObjects.filter((o) => o.expect === 'skipped');
  it.each(skipped.map((o) => [o.name, o] as const))(
    '%s is not an image, and says which kind',
    async (_name, object) => {
      await expect(decodeFile(object.file)).rejects.toMatchObject({
        name: 'DecodeError',
        failure: 'non-image',
        message: `Not an image (${object.kind}).`,
      });
    },
  );

  const images = exportObjects.filter((o) => o.expect === 'imported');
  it.each(images.map((o) => [o.name, o] as const))('%s decodes to the reference pixels', async (_name, object) => {
    const { info, frame } = await decodeFile(object.file);
    expect(info).toMatchObject({ rows: ct.rows, columns: ct.columns, patientId: 'CT-001', modality: 'CT' });
    const reference = readFileSync(ct.expected);
    expect(Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength).equals(reference)).toBe(true);
  });

  it('reads a Pixel Spacing with one value as no spacing, not as an internal error', async () => {
    const { info } = await decodeFile(images.find((o) => o.name === 'IM000001')!.file);
    expect(info.pixelSpacing).toBeNull();
  });
});
