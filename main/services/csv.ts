/**
 * CSV as every file Loupe writes or reads it (labels, evaluations, review reports, batch
 * predictions): RFC 4180, quoted fields with doubled quotes and embedded newlines, CRLF or LF, a
 * UTF-8 BOM tolerated (spreadsheets write one).
 *
 * Spreadsheets run a cell that starts with = + - @ (or tab / carriage return before one) as a
 * formula, so a class or file name like `=cmd|' /C calc'!A0` would execute when a reviewer opens
 * the file. As OWASP recommends (CSV injection), such text cells are written quoted with a leading
 * single quote, which spreadsheets show as text; the reader takes that quote off again, so an
 * export re-imports unchanged.
 */

/**
 * A cell the writer escapes: one that starts with a character that makes a spreadsheet treat it
 * as a formula (OWASP's list: = + - @ tab CR), after any number of single quotes (so text that
 * already begins with quotes gets one more, and the reader's removing one gives it back exactly).
 */
const NEEDS_QUOTE_PREFIX = /^'*[=+\-@\t\r]/;
/** A cell as the writer escaped it: the quote it added, then the cell. */
const ESCAPED_FORMULA = /^'+[=+\-@\t\r]/;

export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
          // `"p.png,"abc` is not one cell "p.png,abc": guessing would put the class in the name.
          if (!/^[,\r\n]?$/.test(text[i + 1] ?? ''))
            throw new Error(`line ${lineAt(text, i)} has text after the closing quote of a field`);
        }
      } else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(unescapeFormula(field));
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(unescapeFormula(field));
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (quoted) throw new Error('a quoted field is never closed');
  if (field !== '' || row.length > 0) {
    row.push(unescapeFormula(field));
    rows.push(row);
  }
  return rows.filter((r) => r.length > 1 || r[0] !== '');
}

function lineAt(text: string, index: number): number {
  return text.slice(0, index).split(/\r\n|\r|\n/).length;
}

function unescapeFormula(field: string): string {
  return ESCAPED_FORMULA.test(field) ? field.slice(1) : field;
}

/**
 * One cell. A number passed as a number is data even when negative (a score or coordinate
 * `-3.5`): a spreadsheet reads it as that number, never as a formula, and a quote would turn it
 * into text. Every string is checked, numeric-looking or not, since its content is not ours.
 */
export function csvField(value: string | number): string {
  const s = String(value);
  const data = typeof value === 'number' && Number.isFinite(value);
  if (!data && NEEDS_QUOTE_PREFIX.test(s)) return `"'${s.replace(/"/g, '""')}"`;
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: readonly (readonly (string | number)[])[]): string {
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}
