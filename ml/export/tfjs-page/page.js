/**
 * page.js — the offline page of a TF.js export bundle: loads the model from loupe-model.js (script
 * tags work from file://, fetch does not), decodes a dropped PNG or JPEG, prepares it with
 * loupe.js exactly as Loupe does, and shows the top classes or the mask over the image.
 */
/* global document, createImageBitmap, ImageData */
(function () {
  'use strict';

  const tf = globalThis.tf;
  const loupe = globalThis.LoupeExport;
  const bundle = globalThis.LOUPE_MODEL;
  const card = bundle.card;
  /** Classes listed for a classification, most probable first. */
  const TOP_CLASSES = 5;
  /** Opacity of the mask drawn over the image. */
  const OVERLAY_ALPHA = 0.45;
  /** Mask colours per class index (background, class 0, is not drawn). */
  const COLOURS = [
    [0, 0, 0],
    [230, 57, 70],
    [42, 157, 143],
    [244, 162, 97],
    [69, 123, 157],
    [155, 93, 229],
    [255, 209, 102],
    [6, 214, 160],
  ];

  const $ = (id) => document.getElementById(id);
  const status = (text, error = false) => {
    $('status').textContent = text;
    $('status').classList.toggle('error', error);
  };

  async function startBackend() {
    // WebGL where the browser offers it; otherwise tfjs's plain JavaScript backend (the one Loupe checked the export on).
    if (!(await tf.setBackend('webgl').catch(() => false))) await tf.setBackend('cpu');
    return tf.getBackend();
  }

  /** A dropped file → a frame as Loupe's decoder gives it: grey when every pixel is grey, else RGB (alpha dropped). */
  async function frameOf(file) {
    const bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    const { width, height } = bitmap;
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext('2d', { willReadFrequently: true });
    context.drawImage(bitmap, 0, 0);
    const rgba = context.getImageData(0, 0, width, height).data;
    let grey = true;
    for (let i = 0; i < rgba.length && grey; i += 4) grey = rgba[i] === rgba[i + 1] && rgba[i] === rgba[i + 2];
    const samples = grey ? 1 : 3;
    const data = new Uint8Array(width * height * samples);
    for (let p = 0; p < width * height; p++) for (let c = 0; c < samples; c++) data[p * samples + c] = rgba[p * 4 + c];
    return {
      frame: { data, rows: height, columns: width, samplesPerPixel: samples, rescaleSlope: 1, rescaleIntercept: 0 },
      rgba,
    };
  }

  function showImage(rgba, frame, mask, detections, canvasId = 'view') {
    const canvas = $(canvasId);
    canvas.width = frame.columns;
    canvas.height = frame.rows;
    const pixels = new Uint8ClampedArray(rgba);
    if (mask) {
      for (let p = 0; p < mask.length; p++) {
        if (mask[p] === 0) continue;
        const colour = COLOURS[mask[p] % COLOURS.length];
        for (let c = 0; c < 3; c++)
          pixels[p * 4 + c] = (1 - OVERLAY_ALPHA) * pixels[p * 4 + c] + OVERLAY_ALPHA * colour[c];
      }
    }
    const context = canvas.getContext('2d');
    context.putImageData(new ImageData(pixels, frame.columns, frame.rows), 0, 0);
    context.lineWidth = Math.max(1, Math.round(frame.columns / 256));
    for (const { box, classId } of detections ?? []) {
      context.strokeStyle = `rgb(${COLOURS[(classId + 1) % COLOURS.length].join(',')})`;
      context.strokeRect(box[0], box[1], box[2] - box[0], box[3] - box[1]);
    }
    canvas.hidden = false;
  }

  function showClasses(prediction) {
    const order = prediction.probabilities.map((p, i) => [p, i]).sort((a, b) => b[0] - a[0]);
    const body = $('classes').querySelector('tbody');
    body.replaceChildren();
    for (const [p, i] of order.slice(0, TOP_CLASSES)) {
      const row = body.insertRow();
      row.insertCell().textContent = card.classes[i];
      const cell = row.insertCell();
      cell.className = 'p';
      cell.textContent = `${(100 * p).toFixed(1)} %`;
      row.dataset.probability = String(p);
    }
    const best = prediction.predicted;
    $('prediction').textContent =
      `Prediction: ${card.classes[best]} (${(100 * prediction.probabilities[best]).toFixed(1)} %)`;
    $('prediction').dataset.class = card.classes[best];
    $('classes').hidden = false;
  }

  function showMask(prediction) {
    const counts = new Array(card.classes.length).fill(0);
    for (const v of prediction.mask) counts[v]++;
    const legend = $('legend');
    legend.replaceChildren();
    card.classes.forEach((name, i) => {
      if (i === 0) return;
      const item = document.createElement('li');
      const swatch = document.createElement('span');
      swatch.style.background = `rgb(${COLOURS[i % COLOURS.length].join(',')})`;
      item.append(swatch, `${name}: ${((100 * counts[i]) / prediction.mask.length).toFixed(1)} % of the image`);
      legend.append(item);
    });
    $('prediction').textContent = `Mask: ${card.classes.slice(1).join(', ')} drawn over the image.`;
    legend.hidden = false;
  }

  function showBoxes(prediction) {
    const legend = $('legend');
    legend.replaceChildren();
    for (const { box, score, classId } of prediction.detections) {
      const item = document.createElement('li');
      const swatch = document.createElement('span');
      swatch.style.background = `rgb(${COLOURS[(classId + 1) % COLOURS.length].join(',')})`;
      const corners = box.map((v) => v.toFixed(1)).join(', ');
      item.append(swatch, `${card.classes[classId]} ${(100 * score).toFixed(1)} % at [${corners}]`);
      legend.append(item);
    }
    const count = prediction.detections.length;
    $('prediction').textContent =
      `${count} detection${count === 1 ? '' : 's'} (score ≥ ${card.detection.scoreThreshold}, NMS at IoU ${card.detection.iouThreshold}).`;
    legend.hidden = false;
  }

  /** Verification: the decoded images of the pair, first and second. */
  const pair = [null, null];

  async function comparePair(model) {
    const frames = pair.map((p) => p.frame);
    const { predictions } = await loupe.predictFrames(tf, model, card, frames);
    const { threshold } = card.verification;
    const result = loupe.compare(predictions[0].embedding, predictions[1].embedding, threshold);
    const verdict = result.same ? 'the same' : 'different';
    $('prediction').textContent =
      `Similarity ${result.score.toFixed(4)} (distance ${result.distance.toFixed(4)}): ${verdict} at the threshold ${threshold.toFixed(4)}.`;
    $('prediction').dataset.score = String(result.score);
    $('prediction').dataset.same = String(result.same);
    $('prediction').hidden = false;
  }

  async function choose(model, file, slot) {
    if (!file) return;
    let decoded;
    try {
      decoded = await frameOf(file);
    } catch {
      status(`${file.name} could not be decoded: drop a PNG or JPEG image.`, true);
      return;
    }
    pair[slot] = decoded;
    showImage(decoded.rgba, decoded.frame, null, null, slot === 0 ? 'view' : 'view2');
    if (pair.includes(null)) {
      status(`${file.name} is the ${slot === 0 ? 'first' : 'second'} image; choose the other one of the pair.`);
      return;
    }
    status('Comparing the pair…');
    await comparePair(model);
    status('Compared.');
  }

  async function predict(model, file) {
    if (!file) return;
    status(`Predicting ${file.name}…`);
    let decoded;
    try {
      decoded = await frameOf(file);
    } catch {
      status(`${file.name} could not be decoded: drop a PNG or JPEG image.`, true);
      return;
    }
    const { predictions } = await loupe.predictFrames(tf, model, card, [decoded.frame]);
    const prediction = predictions[0];
    $('classes').hidden = true;
    $('legend').hidden = true;
    if (card.task === 'classification') showClasses(prediction);
    else if (card.task === 'segmentation') showMask(prediction);
    else showBoxes(prediction);
    showImage(decoded.rgba, decoded.frame, prediction.mask, prediction.detections);
    $('prediction').hidden = false;
    status(`${file.name}: ${decoded.frame.columns} × ${decoded.frame.rows} pixels.`);
  }

  async function main() {
    const { task, classes, model: config, input, run } = card;
    $('title').textContent = `Loupe ${task} model (${config.architecture})`;
    $('summary').textContent =
      `Run ${run.runId}. Input ${input.columns} × ${input.rows} × ${input.channels}. ` +
      (task === 'verification' ? 'Compares a pair of images.' : `Classes: ${classes.join(', ')}.`);
    const backend = await startBackend();
    const model = await loupe.loadModel(tf, bundle);
    status(`Model ready (TensorFlow.js ${tf.version.tfjs}, ${backend} backend). Drop an image.`);
    document.body.dataset.ready = 'true';
    const verification = task === 'verification';
    $('drop2').hidden = !verification;
    const run1 = (file, slot) =>
      (verification ? choose(model, file, slot) : predict(model, file)).catch((error) =>
        status(`Prediction failed: ${error.message}`, true),
      );
    $('file').addEventListener('change', () => run1($('file').files[0], 0));
    $('file2').addEventListener('change', () => run1($('file2').files[0], 1));
    // The whole page takes the drop: a file dropped beside the box would otherwise replace the page.
    const drop = $('drop');
    document.addEventListener('dragover', (event) => {
      event.preventDefault();
      drop.classList.add('over');
    });
    document.addEventListener('dragleave', () => drop.classList.remove('over'));
    document.addEventListener('drop', (event) => {
      event.preventDefault();
      drop.classList.remove('over');
      // A drop on the second box (verification) is the pair's second image.
      run1(event.dataTransfer.files[0], event.target.closest && event.target.closest('#drop2') ? 1 : 0);
    });
  }

  main().catch((error) => status(`The model could not be loaded: ${error.message}`, true));
})();
