/**
 * The Python example runner written into every ONNX bundle (run_onnx.py): the same steps as the
 * Node runner (runner-node.ts) with Pillow, NumPy and onnxruntime (`pip install onnxruntime pillow numpy`).
 */
export const PYTHON_RUNNER = String.raw`#!/usr/bin/env python3
"""Runs this bundle's model.onnx on a PNG and prints the prediction Loupe gives, as JSON.

Usage: python3 run_onnx.py image.png     (pip install onnxruntime pillow numpy)
"""
import json
import pathlib
import sys

import numpy as np
import onnxruntime as ort
from PIL import Image

here = pathlib.Path(__file__).resolve().parent
card = json.loads((here / "model-card.json").read_text())
spec = card["loupe"]["preprocessing"]
io = card["onnx"]
rows_in, cols_in, channels = spec["rows"], spec["columns"], spec["channels"]

image = Image.open(sys.argv[1])
depth = 16 if image.mode.startswith("I") else 8
pixels = np.array(image).astype(np.float64)
if pixels.ndim == 2:
    pixels = pixels[:, :, None]
rows, columns = pixels.shape[:2]
if pixels.shape[2] < 3:
    converted = np.repeat(pixels[:, :, :1], channels, axis=2)
elif channels == 1:
    converted = (0.299 * pixels[:, :, 0] + 0.587 * pixels[:, :, 1] + 0.114 * pixels[:, :, 2])[:, :, None]
else:
    converted = pixels[:, :, :3]
converted = converted.astype(np.float32)

if spec["resize"] == "stretch":
    top, left, height, width = 0, 0, rows_in, cols_in
else:
    f = min(rows_in / rows, cols_in / columns)
    height, width = max(1, round(rows * f)), max(1, round(columns * f))
    top, left = (rows_in - height) // 2, (cols_in - width) // 2


def source(out_size, in_size):
    """Half-pixel-centre bilinear sample positions, as Loupe's resize."""
    s = np.clip((np.arange(out_size) + 0.5) * (in_size / out_size) - 0.5, 0, in_size - 1)
    i0 = np.floor(s).astype(int)
    return i0, np.minimum(i0 + 1, in_size - 1), (s - i0).astype(np.float32)


if (rows, columns) == (rows_in, cols_in):
    hwc = converted
else:
    y0, y1, fy = source(height, rows)
    x0, x1, fx = source(width, columns)
    fx, fy = fx[None, :, None], fy[:, None, None]
    a, b = converted[y0][:, x0], converted[y0][:, x1]
    d, e = converted[y1][:, x0], converted[y1][:, x1]
    hwc = np.zeros((rows_in, cols_in, channels), np.float32)
    hwc[top:top + height, left:left + width] = (a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy

if not io["preprocessingBaked"]:
    i = spec["intensity"]
    clip = True
    if i["mode"] == "window":
        c, w = i["window"]["center"], i["window"]["width"]
        low, high = c - 0.5 - (w - 1) / 2, c - 0.5 + (w - 1) / 2
    elif i["mode"] == "range":
        low, high = i["min"], i["max"]
    elif i["mode"] == "per-image":
        low, high = float(hwc.min()), float(hwc.max())
    else:
        low, high, clip = 0, 2 ** depth - 1, False
    span = high - low if high - low > 0 else 1
    hwc = (hwc - low) / span
    if clip:
        hwc = np.clip(hwc, 0, 1)
    if spec.get("normalize"):
        m, s = spec["normalize"]["mean"], spec["normalize"]["std"]
        hwc = (hwc - np.array([m[min(k, len(m) - 1)] for k in range(channels)])) / np.array([s[min(k, len(s) - 1)] for k in range(channels)])

batch = np.ascontiguousarray(hwc.transpose(2, 0, 1)[None].astype(np.float32))
session = ort.InferenceSession(str(here / "model.onnx"), providers=["CPUExecutionProvider"])
values = session.run([io["output"]["name"]], {io["input"]["name"]: batch})[0]
task, classes = card["loupe"]["task"], card["loupe"]["classes"]
if task == "classification":
    e = np.exp(values[0] - values[0].max())
    p = e / e.sum()
    print(json.dumps({"predicted": int(p.argmax()), "class": classes[int(p.argmax())], "probabilities": p.tolist()}))
elif task == "segmentation":
    logits = values[0]
    class_map = (logits[0] > 0).astype(int) if logits.shape[0] == 1 else logits.argmax(axis=0)
    ys = top + np.minimum(height - 1, ((np.arange(rows) + 0.5) * height / rows).astype(int))
    xs = left + np.minimum(width - 1, ((np.arange(columns) + 0.5) * width / columns).astype(int))
    mask = class_map[ys][:, xs]
    print(json.dumps({"rows": rows, "columns": columns, "classPixels": np.bincount(mask.ravel(), minlength=len(classes)).tolist()}))
elif task == "verification":
    print(json.dumps({"embedding": values[0].tolist()}))
else:
    print(json.dumps({"output": io["output"]["name"], "shape": list(values.shape), "note": "decode peaks and NMS as model-card.json detection settings say"}))
`;
