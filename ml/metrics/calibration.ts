/**
 * Calibration of a classifier's top-label confidence: the reliability diagram (uniform bins of
 * confidence; per bin the mean confidence and the accuracy), expected calibration error (ECE: the
 * bins' |accuracy − confidence| weighted by their share of images), and temperature scaling
 * (Guo et al., 2017: one T > 0 dividing the logits, fitted by minimising the negative
 * log-likelihood on the validation split).
 *
 * Bins follow scikit-learn's `calibration_curve(strategy='uniform')`: edges k/n as numpy's
 * linspace makes them, a confidence on an inner edge belongs to the lower bin, so the reference
 * test can compare bin by bin.
 */

/** Bins of the reliability diagram unless asked otherwise (the common choice in the literature and scikit-learn's default is 5; 10 is Guo et al.'s). */
export const DEFAULT_CALIBRATION_BINS = 10;
/** Temperatures searched, on a log scale: from sharpening 20× to softening 20×. */
const TEMPERATURE_RANGE: [number, number] = [0.05, 20];
/** Golden-section steps: the bracket shrinks by 0.618 each, to far below any displayed digit. */
const SEARCH_STEPS = 80;
/** A probability of exactly 0 (rounded, or float32 softmax underflow) is read as this: log 0 would make one image's NLL infinite. */
export const PROBABILITY_FLOOR = 1e-12;

export interface ReliabilityBin {
  /** Lower and upper edge of the bin's confidences. */
  lower: number;
  upper: number;
  count: number;
  /** Mean top-label confidence and the share of correct predictions in the bin (0 when empty). */
  confidence: number;
  accuracy: number;
}

export interface Calibration {
  bins: ReliabilityBin[];
  ece: number;
  count: number;
}

/** Reliability bins and ECE of top-label confidences and whether each prediction was right. */
export function calibration(
  confidences: readonly number[],
  correct: readonly boolean[],
  binCount = DEFAULT_CALIBRATION_BINS,
): Calibration {
  if (confidences.length !== correct.length)
    throw new Error(`calibration: ${confidences.length} confidences but ${correct.length} outcomes`);
  const step = 1 / binCount;
  // numpy.linspace(0, 1, n + 1): k * step, the last edge exactly 1.
  const edges = Array.from({ length: binCount + 1 }, (_, k) => (k === binCount ? 1 : k * step));
  const sums = new Float64Array(binCount);
  const hits = new Float64Array(binCount);
  const counts = new Float64Array(binCount);
  confidences.forEach((p, i) => {
    // numpy.searchsorted(inner edges, p, side='left'): the number of inner edges strictly below p.
    let bin = 0;
    while (bin < binCount - 1 && edges[bin + 1]! < p) bin++;
    sums[bin]! += p;
    hits[bin]! += correct[i] ? 1 : 0;
    counts[bin]!++;
  });
  const n = confidences.length;
  let ece = 0;
  const bins = Array.from({ length: binCount }, (_, b): ReliabilityBin => {
    const count = counts[b]!;
    const confidence = count > 0 ? sums[b]! / count : 0;
    const accuracy = count > 0 ? hits[b]! / count : 0;
    if (count > 0) ece += (count / n) * Math.abs(accuracy - confidence);
    return { lower: edges[b]!, upper: edges[b + 1]!, count, confidence, accuracy };
  });
  return { bins, ece, count: n };
}

/** softmax(log p / T): the probabilities a model would give with its logits divided by T (log p differs from the logits by a constant per image). */
export function applyTemperature(probabilities: readonly number[], temperature: number): number[] {
  const logits = probabilities.map((p) => Math.log(Math.max(p, PROBABILITY_FLOOR)) / temperature);
  const top = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - top));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / total);
}

/** Mean negative log-likelihood of the true classes at temperature T. */
export function negativeLogLikelihood(
  probabilities: readonly (readonly number[])[],
  truth: readonly number[],
  temperature: number,
): number {
  let total = 0;
  probabilities.forEach((p, i) => {
    const logits = p.map((q) => Math.log(Math.max(q, PROBABILITY_FLOOR)) / temperature);
    const top = Math.max(...logits);
    const logSum = top + Math.log(logits.reduce((a, l) => a + Math.exp(l - top), 0));
    total += logSum - logits[truth[i]!]!;
  });
  return total / Math.max(1, probabilities.length);
}

/** The temperature minimising the validation NLL (golden-section search over log T). */
export function fitTemperature(probabilities: readonly (readonly number[])[], truth: readonly number[]): number {
  if (probabilities.length === 0) throw new Error('fitTemperature: no images to fit on');
  const f = (logT: number) => negativeLogLikelihood(probabilities, truth, Math.exp(logT));
  const ratio = (Math.sqrt(5) - 1) / 2;
  let [a, b] = TEMPERATURE_RANGE.map(Math.log) as [number, number];
  let c = b - ratio * (b - a);
  let d = a + ratio * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let i = 0; i < SEARCH_STEPS; i++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - ratio * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + ratio * (b - a);
      fd = f(d);
    }
  }
  return Math.exp((a + b) / 2);
}
