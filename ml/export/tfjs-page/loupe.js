/**
 * loupe.js — shipped in every TF.js export bundle. Loupe's one custom layer, model loading and
 * output handling, written for stock `@tensorflow/tfjs` so that a browser (index.html) or any
 * JavaScript runtime predicts as Loupe does; the preprocessing is loupe-preprocess.js, which must
 * be loaded first. Loupe's parity check runs these very files, unchanged, under a fresh stock
 * tfjs (tf.min.js in its own context), so what is checked is what ships.
 * Exposes `globalThis.LoupeExport` (its `preprocess` is loupe-preprocess.js's).
 */
(function (root) {
  'use strict';

  /** Keeps L2 normalisation finite for an all-zero vector (Loupe's L2Normalize layer). */
  const L2_EPSILON = 1e-12;

  if (!root.LoupePreprocess)
    throw new Error('loupe.js needs loupe-preprocess.js: load it first (a script tag before this one).');
  const { preprocess } = root.LoupePreprocess;

  const withLayers = new WeakSet();

  /** Registers Loupe's custom layer (`LoupeL2Normalize`, the end of Siamese embedding models) with this tf. */
  function registerLayers(tf) {
    if (withLayers.has(tf)) return;
    class L2Normalize extends tf.layers.Layer {
      static className = 'LoupeL2Normalize';
      call(inputs) {
        return tf.tidy(() => {
          const x = Array.isArray(inputs) ? inputs[0] : inputs;
          const norm = tf.sqrt(tf.maximum(tf.sum(tf.square(x), -1, true), L2_EPSILON));
          return tf.div(x, norm);
        });
      }
      computeOutputShape(inputShape) {
        return inputShape;
      }
    }
    tf.serialization.registerClass(L2Normalize);
    withLayers.add(tf);
  }

  function fromBase64(text) {
    const binary = root.atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  /** The layers model of a bundle (`LOUPE_MODEL` of loupe-model.js: model.json and its weights in base64). */
  async function loadModel(tf, bundle) {
    registerLayers(tf);
    const json = bundle.modelJson;
    const weightSpecs = json.weightsManifest.flatMap((group) => group.weights);
    const artifacts = { modelTopology: json.modelTopology, weightSpecs, weightData: fromBase64(bundle.weightsBase64) };
    return tf.loadLayersModel(tf.io.fromMemory(artifacts));
  }

  /** Index of the largest value; ties go to the lowest index. */
  function argmax(values, offset, length) {
    let best = 0;
    for (let i = 1; i < length; i++) if (values[offset + i] > values[offset + best]) best = i;
    return best;
  }

  function softmax(logits, offset, length) {
    let max = -Infinity;
    for (let i = 0; i < length; i++) max = Math.max(max, logits[offset + i]);
    const exps = Array.from({ length }, (_, i) => Math.exp(logits[offset + i] - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    return exps.map((e) => e / sum);
  }

  /** Class per input pixel (one channel: sigmoid > 0.5, i.e. logit > 0), cropped to the placement and put back on the frame (nearest). */
  function maskOnFrame(logits, offset, spec, channels, placement, frameRows, frameColumns) {
    const out = new Uint8Array(frameRows * frameColumns);
    for (let y = 0; y < frameRows; y++) {
      const sy = Math.min(Math.floor(((y + 0.5) * placement.height) / frameRows), placement.height - 1);
      for (let x = 0; x < frameColumns; x++) {
        const sx = Math.min(Math.floor(((x + 0.5) * placement.width) / frameColumns), placement.width - 1);
        const p = (sy + placement.top) * spec.columns + sx + placement.left;
        out[y * frameColumns + x] =
          channels === 1 ? (logits[offset + p] > 0 ? 1 : 0) : argmax(logits, offset + p * channels, channels);
      }
    }
    return out;
  }

  /**
   * CenterNet output (channels last, one image) → boxes on the frame, as Loupe: peaks are 3×3
   * local maxima, the top K over all classes above the score threshold, hard NMS per class (or
   * across classes), at most maxDetections, then padding removed and scaled to the frame.
   * Soft-NMS is not done here: `null` when the card asks for it.
   */
  function detect(out, offset, h, w, card, placement, frameRows, frameColumns) {
    const d = card.detection;
    if (d.method !== 'nms') return null;
    const spec = card.input;
    const c = card.classes.length;
    const depth = c + 4;
    const stride = spec.rows / h;
    const at = (ch, y, x) => out[offset + (y * w + x) * depth + ch];
    const peaks = [];
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++) {
          const v = at(k, y, x);
          let max = v;
          for (let dy = -1; dy <= 1; dy++)
            for (let dx = -1; dx <= 1; dx++) {
              const yy = y + dy;
              const xx = x + dx;
              if (yy >= 0 && yy < h && xx >= 0 && xx < w) max = Math.max(max, at(k, yy, xx));
            }
          peaks.push({ score: v === max ? v : 0, index: (y * w + x) * c + k, x, y, k });
        }
    peaks.sort((a, b) => b.score - a.score || a.index - b.index);
    const f = Math.fround;
    const clamp = (v, high) => Math.min(Math.max(v, 0), high);
    const boxes = peaks
      .slice(0, Math.min(d.topK, peaks.length))
      .filter((p) => p.score >= d.scoreThreshold)
      .map((p) => {
        const bw = Math.max(0, at(c, p.y, p.x));
        const bh = Math.max(0, at(c + 1, p.y, p.x));
        const cx = (p.x + at(c + 2, p.y, p.x)) * stride;
        const cy = (p.y + at(c + 3, p.y, p.x)) * stride;
        const box = Float32Array.from([
          clamp(cx - (bw * stride) / 2, spec.columns),
          clamp(cy - (bh * stride) / 2, spec.rows),
          clamp(cx + (bw * stride) / 2, spec.columns),
          clamp(cy + (bh * stride) / 2, spec.rows),
        ]);
        return { box, score: p.score, classId: p.k, area: f(f(box[2] - box[0]) * f(box[3] - box[1])) };
      });
    const kept = [];
    const suppressed = new Set();
    boxes.forEach((a, i) => {
      if (suppressed.has(i)) return;
      kept.push(a);
      for (let j = i + 1; j < boxes.length; j++) {
        const b = boxes[j];
        if (suppressed.has(j) || (!d.classAgnostic && b.classId !== a.classId)) continue;
        const iw = Math.max(0, f(Math.min(a.box[2], b.box[2]) - Math.max(a.box[0], b.box[0])));
        const ih = Math.max(0, f(Math.min(a.box[3], b.box[3]) - Math.max(a.box[1], b.box[1])));
        const inter = f(iw * ih);
        if (f(inter / f(f(a.area + b.area) - inter)) > d.iouThreshold) suppressed.add(j);
      }
    });
    const sx = frameColumns / placement.width;
    const sy = frameRows / placement.height;
    return kept.slice(0, d.maxDetections).map(({ box, score, classId }) => ({
      box: [
        clamp((box[0] - placement.left) * sx, frameColumns),
        clamp((box[1] - placement.top) * sy, frameRows),
        clamp((box[2] - placement.left) * sx, frameColumns),
        clamp((box[3] - placement.top) * sy, frameRows),
      ],
      score,
      classId,
    }));
  }

  /**
   * Runs the model on frames. `outputs`: the raw model output, channels last; `predictions`: per
   * frame what Loupe shows (class probabilities, the mask on the frame's pixels, the boxes after
   * NMS, the embedding); null for a detector whose card asks for soft-NMS.
   */
  async function predictFrames(tf, model, card, frames) {
    const { rows, columns, channels } = card.input;
    const size = rows * columns * channels;
    const prepared = frames.map((frame) => preprocess(frame, card.preprocessing));
    const input = new Float32Array(frames.length * size);
    prepared.forEach((p, i) => input.set(p.input, i * size));
    const output = tf.tidy(() => model.predict(tf.tensor4d(input, [frames.length, rows, columns, channels])));
    const outputs = await output.data();
    const [, outRows, outColumns] = output.shape;
    output.dispose();
    const perImage = outputs.length / frames.length;
    const predictions = frames.map((frame, i) => {
      const offset = i * perImage;
      if (card.task === 'classification') {
        const probabilities = softmax(outputs, offset, perImage);
        return { probabilities, predicted: argmax(probabilities, 0, perImage) };
      }
      if (card.task === 'segmentation') {
        const outChannels = perImage / (rows * columns);
        const mask = maskOnFrame(
          outputs,
          offset,
          card.input,
          outChannels,
          prepared[i].placement,
          frame.rows,
          frame.columns,
        );
        return { mask, rows: frame.rows, columns: frame.columns };
      }
      if (card.task === 'verification') return { embedding: outputs.slice(offset, offset + perImage) };
      const placement = prepared[i].placement;
      const detections = detect(outputs, offset, outRows, outColumns, card, placement, frame.rows, frame.columns);
      return detections && { detections };
    });
    return { outputs, predictions };
  }

  /** Two embeddings compared as Loupe does: cosine similarity, the distance of unit vectors, and "same" when similarity ≥ threshold. */
  function compare(a, b, threshold) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    const score = na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
    return { score, distance: Math.sqrt(Math.max(0, 2 - 2 * score)), same: score >= threshold };
  }

  root.LoupeExport = { registerLayers, loadModel, preprocess, predictFrames, compare };
})(globalThis);
