/**
 * Colours for new classes. The first ten are Tableau 10 (distinct, readable on grey images);
 * beyond that hues step by the golden angle, which keeps neighbours apart for any count. Once
 * every colour of that list is taken (large vocabularies: LVIS has 1,203 categories) colours
 * repeat in the same order: a class must always get a colour, and the user can recolour it.
 */
export const CLASS_PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

const GOLDEN_ANGLE_DEGREES = 137.508;
/** Golden-angle hues generated after the palette; more would differ from a neighbour by under a degree. */
const GENERATED_HUES = 360;

/** Every colour a new class is offered, in order, without duplicates (rounding can merge hues). */
const CLASS_COLORS: readonly string[] = [
  ...new Set([
    ...CLASS_PALETTE,
    ...Array.from({ length: GENERATED_HUES }, (_, k) => hslToHex((k * GOLDEN_ANGLE_DEGREES) % 360, 0.65, 0.55)),
  ]),
];

/** The first colour not in `used`; when all are used, the list again from the start (bounded work for any count). */
export function nextClassColor(used: readonly string[]): string {
  const taken = new Set(used.map((c) => c.toLowerCase()));
  return CLASS_COLORS.find((c) => !taken.has(c)) ?? CLASS_COLORS[used.length % CLASS_COLORS.length]!;
}

function hslToHex(h: number, s: number, l: number): string {
  const a = s * Math.min(l, 1 - l);
  const channel = (n: number): string => {
    const k = (n + h / 30) % 12;
    const v = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(v * 255)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}
