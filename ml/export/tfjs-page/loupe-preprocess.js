/**
 * loupe-preprocess.js — shipped in every TF.js export bundle, loaded before loupe.js. Loupe's
 * preprocessing for a frame (rescale, luma or RGB, bilinear resize with `stretch`/`pad`, intensity
 * scaling, standardisation) in plain JavaScript, so that a browser or any JavaScript runtime
 * prepares the model input exactly as Loupe does. Exposes `globalThis.LoupePreprocess`.
 */
(function (root) {
  'use strict';

  /** ITU-R BT.601 luma weights: colour to grey as Loupe does. */
  const LUMA = [0.299, 0.587, 0.114];
  /** Value range of a stored sample type, before rescale; other types scale by [0, 1]. */
  const DTYPE_RANGES = { Uint8Array: [0, 255], Uint16Array: [0, 65535], Int16Array: [-32768, 32767] };

  /** Where a frame's content lands in the model input: `stretch` fills it, `pad` keeps the aspect ratio, centred. */
  function placementFor(rows, columns, spec) {
    if (spec.resize === 'stretch') return { top: 0, left: 0, height: spec.rows, width: spec.columns };
    const factor = Math.min(spec.rows / rows, spec.columns / columns);
    const height = Math.max(1, Math.round(rows * factor));
    const width = Math.max(1, Math.round(columns * factor));
    return { top: Math.floor((spec.rows - height) / 2), left: Math.floor((spec.columns - width) / 2), height, width };
  }

  /** Bilinear resize with half-pixel centres into the placement of a zeroed input. */
  function resizeBilinear(src, rows, columns, channels, outRows, outColumns, p) {
    const out = new Float32Array(outRows * outColumns * channels);
    const scaleY = rows / p.height;
    const scaleX = columns / p.width;
    for (let y = 0; y < p.height; y++) {
      const sy = Math.min(Math.max((y + 0.5) * scaleY - 0.5, 0), rows - 1);
      const y0 = Math.floor(sy);
      const y1 = Math.min(y0 + 1, rows - 1);
      const fy = sy - y0;
      for (let x = 0; x < p.width; x++) {
        const sx = Math.min(Math.max((x + 0.5) * scaleX - 0.5, 0), columns - 1);
        const x0 = Math.floor(sx);
        const x1 = Math.min(x0 + 1, columns - 1);
        const fx = sx - x0;
        const o = ((y + p.top) * outColumns + x + p.left) * channels;
        for (let c = 0; c < channels; c++) {
          const a = src[(y0 * columns + x0) * channels + c];
          const b = src[(y0 * columns + x1) * channels + c];
          const d = src[(y1 * columns + x0) * channels + c];
          const e = src[(y1 * columns + x1) * channels + c];
          out[o + c] = (a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy;
        }
      }
    }
    return out;
  }

  /**
   * A frame ({ data, rows, columns, samplesPerPixel, rescaleSlope, rescaleIntercept }) → the model
   * input (rows × columns × channels, Float32Array) and its placement, by the card's preprocessing:
   * modality values (rescale) → channels → resize → intensity to [0, 1] → standardisation.
   */
  function preprocess(frame, spec) {
    const { rows, columns, samplesPerPixel, data } = frame;
    const slope = spec.applyRescale ? frame.rescaleSlope : 1;
    const intercept = spec.applyRescale ? frame.rescaleIntercept : 0;
    const pixels = rows * columns;
    const channels = spec.channels;
    const converted = new Float32Array(pixels * channels);
    for (let p = 0; p < pixels; p++) {
      if (samplesPerPixel === 1) {
        const value = data[p] * slope + intercept;
        for (let c = 0; c < channels; c++) converted[p * channels + c] = value;
      } else if (channels === 1) {
        const base = p * samplesPerPixel;
        converted[p] = (LUMA[0] * data[base] + LUMA[1] * data[base + 1] + LUMA[2] * data[base + 2]) * slope + intercept;
      } else {
        for (let c = 0; c < 3; c++) converted[p * 3 + c] = data[p * samplesPerPixel + c] * slope + intercept;
      }
    }
    const placement = placementFor(rows, columns, spec);
    const same = rows === spec.rows && columns === spec.columns;
    const input = same
      ? converted
      : resizeBilinear(converted, rows, columns, channels, spec.rows, spec.columns, placement);
    const range = DTYPE_RANGES[Object.prototype.toString.call(data).slice(8, -1)];
    const ends = range ? [range[0] * slope + intercept, range[1] * slope + intercept] : [0, 1];
    scaleIntensity(input, spec, [Math.min(ends[0], ends[1]), Math.max(ends[0], ends[1])]);
    return { input, placement };
  }

  function scaleIntensity(data, spec, dtypeRange) {
    const intensity = spec.intensity;
    let low;
    let high;
    let clip = true;
    if (intensity.mode === 'window') {
      low = intensity.window.center - 0.5 - (intensity.window.width - 1) / 2;
      high = intensity.window.center - 0.5 + (intensity.window.width - 1) / 2;
    } else if (intensity.mode === 'range') {
      low = intensity.min;
      high = intensity.max;
    } else if (intensity.mode === 'per-image') {
      low = Infinity;
      high = -Infinity;
      for (const v of data) {
        if (v < low) low = v;
        if (v > high) high = v;
      }
    } else if (intensity.mode === 'dtype') {
      [low, high] = dtypeRange;
      clip = false;
    } else {
      throw new Error(`Unknown intensity mode "${intensity.mode}" in the model card.`);
    }
    const span = high - low > 0 ? high - low : 1;
    for (let i = 0; i < data.length; i++) {
      const v = (data[i] - low) / span;
      data[i] = clip ? Math.min(1, Math.max(0, v)) : v;
    }
    const normalize = spec.normalize;
    if (!normalize) return;
    for (let i = 0; i < data.length; i++) {
      const c = i % spec.channels;
      const mean = normalize.mean[Math.min(c, normalize.mean.length - 1)];
      const std = normalize.std[Math.min(c, normalize.std.length - 1)];
      data[i] = (data[i] - mean) / std;
    }
  }

  root.LoupePreprocess = { preprocess };
})(globalThis);
