/**
 * Messages between the imaging service (main) and its decode workers. Import is two-step so a
 * duplicate is never decoded: the worker reads and hashes the file, main answers whether the hash
 * is new, and only then does the worker decode and write the thumbnail.
 */
import type { DecodeFailure, ImageInfo } from '../../contract/channels/imaging';
import type { PreparedFrame, PreprocessingSpec } from '../../contract/index';
import type { DecodedFrame } from './types';

/** A file's frames as a model takes them (ml/data/preprocessing.ts), or why it cannot take them. */
export type PreparedRead =
  | { input: Float32Array<ArrayBuffer>; frames: PreparedFrame[]; samplesPerPixel: number[] }
  | { error: string };

export type ToDecodeWorker =
  | { type: 'inspect'; id: number; path: string; workspaceRoot: string }
  | { type: 'proceed'; id: number; decode: boolean }
  | { type: 'frame'; id: number; path: string; frame: number }
  | { type: 'thumbnail'; id: number; path: string; workspaceRoot: string; sha256: string }
  | { type: 'hash'; id: number; path: string }
  /**
   * Batch prediction: the file's hash, description and every frame, read once. With `prepare`,
   * every frame prepared as that spec says instead of its pixels (kilobytes instead of megabytes).
   */
  | { type: 'read'; id: number; path: string; prepare?: PreprocessingSpec };

export type FromDecodeWorker =
  | { type: 'hashed'; id: number; sha256: string; size: number }
  | { type: 'inspected'; id: number; info: ImageInfo }
  | { type: 'frame'; id: number; frame: DecodedFrame }
  | {
      type: 'read';
      id: number;
      sha256: string;
      size: number;
      info: ImageInfo;
      /** Empty when the frames were prepared. */
      frames: DecodedFrame[];
      prepared?: PreparedRead;
    }
  | { type: 'done'; id: number }
  | { type: 'failed'; id: number; failure: DecodeFailure; message: string };
