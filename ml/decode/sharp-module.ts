/**
 * sharp (libvips), loaded on first use. Importing it costs 100–150 ms of one core (the native
 * library and its version checks), which every process paid at start before: the CLI for
 * `loupe --version`, and each decode worker of a batch run over PNGs that png.ts reads alone.
 */
import type Sharp from 'sharp';

let loading: Promise<typeof Sharp> | null = null;

/** sharp's default export; one import however many callers ask at once. */
export function loadSharp(): Promise<typeof Sharp> {
  loading ??= import('sharp').then((module) => module.default);
  return loading;
}
