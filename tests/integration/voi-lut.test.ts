/**
 * VOI LUT Sequence: each table is offered as a window named by its explanation, after the
 * header's window/level pair, and the viewer's rendering through it equals DCMTK's
 * `dcm2pnm +Wl N` pixel for pixel (on a file made by tests/fixtures/imaging/voi-lut.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FramePixels } from '../../contract/index';
import { decodeFile } from '../../ml/decode/index';
import { renderFrame } from '../../renderer/src/viewer/render';
import { VOI_LUTS, writeVoiLutDicom } from '../fixtures/imaging/voi-lut';

const dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-voi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** DCMTK's 8-bit rendering through VOI LUT `n` (1-based), as raw grey levels. */
function dcmtkVoiLut(file: string, n: number): Uint8Array {
  const out = path.join(dir, `voi-${n}.pgm`);
  execFileSync('dcm2pnm', ['+Wl', String(n), '+op', file, out], { stdio: 'pipe' });
  const bytes = readFileSync(out);
  const header = /^P5\s+\d+\s+\d+\s+\d+\s/.exec(bytes.toString('latin1', 0, 64));
  if (!header) throw new Error(`${out}: not a binary PGM`);
  return new Uint8Array(bytes.subarray(header[0].length));
}

describe('VOI LUT Sequence', () => {
  const file = writeVoiLutDicom(dir);

  it('offers the header window first, then each table by its explanation', async () => {
    const { info } = await decodeFile(file);
    expect(info.windows.map((w) => w.name ?? `${w.center}/${w.width}`)).toEqual([
      '800/1000',
      ...VOI_LUTS.map((l) => l.name),
    ]);
    expect(info.windows[1]!.lut).toMatchObject({ firstMapped: 200, bits: 12 });
    expect(info.windows[1]!.lut!.table).toHaveLength(1200);
  });

  it.each(VOI_LUTS.map((lut, i) => [lut.name, i + 1] as const))(
    'renders through %s as dcm2pnm +Wl does',
    async (_name, n) => {
      const { info, frame } = await decodeFile(file);
      const pixels: FramePixels = { ...frame, id: 1, modalityUnit: '', windows: info.windows };
      const rgba = new Uint8ClampedArray(frame.rows * frame.columns * 4);
      renderFrame(pixels, info.windows[n]!, rgba);
      const grey = rgba.filter((_, i) => i % 4 === 0);
      const reference = dcmtkVoiLut(file, n);
      expect(Array.from(grey)).toEqual(Array.from(reference));
      // Not one flat level: the table really maps the values.
      expect(new Set(reference).size).toBeGreaterThan(50);
    },
  );
});
