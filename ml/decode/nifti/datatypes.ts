/**
 * NIfTI datatype codes and how Loupe keeps each, as it keeps DICOM: 8- and 16-bit integers stay
 * as they are, float32 stays float. Types with no PixelArray of their own are converted once, at
 * open: float64 to float32 (display and training work in float32 anyway), and 32-bit integers to
 * the narrowest of int16, uint16 or float32 that holds every value the volume has (label maps and
 * many CT volumes are written as int32 but hold 16-bit values).
 */
import type { PixelArray } from '../../../contract/channels/imaging';

export interface StoredType {
  name: string;
  /** Bytes per voxel in the file. */
  bytes: number;
  /** Samples per voxel (3 for RGB24). */
  samples: number;
  read: (view: DataView, at: number, littleEndian: boolean) => number;
}

/** The datatype codes of nifti1.h that Loupe reads. */
export const STORED_TYPES: ReadonlyMap<number, StoredType> = new Map<number, StoredType>([
  [2, { name: 'uint8', bytes: 1, samples: 1, read: (v, at) => v.getUint8(at) }],
  [256, { name: 'int8', bytes: 1, samples: 1, read: (v, at) => v.getInt8(at) }],
  [4, { name: 'int16', bytes: 2, samples: 1, read: (v, at, le) => v.getInt16(at, le) }],
  [512, { name: 'uint16', bytes: 2, samples: 1, read: (v, at, le) => v.getUint16(at, le) }],
  [8, { name: 'int32', bytes: 4, samples: 1, read: (v, at, le) => v.getInt32(at, le) }],
  [768, { name: 'uint32', bytes: 4, samples: 1, read: (v, at, le) => v.getUint32(at, le) }],
  [16, { name: 'float32', bytes: 4, samples: 1, read: (v, at, le) => v.getFloat32(at, le) }],
  [64, { name: 'float64', bytes: 8, samples: 1, read: (v, at, le) => v.getFloat64(at, le) }],
  [128, { name: 'RGB24', bytes: 3, samples: 3, read: (v, at) => v.getUint8(at) }],
]);

/** Names of codes Loupe knows but does not read, for the refusal message. */
export const UNREAD_TYPES: ReadonlyMap<number, string> = new Map([
  [32, 'complex64'],
  [1792, 'complex128'],
  [2048, 'complex256'],
  [1536, 'float128'],
  [1024, 'int64'],
  [1280, 'uint64'],
  [2304, 'RGBA32'],
  [1, 'binary'],
]);

/** What Loupe decodes a stored type into: the typed array and the ImageInfo pixel fields. */
export interface KeptType {
  bits: 8 | 16 | 32;
  signed: boolean;
  float: boolean;
  make: (length: number) => PixelArray;
}

const KEPT = {
  uint8: { bits: 8, signed: false, float: false, make: (n: number) => new Uint8Array(n) },
  int8: { bits: 8, signed: true, float: false, make: (n: number) => new Int8Array(n) },
  int16: { bits: 16, signed: true, float: false, make: (n: number) => new Int16Array(n) },
  uint16: { bits: 16, signed: false, float: false, make: (n: number) => new Uint16Array(n) },
  float32: { bits: 32, signed: true, float: true, make: (n: number) => new Float32Array(n) },
} as const satisfies Record<string, KeptType>;

/**
 * The kept type of a stored one. 32-bit integers need their value range (the whole volume's):
 * int16 or uint16 when it fits, else float32, exact up to 2^24.
 */
export function keptType(stored: StoredType, range?: { min: number; max: number }): KeptType {
  switch (stored.name) {
    case 'uint8':
    case 'RGB24':
      return KEPT.uint8;
    case 'int8':
      return KEPT.int8;
    case 'int16':
      return KEPT.int16;
    case 'uint16':
      return KEPT.uint16;
    case 'int32':
    case 'uint32': {
      const { min, max } = range ?? { min: 0, max: Infinity };
      if (min >= -0x8000 && max <= 0x7fff) return KEPT.int16;
      if (min >= 0 && max <= 0xffff) return KEPT.uint16;
      return KEPT.float32;
    }
    default:
      return KEPT.float32;
  }
}
