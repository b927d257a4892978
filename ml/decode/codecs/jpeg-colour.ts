/**
 * Whether a three-component JPEG holds YCbCr or RGB. libjpeg decides from the JFIF and Adobe
 * markers and, failing both, from the component IDs ('R','G','B' means RGB; anything else is taken
 * for YCbCr). DICOM files often carry neither marker, and then the Photometric Interpretation
 * says it: GDCM and DCMTK decode an RGB-labelled JPEG without an Adobe marker as stored RGB (e.g.
 * pydicom's SC_jpeg_no_color_transform.dcm, and SC_rgb_jpeg.dcm, whose Adobe marker is cut short
 * before its transform flag). The WASM libjpeg-turbo has no switch for that, so
 * such a stream gets its component IDs rewritten to 'R','G','B' before decoding.
 */

/** 'R', 'G', 'B': the component IDs libjpeg reads as "no colour transform". */
const RGB_IDS = [0x52, 0x47, 0x42] as const;
const SOS = 0xda;
const EOI = 0xd9;
const APP0 = 0xe0;
const APP14 = 0xee;
/**
 * Bytes of an Adobe APP14 segment (its length field included) up to the transform flag: libjpeg
 * ignores a shorter one, and Pillow sees no transform in it, so it says nothing about colour.
 */
const ADOBE_SEGMENT_LENGTH = 14;

interface ColourMarkers {
  jfif: boolean;
  adobe: boolean;
  /** Offsets of the SOF and every SOS marker segment. */
  frame: number | null;
  scans: number[];
}

function isFrameHeader(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function startsWith(bytes: Uint8Array, at: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** Walks every marker segment, skipping entropy-coded data (stuffed FF00 and RSTn are not markers). */
function readColourMarkers(bytes: Uint8Array): ColourMarkers {
  const found: ColourMarkers = { jfif: false, adobe: false, frame: null, scans: [] };
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) {
      at += 1;
      continue;
    }
    const marker = bytes[at + 1]!;
    if (marker === 0xff || marker === 0x00 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      at += marker === 0xff ? 1 : 2;
      continue;
    }
    if (marker === EOI) break;
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    if (marker === APP0 && startsWith(bytes, at + 4, 'JFIF\0')) found.jfif = true;
    if (marker === APP14 && length >= ADOBE_SEGMENT_LENGTH && startsWith(bytes, at + 4, 'Adobe')) found.adobe = true;
    if (isFrameHeader(marker) && found.frame === null) found.frame = at;
    if (marker === SOS) found.scans.push(at);
    at += 2 + length;
  }
  return found;
}

/**
 * The stream as libjpeg must see it to follow the Photometric Interpretation: unchanged unless
 * the file says RGB, the JPEG has three components and neither a JFIF nor a whole Adobe marker.
 */
export function followPhotometric(encoded: Uint8Array, photometric: string): Uint8Array {
  if (photometric !== 'RGB') return encoded;
  const markers = readColourMarkers(encoded);
  if (markers.jfif || markers.adobe || markers.frame === null) return encoded;
  const sof = markers.frame;
  if (encoded[sof + 9] !== 3 || sof + 10 + 9 > encoded.length) return encoded;
  const patched = encoded.slice();
  const oldIds = [0, 1, 2].map((k) => encoded[sof + 10 + 3 * k]!);
  RGB_IDS.forEach((id, k) => (patched[sof + 10 + 3 * k] = id));
  for (const sos of markers.scans) {
    const count = encoded[sos + 4] ?? 0;
    for (let k = 0; k < count && sos + 5 + 2 * k < encoded.length; k++) {
      const index = oldIds.indexOf(encoded[sos + 5 + 2 * k]!);
      if (index >= 0) patched[sos + 5 + 2 * k] = RGB_IDS[index]!;
    }
  }
  return patched;
}
