/** The preprocessing the TF.js export tests give their models: 32×32, a fixed intensity range, and what a case changes. */
import { preprocessingSpecSchema } from '../../contract/index';

export const spec = (extra: object = {}) =>
  preprocessingSpecSchema.parse({
    rows: 32,
    columns: 32,
    intensity: { mode: 'range', min: -500, max: 3500 },
    ...extra,
  });
