/**
 * Colours for new classes. The first ten are Tableau 10 (distinct, readable on grey images);
 * beyond that hues step by the golden angle, which keeps neighbours apart for any count.
 */
export const CLASS_PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

const GOLDEN_ANGLE_DEGREES = 137.508;

export function nextClassColor(used: readonly string[]): string {
  const taken = new Set(used.map((c) => c.toLowerCase()));
  const free = CLASS_PALETTE.find((c) => !taken.has(c));
  if (free) return free;
  for (let k = 0; ; k++) {
    const color = hslToHex((k * GOLDEN_ANGLE_DEGREES) % 360, 0.65, 0.55);
    if (!taken.has(color)) return color;
  }
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
