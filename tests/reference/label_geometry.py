#!/usr/bin/python3
"""Reference answers for Loupe's label geometry tests (contract/geometry).

Reads a JSON list of cases on stdin, writes a JSON list of answers on stdout. Each answer is
computed independently of Loupe's TypeScript:
  rle         COCO run-length encoding written from pycocotools' maskApi.c
              (rleEncode: column-major runs starting with 0; rleToString: 6-bit LEB128-like
              characters from '0', delta to the count two back for index > 2).
  polygon     skimage.draw.polygon on the vertices shifted by -0.5 (skimage samples integer
              points; Loupe samples pixel centres), rings combined by XOR = even-odd.
  fill_holes  scipy.ndimage.binary_fill_holes(mask == label), kept where the mask is background.
  flood       skimage.segmentation.flood (|v - seed| <= tolerance), connectivity 1 or 2.
"""
import json
import sys

import numpy as np


def rle_counts(mask):
    flat = np.asarray(mask, dtype=np.uint8).flatten(order="F")
    counts, current, run = [], 0, 0
    for value in flat:
        value = 1 if value else 0
        if value != current:
            counts.append(run)
            run, current = 0, value
        run += 1
    counts.append(run)
    return counts


def rle_to_string(counts):
    out = []
    for i, count in enumerate(counts):
        x = count - counts[i - 2] if i > 2 else count
        more = True
        while more:
            c = x & 0x1F
            x >>= 5  # Python's >> on ints is arithmetic, like C's on signed long
            more = (x != -1) if (c & 0x10) else (x != 0)
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)


def answer(case):
    op = case["op"]
    if op == "rle":
        mask = np.array(case["mask"], dtype=np.uint8).reshape(case["height"], case["width"])
        counts = rle_counts(mask)
        return {"counts": counts, "string": rle_to_string(counts)}
    if op == "polygon":
        from skimage.draw import polygon

        h, w = case["height"], case["width"]
        out = np.zeros((h, w), dtype=np.uint8)
        for ring in case["rings"]:
            xs = np.array(ring[0::2], dtype=float) - 0.5
            ys = np.array(ring[1::2], dtype=float) - 0.5
            rr, cc = polygon(ys, xs, shape=(h, w))
            layer = np.zeros((h, w), dtype=np.uint8)
            layer[rr, cc] = 1
            out ^= layer
        return {"mask": out.flatten().tolist()}
    if op == "fill_holes":
        from scipy.ndimage import binary_fill_holes

        mask = np.array(case["mask"], dtype=np.uint8).reshape(case["height"], case["width"])
        filled = binary_fill_holes(mask == case["label"])
        holes = filled & (mask != case["label"]) & (mask == 0)
        return {"mask": holes.astype(np.uint8).flatten().tolist()}
    if op == "flood":
        from skimage.segmentation import flood

        image = np.array(case["image"], dtype=np.float64).reshape(case["height"], case["width"])
        region = flood(image, (case["y"], case["x"]), tolerance=case["tolerance"], connectivity=case["connectivity"])
        return {"mask": region.astype(np.uint8).flatten().tolist()}
    raise ValueError(f"unknown op {op}")


if __name__ == "__main__":
    cases = json.load(sys.stdin)
    json.dump([answer(case) for case in cases], sys.stdout)
