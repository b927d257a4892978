/**
 * A model that scales intensity by each file's stored type ("dtype": an 8-bit image by 0–255, a
 * 16-bit one by 0–65535, after rescale) takes modality values in an exported graph only for one
 * stored type, since a graph sees float pixels, not how a file stored them. The export fixes the
 * range of the images it is checked on when they all share one, and its card says so: intensity
 * "range" with that min and max, which scales those images exactly as Loupe does (the parity
 * check then proves it). Images of several stored types are refused with what to do instead.
 */
import { LoupeError, type ModelCard } from '../../contract/index';
import { storedRange } from '../data/preprocessing';
import { throwIfCancelled } from '../worker/runtime';
import { framesOf, PARITY_CHUNK, type ExportSample } from './bundle-folder';

/** How a stored range reads to a user: "0 to 255". */
const rangeText = ([min, max]: readonly [number, number]): string => `${min} to ${max}`;

export async function fixStoredRange(
  card: ModelCard,
  samples: readonly ExportSample[],
  signal: AbortSignal,
): Promise<ModelCard> {
  const spec = card.preprocessing;
  if (spec.intensity.mode !== 'dtype') return card;
  const ranges = new Map<string, [number, number]>();
  for (let start = 0; start < samples.length; start += PARITY_CHUNK) {
    throwIfCancelled(signal);
    for (const frame of await framesOf(samples.slice(start, start + PARITY_CHUNK))) {
      const range = storedRange(frame, spec);
      ranges.set(range.join(' '), range);
    }
  }
  const found = [...ranges.values()];
  if (found.length !== 1)
    throw new LoupeError(
      'INVALID_REQUEST',
      found.length === 0
        ? 'There is no image to take the stored range of; this model scales intensity by each file’s stored type.'
        : `This model scales intensity by each file's stored type, and its images have ${found.length} (${found.map(rangeText).join('; ')}); a graph can scale by one. Export without the scaling baked in (untick “Bake the intensity scaling” in the Export section, or --no-preprocessing) and scale the pixels to [0, 1] yourself.`,
    );
  const [min, max] = found[0]!;
  return { ...card, preprocessing: { ...spec, intensity: { mode: 'range', min, max } } };
}
