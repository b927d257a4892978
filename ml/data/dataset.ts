/**
 * A dataset description (from the workspace, or inline in tests) → preprocessed samples per split,
 * plus the snapshot a run records: ids per split, a hash of every label and one of every pixel.
 */
import { createHash } from 'node:crypto';
import {
  LoupeError,
  SPLITS,
  type DatasetSnapshot,
  type DecodedFrame,
  type PreprocessingSpec,
  type SplitName,
  type TrainingDataset,
} from '../../contract/index';
import { checkFramePixels } from '../decode/limits';
import type { Box } from '../detection/boxes';
import type { DetectionObject } from '../detection/centernet-targets';
import { boxToInput } from './box-placement';
import { preprocessMask, resolveIntensity, scaleIntensity, toModalityImage, type ModalityImage } from './preprocessing';
import type { Placement } from './resize';

/** One sample ready for the model: input at the spec's size, scaled; its label or mask. */
export interface PreparedSample {
  id: string;
  split: SplitName;
  /** rows × columns × channels, row-major. */
  image: Float32Array;
  placement: Placement;
  /** The frame's own size, to map predictions back onto it. */
  frameRows: number;
  frameColumns: number;
  label?: number;
  /** rows × columns class indices at the input size. */
  mask?: Uint8Array;
  /** Detection: the objects, boxes in input pixels (placed as the image was). */
  boxes?: DetectionObject[];
  /** Verification: index into PreparedDataset.identities. */
  identity?: number;
}

/** A labelled pair of one split, by index into that split's samples. */
export interface SplitPair {
  a: number;
  b: number;
  same: boolean;
}

export interface PreparedDataset {
  task: TrainingDataset['task'];
  classes: string[];
  /** The spec as resolved (an `auto` intensity measured on the training split). */
  spec: PreprocessingSpec;
  splits: Record<SplitName, PreparedSample[]>;
  /** Verification: the identities named by samples, sorted. */
  identities: string[];
  /** Verification: the dataset's labelled pairs, per split. */
  pairs: Record<SplitName, SplitPair[]>;
  snapshot: DatasetSnapshot;
}

/** Decodes an image file; the imaging decoders provide it (ml/decode) once they are registered. */
export type FrameReader = (path: string, frameIndex: number) => Promise<DecodedFrame>;

let registeredReader: FrameReader | null = null;

/** Lets the decoders plug in: samples given by path are read through this. */
export function setFrameReader(reader: FrameReader | null): void {
  registeredReader = reader;
}

