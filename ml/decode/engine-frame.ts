/** A decoded frame as the engine's model input takes it (ml/data/preprocessing.ts). */
import type { DecodedFrame as EngineFrame } from '../../contract/index';
import type { DecodedFrame } from './types';

/** Pixels as the engine takes them (signed 8-bit widened: the model input has no int8 path). */
export function engineFrame(frame: DecodedFrame): EngineFrame {
  const data = (frame.data instanceof Int8Array ? Int16Array.from(frame.data) : frame.data) as EngineFrame['data'];
  return {
    data,
    rows: frame.rows,
    columns: frame.columns,
    samplesPerPixel: frame.samplesPerPixel as 1 | 3 | 4,
    rescaleSlope: frame.rescaleSlope,
    rescaleIntercept: frame.rescaleIntercept,
  };
}
