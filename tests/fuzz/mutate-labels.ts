/**
 * Structural mutations of label files: COCO JSON (a value of the wrong type, a missing key, an
 * emptied or repeated array, an extreme number), YOLO txt (fields that are not numbers, too few or
 * too many, class indices out of range, a broken classes.txt) and CSV (quotes, columns, header,
 * names). A third of the time the text is also damaged byte-wise (truncated JSON, stray bytes).
 */
import { mutateBytes, type Mutated } from './mutate-bytes';
import type { Random } from './random';

/** A label import's input: its files by relative path, and which path the import is given. */
export interface LabelBundle {
  format: 'coco' | 'yolo' | 'csv';
  files: Map<string, Uint8Array>;
  /** Relative path handed to labels.import: the JSON or CSV file, or '.' for a YOLO folder. */
  entry: string;
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');
const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

/** Deep enough to stress a recursive walk of the parsed JSON, shallow enough for JSON.parse. */
const DEEP_NESTING = 1000;

function oddValue(rng: Random): unknown {
  return rng.pick<() => unknown>([
    () => null,
    () => true,
    () => -1,
    () => 0,
    () => 1e308,
    () => -1e308,
    () => 2 ** 53 + 1,
    () => 0.5,
    () => '',
    () => 'x',
    () => '=1+1',
    () => 'NaN',
    () => [],
    () => ({}),
    () => [[]],
    () => 'é'.repeat(rng.between(1, 20_000)),
    () => Array.from({ length: rng.pick([3, 5, 7, 5000]) }, () => rng.between(-10, 50)),
    () => JSON.parse(`${'['.repeat(DEEP_NESTING)}${']'.repeat(DEEP_NESTING)}`) as unknown,
    () => ({
      counts: rng.pick(['', '0', 'abc', '\\\\', [1, 2], [-1, 5], [1e9]]),
      size: rng.pick([[24, 32], [0, 0], [1e6, 1e6], [-1, 2], 'x']),
    }),
  ])();
}

/**
 * Most characters one repetition adds: label files of a few MiB are plenty to stress a reader,
 * and repeating an already long line thousands of times would only exhaust the fuzz itself.
 */
const MAX_REPEATED_CHARS = 2 * 1024 ** 2;

/** `copies`, fewer when that many copies of `length` characters would pass MAX_REPEATED_CHARS (at least one). */
function withinBound(copies: number, length: number): number {
  return Math.max(1, Math.min(copies, Math.floor(MAX_REPEATED_CHARS / (length + 1))));
}

type Slot = { parent: Record<string, unknown> | unknown[]; key: string | number };

function slots(value: unknown, into: Slot[] = [], depth = 0): Slot[] {
  if (depth > 8 || value === null || typeof value !== 'object') return into;
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  for (const [key, child] of entries) {
    into.push({ parent: value as Slot['parent'], key });
    slots(child, into, depth + 1);
  }
  return into;
}

function mutateJson(doc: unknown, rng: Random): string {
  const all = slots(doc);
  if (all.length === 0) return 'replace the document';
  const { parent, key } = rng.pick(all);
  const current = (parent as Record<string | number, unknown>)[key];
  const where = `${String(key)}`;
  const choice = rng.int(6);
  if (choice === 0 && !Array.isArray(parent)) {
    delete (parent as Record<string, unknown>)[key as string];
    return `delete "${where}"`;
  }
  if (choice === 1 && Array.isArray(current) && current.length) {
    const copies = withinBound(rng.pick([1, 2, 1000]), JSON.stringify(current).length);
    for (let i = 0; i < copies; i++) current.push(structuredClone(current[rng.int(current.length)]));
    return `repeat an item of "${where}" ${copies}×`;
  }
  if (choice === 2 && Array.isArray(current)) {
    current.length = 0;
    return `empty "${where}"`;
  }
  if (choice === 3 && typeof current === 'number') {
    const value = rng.pick([-current, current * 1e9, current + 0.5, current - 1, 1e-320]);
    (parent as Record<string | number, unknown>)[key] = value;
    return `"${where}" ${current} → ${value}`;
  }
  const value = oddValue(rng);
  (parent as Record<string | number, unknown>)[key] = value;
  return `"${where}" → ${JSON.stringify(value)?.slice(0, 40)}`;
}

const CELL_VALUES = [
  'NaN',
  'Infinity',
  '-Infinity',
  '1e400',
  '-0',
  'abc',
  '0x10',
  '',
  '1e-400',
  '-1',
  '2',
  '99999999999',
  '0.5.5',
  '+',
];

function mutateYoloText(content: string, rng: Random): { content: string; what: string } {
  const lines = content.split('\n');
  const k = rng.int(lines.length);
  const fields = lines[k]!.trim().split(/\s+/);
  const choice = rng.int(6);
  if (choice === 0) fields[rng.int(fields.length)] = rng.pick(CELL_VALUES);
  else if (choice === 1) fields.splice(rng.int(fields.length), 1);
  else if (choice === 2) fields.push(...Array.from({ length: rng.pick([1, 2, 3, 5000]) }, () => String(rng.next())));
  else if (choice === 3) fields[0] = rng.pick(['-1', '2', '1.5', '99', '1e9', 'crack']);
  else if (choice === 4)
    lines.splice(k, 0, ...new Array<string>(withinBound(rng.pick([1, 5000]), lines[k]!.length)).fill(lines[k]!));
  else return { content: content.replace(/\n/g, rng.pick(['\r\n', '\r', '\n\n', ' \t\n'])), what: 'change line ends' };
  if (choice <= 3) lines[k] = fields.join(rng.pick([' ', '\t', '  ', ',']));
  return { content: lines.join('\n'), what: `YOLO line ${k + 1} mutation ${choice}` };
}

const YOLO_EXTRAS: readonly [string, string][] = [
  ['data.yaml', 'names: [crack, ]\n'],
  ['data.yaml', 'names:\n  0: crack\n  2: dent\n'],
  ['labels/unknown.txt', '0 0.5 0.5 0.1 0.1\n'],
  ['labels/sub/img-a.txt', '0 0.5 0.5 0.1 0.1\n'],
  ['labels/img-a.png.txt', '1 0.2 0.2 0.1 0.1\n'],
];

function mutateYolo(bundle: LabelBundle, rng: Random): string {
  const choice = rng.int(5);
  if (choice === 0 && bundle.files.has('classes.txt')) {
    const classes = text(bundle.files.get('classes.txt')!);
    const next = rng.pick([
      '',
      '\n\ncrack',
      `${classes}\n\nextra`,
      'crack\ncrack\n',
      '=cmd\n',
      classes.split('\n')[0]!,
    ]);
    if (rng.chance(0.2)) bundle.files.delete('classes.txt');
    else bundle.files.set('classes.txt', utf8(next));
    return 'change classes.txt';
  }
  if (choice === 1) {
    const [name, content] = rng.pick(YOLO_EXTRAS);
    bundle.files.set(name, utf8(content));
    return `add ${name}`;
  }
  const labels = [...bundle.files.keys()].filter((f) => f.startsWith('labels/'));
  if (labels.length === 0) return 'nothing to change';
  const file = rng.pick(labels);
  const { content, what } = mutateYoloText(text(bundle.files.get(file)!), rng);
  bundle.files.set(file, utf8(content));
  return `${file}: ${what}`;
}

function mutateCsv(content: string, rng: Random): { content: string; what: string } {
  const lines = content.split('\n');
  const k = rng.int(lines.length);
  const cells = lines[k]!.split(',');
  const choice = rng.int(8);
  if (choice === 0) cells[rng.int(cells.length)] = `"${cells[0]}`;
  else if (choice === 1) cells.push(rng.pick(['', 'extra', '"a,b"', '"x"y']));
  else if (choice === 2) cells.splice(rng.int(cells.length), 1);
  else if (choice === 3)
    cells[rng.int(cells.length)] = rng.pick([
      '',
      'unknown.png',
      '=HYPERLINK("x")',
      ' ',
      '"',
      'img-a',
      'IMG-A.PNG',
      'x'.repeat(100_000),
      '\0',
    ]);
  else if (choice === 4) lines.shift();
  else if (choice === 5)
    lines.splice(k, 0, ...new Array<string>(withinBound(rng.pick([1, 2, 5000]), lines[k]!.length)).fill(lines[k]!));
  else if (choice === 6) lines[0] = rng.pick(['image', 'class,image', 'image_a,image_b', 'image,class,class', '']);
  else return { content: `\ufeff${content.replace(/\n/g, '\r')}`, what: 'BOM and CR line ends' };
  if (choice <= 3) lines[k] = cells.join(',');
  return { content: lines.join('\n'), what: `CSV line ${k + 1} mutation ${choice}` };
}

/** Mutates a copy of the bundle; the description names what changed. */
export function mutateLabels(seed: LabelBundle, rng: Random): { bundle: LabelBundle; what: string[] } {
  const bundle: LabelBundle = { ...seed, files: new Map(seed.files) };
  const what: string[] = [];
  for (let n = rng.between(1, 3); n > 0; n--) {
    if (bundle.format === 'yolo') what.push(mutateYolo(bundle, rng));
    else {
      const content = text(bundle.files.get(bundle.entry)!);
      if (bundle.format === 'coco') {
        let doc: unknown;
        try {
          doc = JSON.parse(content);
        } catch {
          doc = null;
        }
        if (doc !== null && typeof doc === 'object') {
          what.push(mutateJson(doc, rng));
          bundle.files.set(bundle.entry, utf8(JSON.stringify(doc)));
        }
      } else {
        const out = mutateCsv(content, rng);
        what.push(out.what);
        bundle.files.set(bundle.entry, utf8(out.content));
      }
    }
  }
  if (rng.chance(1 / 3)) {
    const file = bundle.format === 'yolo' ? rng.maybe([...bundle.files.keys()]) : bundle.entry;
    if (file === undefined) return { bundle, what };
    const damaged: Mutated = mutateBytes(bundle.files.get(file) ?? new Uint8Array(), rng);
    bundle.files.set(file, damaged.bytes);
    what.push(`${file}: ${damaged.what}`);
  }
  return { bundle, what };
}