async function frameOf(sample: TrainingDataset['samples'][number], reader: FrameReader | null): Promise<DecodedFrame> {
  if ('frame' in sample.image) return sample.image.frame;
  if (!reader) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `Image "${sample.id}" is given by path, but this engine has no image decoder registered; send decoded frames.`,
    );
  }
  const frame = await reader(sample.image.path, sample.image.frameIndex);
  // Frames sent inline are bounded by the contract; a reader's frame is held to the same pixel limit
  // as import, before preprocessing makes float copies of it.
  try {
    checkFramePixels(frame.columns, frame.rows);
  } catch (error) {
    throw new LoupeError('BAD_IMAGE', `Image "${sample.id}" cannot be used for training: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return frame;
}

function hashFrame(hash: ReturnType<typeof createHash>, frame: DecodedFrame): void {
  hash.update(
    `${frame.rows}x${frame.columns}x${frame.samplesPerPixel};${frame.rescaleSlope};${frame.rescaleIntercept};${frame.data.constructor.name};`,
  );
  hash.update(new Uint8Array(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength));
}

export interface PrepareOptions {
  readFrame?: FrameReader;
  /** Scale intensities as the spec says (default); false keeps modality values, for a model that scales them itself (an export with its preprocessing baked in). */
  scaled?: boolean;
  signal?: AbortSignal;
}

export async function prepareDataset(
  dataset: TrainingDataset,
  spec: PreprocessingSpec,
  options: PrepareOptions = {},
): Promise<PreparedDataset> {
  const reader = options.readFrame ?? registeredReader;
  // Sorted by id: the snapshot and the data order must not depend on the order the caller listed.
  const samples = [...dataset.samples].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const labelHash = createHash('sha256');
  const pixelHash = createHash('sha256');
  const identities = [...new Set(samples.flatMap((s) => (s.identity === undefined ? [] : [s.identity])))].sort();
  const identityIndex = new Map(identities.map((id, i) => [id, i]));
  const modality: {
    sample: (typeof samples)[number];
    image: ModalityImage;
    frameRows: number;
    frameColumns: number;
    mask?: Uint8Array;
    boxes?: DetectionObject[];
  }[] = [];
  for (const sample of samples) {
    if (options.signal?.aborted) throw new LoupeError('CANCELLED', 'Cancelled.');
    const frame = await frameOf(sample, reader);
    let mask: Uint8Array | undefined;
    if (sample.mask) {
      if (sample.mask.rows !== frame.rows || sample.mask.columns !== frame.columns) {
        throw new LoupeError(
          'INVALID_REQUEST',
          `The mask of "${sample.id}" is ${sample.mask.rows}×${sample.mask.columns} but its image is ${frame.rows}×${frame.columns}.`,
        );
      }
      const outOfRange = sample.mask.data.findIndex((v) => v >= dataset.classes.length);
      if (outOfRange >= 0) {
        throw new LoupeError(
          'INVALID_REQUEST',
          `The mask of "${sample.id}" has class ${sample.mask.data[outOfRange]} but the task has ${dataset.classes.length} classes.`,
        );
      }
      mask = preprocessMask(sample.mask, spec);
    }
    const maskDigest = sample.mask ? createHash('sha256').update(sample.mask.data).digest('hex') : '';
    // Boxes and identities extend the line only where present, so earlier runs' hashes still match.
    const extra =
      sample.boxes || sample.identity !== undefined
        ? `\t${JSON.stringify(sample.boxes ?? null)}\t${sample.identity ?? ''}`
        : '';
    labelHash.update(`${sample.id}\t${sample.split}\t${sample.label ?? ''}\t${maskDigest}${extra}\n`);
    pixelHash.update(`${sample.id}\n`);
    hashFrame(pixelHash, frame);
    const image = toModalityImage(frame, spec);
    const boxes = sample.boxes?.map((b, k) => ({
      box: boxToInput(boxOnFrame(sample.id, k, b.box, frame), image.placement, frame.rows, frame.columns),
      classId: b.classId,
    }));
    modality.push({
      sample,
      image,
      frameRows: frame.rows,
      frameColumns: frame.columns,
      ...(mask ? { mask } : {}),
      ...(boxes ? { boxes } : {}),
    });
  }
  const pairs = [...(dataset.pairs ?? [])].sort((p, q) => (p.a + '\0' + p.b < q.a + '\0' + q.b ? -1 : 1));
  for (const pair of pairs) labelHash.update(`pair\t${pair.a}\t${pair.b}\t${pair.same}\n`);
  const resolved = resolveIntensity(
    spec,
    modality.filter((m) => m.sample.split === 'train').map((m) => m.image),
  );
  const splits: Record<SplitName, PreparedSample[]> = { train: [], val: [], test: [] };
  const position = new Map<string, number>();
  for (const { sample, image, mask, boxes, frameRows, frameColumns } of modality) {
    position.set(sample.id, splits[sample.split].length);
    splits[sample.split].push({
      id: sample.id,
      split: sample.split,
      image: options.scaled === false ? image.data : scaleIntensity(image, resolved),
      placement: image.placement,
      frameRows,
      frameColumns,
      ...(sample.label !== undefined ? { label: sample.label } : {}),
      ...(mask ? { mask } : {}),
      ...(boxes ? { boxes } : {}),
      ...(sample.identity !== undefined ? { identity: identityIndex.get(sample.identity)! } : {}),
    });
  }
  const splitOf = new Map(samples.map((s) => [s.id, s.split]));
  const splitPairs: Record<SplitName, SplitPair[]> = { train: [], val: [], test: [] };
  // The schema has checked that both images exist and share a split.
  for (const pair of pairs)
    splitPairs[splitOf.get(pair.a)!].push({ a: position.get(pair.a)!, b: position.get(pair.b)!, same: pair.same });
  const labelDigest = labelHash.digest('hex');
  const datasetHash = createHash('sha256').update(labelDigest).update(pixelHash.digest()).digest('hex');
  return {
    task: dataset.task,
    classes: dataset.classes,
    spec: resolved,
    splits,
    identities,
    pairs: splitPairs,
    snapshot: {
      labelHash: labelDigest,
      datasetHash,
      splits: {
        train: splits.train.map((s) => s.id),
        val: splits.val.map((s) => s.id),
        test: splits.test.map((s) => s.id),
      },
      classCounts: Object.fromEntries(
        SPLITS.map((split) => [split, classCounts(splits[split], dataset.classes.length)]),
      ) as DatasetSnapshot['classCounts'],
    },
  };
}

/** A box as labelled, clipped to its frame; a box wholly outside the frame is a labelling error. */
function boxOnFrame(id: string, index: number, box: readonly number[], frame: DecodedFrame): Box {
  const clipped: Box = [
    Math.max(0, box[0]!),
    Math.max(0, box[1]!),
    Math.min(frame.columns, box[2]!),
    Math.min(frame.rows, box[3]!),
  ];
  if (clipped[2] <= clipped[0] || clipped[3] <= clipped[1]) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `Box ${index + 1} of image "${id}" ([${box.join(', ')}]) lies outside its ${frame.columns}×${frame.rows} frame.`,
    );
  }
  return clipped;
}

function classCounts(samples: readonly PreparedSample[], classCount: number): number[] {
  const counts = new Array<number>(classCount).fill(0);
  for (const sample of samples) {
    if (sample.label !== undefined) counts[sample.label]! += 1;
    for (const object of sample.boxes ?? []) counts[object.classId]! += 1;
    if (sample.mask) {
      const present = new Set(sample.mask);
      for (const c of present) counts[c]! += 1;
    }
  }
  return counts;
}
