/**
 * Masks of single frames of a multi-frame image in an image + mask folder: masks/x_f012.png is the
 * mask of frame 12 (0-based) of images/x.dcm or images/x.nii.gz. Export writes these names and
 * import reads them back, so a per-frame labelled volume round-trips as PNGs any tool can open.
 */

/** Digits a frame number is padded to, so a listing sorts in frame order for up to 1000 frames. */
const FRAME_DIGITS = 3;
/** `<stem>_f<frame>`: the frame is the digits after the last `_f`. */
const FRAME_SUFFIX = /^(.*)_f(\d+)$/;

/** The mask file name of one frame; a single-frame image's mask keeps its plain name. */
export function frameMaskName(stem: string, frame: number, frames: number): string {
  if (frames <= 1) return `${stem}.png`;
  const digits = Math.max(FRAME_DIGITS, String(frames - 1).length);
  return `${stem}_f${String(frame).padStart(digits, '0')}.png`;
}

/** The image stem and frame a mask stem names, or null when it has no frame suffix. */
export function frameOfMaskStem(stem: string): { stem: string; frame: number } | null {
  const match = FRAME_SUFFIX.exec(stem);
  return match ? { stem: match[1]!, frame: Number(match[2]) } : null;
}

/** One image's masks, decoded: class values per pixel, by frame. */
export interface MaskFrames {
  width: number;
  height: number;
  frames: Map<number, Uint8Array>;
}

/** A mask file of an image: its own (x.png, x.nii.gz: frame 0, or every slice), or one frame's PNG. */
export interface MaskFile {
  name: string;
  frame: number | null;
}

/** Per-frame PNGs of a masks folder (names relative to it), by image stem and frame. */
export function indexFrameMasks(masks: ReadonlyMap<string, string>): Map<string, Map<number, string>> {
  const index = new Map<string, Map<number, string>>();
  for (const [stem, name] of masks) {
    const framed = name.toLowerCase().endsWith('.png') ? frameOfMaskStem(stem) : null;
    if (!framed) continue;
    const frames = index.get(framed.stem) ?? new Map<number, string>();
    frames.set(framed.frame, name);
    index.set(framed.stem, frames);
  }
  return index;
}

/** The mask files of an image with these stems: its own mask when there is one, else its per-frame PNGs. */
export function maskFilesOf(
  stems: readonly string[],
  masks: ReadonlyMap<string, string>,
  framed: ReadonlyMap<string, ReadonlyMap<number, string>>,
): MaskFile[] {
  const own = stems.map((s) => masks.get(s)).find((m) => m !== undefined);
  if (own) return [{ name: own, frame: null }];
  const frames = stems.map((s) => framed.get(s)).find((f) => f !== undefined);
  return frames ? [...frames].sort(([a], [b]) => a - b).map(([frame, name]) => ({ name, frame })) : [];
}

/**
 * Reads an image's mask files into one MaskFrames, or the problem with the first that cannot be a
 * mask of it. `decode`: one file's slices (a PNG has one), or why it is no mask.
 */
export async function readMaskFrames(
  files: readonly MaskFile[],
  decode: (name: string) => Promise<{ width: number; height: number; slices: Uint8Array[] } | string>,
  where: (name: string) => string,
): Promise<MaskFrames | { where: string; reason: string }> {
  let out: MaskFrames | null = null;
  for (const file of files) {
    const decoded = await decode(file.name);
    if (typeof decoded === 'string') return { where: where(file.name), reason: decoded };
    out ??= { width: decoded.width, height: decoded.height, frames: new Map() };
    if (decoded.width !== out.width || decoded.height !== out.height)
      return {
        where: where(file.name),
        reason: `is ${decoded.width}×${decoded.height} but the image's other frame masks are ${out.width}×${out.height}`,
      };
    if (file.frame === null) decoded.slices.forEach((slice, k) => out!.frames.set(k, slice));
    else out.frames.set(file.frame, decoded.slices[0]!);
  }
  return out!;
}
