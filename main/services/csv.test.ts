import { describe, expect, it } from 'vitest';
import { csvField, parseCsv, toCsv } from './csv';

describe('CSV formula safety', () => {
  it('writes text cells that a spreadsheet would run as a formula quoted, behind a single quote', () => {
    expect(toCsv([['seed.jpg', "=cmd|' /C calc'!A0"]])).toBe(`seed.jpg,"'=cmd|' /C calc'!A0"\r\n`);
    for (const start of ['=', '+', '-', '@', '\t', '\r'])
      expect(csvField(`${start}1+1`), JSON.stringify(start)).toBe(`"'${start}1+1"`);
    expect(csvField('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    // Text that only looks like a number is text from outside, so it is escaped as well.
    expect(csvField('-3.5')).toBe(`"'-3.5"`);
  });

  it('leaves numbers passed as numbers alone: a negative score or coordinate is data', () => {
    expect(
      toCsv([
        ['image', 'score', 'x'],
        ['a.png', -3.5, -0],
      ]),
    ).toBe('image,score,x\r\na.png,-3.5,0\r\n');
    expect(csvField(-Infinity)).toBe(`"'-Infinity"`);
    expect(csvField('plain')).toBe('plain');
    expect(csvField("it's")).toBe("it's");
  });

  it('reads back exactly what was written, escaped cells included', () => {
    const rows = [
      ['=cmd', '+1', '-x', '@SUM(A1)', '\tTab', '\rcr', 'ok'],
      ["'=already quoted", "''=twice", "'plain quote", "''", 'a,b'],
    ];
    expect(parseCsv(toCsv(rows))).toEqual(rows);
  });
});

describe('CSV reading', () => {
  it('refuses text after a closing quote instead of gluing it onto the cell', () => {
    expect(() => parseCsv('image,class\n"p.png,"abc\n')).toThrow('line 2 has text after the closing quote of a field');
    expect(parseCsv('"a",b\r\n"c"\r\n')).toEqual([['a', 'b'], ['c']]);
  });
});
