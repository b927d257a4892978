/**
 * The Node example runner written into every ONNX bundle (run_onnx.mjs): reads a PNG, prepares it
 * as Loupe does (grey as BT.601 luma or RGB, bilinear resize with half-pixel centres, stretch or
 * centred pad; the intensity scaling too when the graph does not do it), runs the model with
 * onnxruntime-node and prints Loupe's prediction as JSON. Needs `npm install onnxruntime-node fast-png`.
 */
export const NODE_RUNNER = String.raw`#!/usr/bin/env node
// Runs this bundle's model.onnx on a PNG and prints the prediction Loupe gives, as JSON.
// Usage: node run_onnx.mjs image.png      (npm install onnxruntime-node fast-png)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode } from 'fast-png';
import * as ort from 'onnxruntime-node';

const here = path.dirname(fileURLToPath(import.meta.url));
const card = JSON.parse(readFileSync(path.join(here, 'model-card.json'), 'utf8'));
const spec = card.loupe.preprocessing;
const { input, output } = card.onnx;

function placementFor(rows, columns) {
  if (spec.resize === 'stretch') return { top: 0, left: 0, height: spec.rows, width: spec.columns };
  const f = Math.min(spec.rows / rows, spec.columns / columns);
  const height = Math.max(1, Math.round(rows * f));
  const width = Math.max(1, Math.round(columns * f));
  return { top: Math.floor((spec.rows - height) / 2), left: Math.floor((spec.columns - width) / 2), height, width };
}

/** Half-pixel-centre bilinear resize of HWC values into the placement of a zeroed input. */
function resize(src, rows, columns, channels, p) {
  const out = new Float32Array(spec.rows * spec.columns * channels);
  for (let y = 0; y < p.height; y++) {
    const sy = Math.min(Math.max((y + 0.5) * (rows / p.height) - 0.5, 0), rows - 1);
    const y0 = Math.floor(sy), y1 = Math.min(y0 + 1, rows - 1), fy = sy - y0;
    for (let x = 0; x < p.width; x++) {
      const sx = Math.min(Math.max((x + 0.5) * (columns / p.width) - 0.5, 0), columns - 1);
      const x0 = Math.floor(sx), x1 = Math.min(x0 + 1, columns - 1), fx = sx - x0;
      const o = ((y + p.top) * spec.columns + x + p.left) * channels;
      for (let c = 0; c < channels; c++) {
        const at = (yy, xx) => src[(yy * columns + xx) * channels + c];
        out[o + c] = (at(y0, x0) * (1 - fx) + at(y0, x1) * fx) * (1 - fy) + (at(y1, x0) * (1 - fx) + at(y1, x1) * fx) * fy;
      }
    }
  }
  return out;
}

/** Intensity to [0, 1] and standardisation, for a graph exported with --no-preprocessing. */
function scale(values, depth) {
  const i = spec.intensity;
  let low, high, clip = true;
  if (i.mode === 'window') [low, high] = [i.window.center - 0.5 - (i.window.width - 1) / 2, i.window.center - 0.5 + (i.window.width - 1) / 2];
  else if (i.mode === 'range') [low, high] = [i.min, i.max];
  else if (i.mode === 'per-image') [low, high] = [Math.min(...values), Math.max(...values)];
  else { [low, high] = [0, 2 ** depth - 1]; clip = false; }
  const span = high - low > 0 ? high - low : 1;
  return values.map((v, k) => {
    let s = (v - low) / span;
    if (clip) s = Math.min(1, Math.max(0, s));
    if (!spec.normalize) return s;
    const c = k % spec.channels;
    const m = spec.normalize.mean, d = spec.normalize.std;
    return (s - m[Math.min(c, m.length - 1)]) / d[Math.min(c, d.length - 1)];
  });
}

const png = decode(readFileSync(process.argv[2]));
const { width: columns, height: rows } = png;
const samples = png.channels;
const channels = spec.channels;
const converted = new Float32Array(rows * columns * channels);
for (let p = 0; p < rows * columns; p++) {
  const s = (c) => png.data[p * samples + c];
  if (samples < 3) for (let c = 0; c < channels; c++) converted[p * channels + c] = s(0);
  else if (channels === 1) converted[p] = 0.299 * s(0) + 0.587 * s(1) + 0.114 * s(2);
  else for (let c = 0; c < 3; c++) converted[p * 3 + c] = s(c);
}
const placement = placementFor(rows, columns);
let hwc = rows === spec.rows && columns === spec.columns ? converted : resize(converted, rows, columns, channels, placement);
if (!card.onnx.preprocessingBaked) hwc = scale(hwc, png.depth);
const pixels = spec.rows * spec.columns;
const chw = new Float32Array(hwc.length);
for (let p = 0; p < pixels; p++) for (let c = 0; c < channels; c++) chw[c * pixels + p] = hwc[p * channels + c];

const session = await ort.InferenceSession.create(path.join(here, 'model.onnx'));
const result = await session.run({ [input.name]: new ort.Tensor('float32', chw, [1, channels, spec.rows, spec.columns]) });
const values = result[output.name].data;
const classes = card.loupe.classes;
if (card.loupe.task === 'classification') {
  const max = Math.max(...values);
  const e = Array.from(values, (v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  const probabilities = e.map((v) => v / sum);
  const predicted = probabilities.indexOf(Math.max(...probabilities));
  console.log(JSON.stringify({ predicted, class: classes[predicted], probabilities }));
} else if (card.loupe.task === 'segmentation') {
  // Class per input pixel, then back on the image: padding cropped, nearest resize to its size.
  const k = values.length / pixels;
  const counts = new Array(classes.length).fill(0);
  for (let y = 0; y < rows; y++) {
    const iy = placement.top + Math.min(placement.height - 1, Math.floor(((y + 0.5) * placement.height) / rows));
    for (let x = 0; x < columns; x++) {
      const ix = placement.left + Math.min(placement.width - 1, Math.floor(((x + 0.5) * placement.width) / columns));
      const q = iy * spec.columns + ix;
      let best = 0;
      if (k === 1) best = values[q] > 0 ? 1 : 0;
      else for (let c = 1; c < k; c++) if (values[c * pixels + q] > values[best * pixels + q]) best = c;
      counts[best] += 1;
    }
  }
  console.log(JSON.stringify({ rows, columns, classPixels: counts }));
} else if (card.loupe.task === 'verification') {
  console.log(JSON.stringify({ embedding: Array.from(values) }));
} else {
  console.log(JSON.stringify({ detections: detect(values, result[output.name].dims.map(Number)) }));
}

/** CenterNet peaks (3×3 local maxima, top K), boxes, score threshold, hard NMS per class, as Loupe. */
function detect(out, [, k4, h, w]) {
  const d = { scoreThreshold: 0.3, iouThreshold: 0.5, method: 'nms', maxDetections: 100, classAgnostic: false, topK: 100, ...card.loupe.detection };
  if (d.method !== 'nms') throw new Error('This runner applies hard NMS; the card asks for ' + d.method + '.');
  const c = k4 - 4, cells = h * w, stride = spec.rows / h, at = (ch, y, x) => out[ch * cells + y * w + x];
  const peaks = [];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) {
    const v = at(k, y, x);
    let max = v;
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
      const yy = y + dy, xx = x + dx;
      if (yy >= 0 && yy < h && xx >= 0 && xx < w) max = Math.max(max, at(k, yy, xx));
    }
    peaks.push({ score: v === max ? v : 0, index: (y * w + x) * c + k, x, y, k });
  }
  peaks.sort((a, b) => b.score - a.score || a.index - b.index);
  const f = Math.fround, clamp = (v, hi) => Math.min(Math.max(v, 0), hi);
  const boxes = peaks.slice(0, Math.min(d.topK, peaks.length)).filter((p) => p.score >= d.scoreThreshold).map((p) => {
    const [bw, bh] = [Math.max(0, at(c, p.y, p.x)), Math.max(0, at(c + 1, p.y, p.x))];
    const cx = (p.x + at(c + 2, p.y, p.x)) * stride, cy = (p.y + at(c + 3, p.y, p.x)) * stride;
    const box = Float32Array.from([clamp(cx - (bw * stride) / 2, spec.columns), clamp(cy - (bh * stride) / 2, spec.rows), clamp(cx + (bw * stride) / 2, spec.columns), clamp(cy + (bh * stride) / 2, spec.rows)]);
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
  // Back on the image: padding removed, scaled to its size.
  const sx = columns / placement.width, sy = rows / placement.height;
  return kept.slice(0, d.maxDetections).map(({ box, score, classId }) => ({
    box: [clamp((box[0] - placement.left) * sx, columns), clamp((box[1] - placement.top) * sy, rows), clamp((box[2] - placement.left) * sx, columns), clamp((box[3] - placement.top) * sy, rows)],
    score,
    classId,
    class: classes[classId],
  }));
}
`;
