import { describe, expect, it } from 'vitest';
import type { LabeledImage } from '../images';
import { parseCsv, toCsv } from '../../csv';
import { ImageNames } from './image-names';

const image = (id: number, p: string): LabeledImage => ({
  id,
  path: p,
  fileName: p.split('/').at(-1)!,
  width: 4,
  height: 4,
  frames: 1,
  patientId: null,
  metadataJson: '{}',
});

describe('ImageNames', () => {
  const names = new ImageNames([
    image(1, '/data/study/s1/IM0001.dcm'),
    image(2, '/data/study/s2/IM0001.dcm'),
    image(3, '/data/study/s2/scan.png'),
  ]);

  it('exports paths under the common folder and finds them again, from any tail or a unique bare name', () => {
    expect(names.exportName(names.images[0]!)).toBe('s1/IM0001.dcm');
    expect(names.find('s1/IM0001.dcm')).toEqual({ image: names.images[0] });
    expect(names.find('/mnt/other-machine/study/s2/IM0001.dcm')).toEqual({ image: names.images[1] });
    expect(names.find('s2\\IM0001')).toEqual({ image: names.images[1] });
    expect(names.find('SCAN.PNG')).toEqual({ image: names.images[2] });
    expect(names.find('scan')).toEqual({ image: names.images[2] });
  });

  it('explains an ambiguous or unknown name', () => {
    expect(names.find('IM0001.dcm')).toEqual({ problem: expect.stringMatching(/matches 2 images/) });
    expect(names.find('nope.png')).toEqual({ problem: 'no image named "nope.png" in this workspace' });
    expect(names.find('  ')).toEqual({ problem: expect.stringMatching(/empty/) });
  });

  it('keeps whole paths when the images share no folder', () => {
    const spread = new ImageNames([image(1, '/a/x.png'), image(2, '/b/x.png')]);
    expect(spread.images.map((i) => spread.exportName(i))).toEqual(['a/x.png', 'b/x.png']);
    expect(spread.find('b/x.png')).toEqual({ image: spread.images[1] });
  });

  it('names images in CSV files by the path under the common folder, or the absolute path as given', () => {
    expect(names.csvName(names.images[1]!)).toBe('s2/IM0001.dcm');
    const spread = new ImageNames([image(1, '/a/x.png'), image(2, '/b/x.png'), image(3, 'C:\\scans\\y.png')]);
    expect(spread.images.map((i) => spread.csvName(i))).toEqual(['/a/x.png', '/b/x.png', 'C:/scans/y.png']);
    expect(spread.find('/b/x.png')).toEqual({ image: spread.images[1] });
  });
});

describe('CSV', () => {
  it('reads quotes, doubled quotes, embedded newlines, CRLF and a BOM, and writes what it reads', () => {
    const text = '\ufeffimage,class\r\n"a, b.png","say ""hi""\nthere"\r\nplain.png,x\n';
    const rows = parseCsv(text);
    expect(rows).toEqual([
      ['image', 'class'],
      ['a, b.png', 'say "hi"\nthere'],
      ['plain.png', 'x'],
    ]);
    expect(parseCsv(toCsv(rows))).toEqual(rows);
    expect(() => parseCsv('a,"open')).toThrow(/never closed/);
  });
});
