"""Iso-lines of scalar maps by scikit-image's measure.find_contours, and Dice by numpy, for
contract/geometry/iso-lines.test.ts. Input: JSON cases on stdin; output: JSON answers."""
import json
import sys

import numpy as np
from skimage import measure


def answer(case):
    if case["op"] == "contours":
        values = np.array(case["values"], dtype=np.float64).reshape(case["height"], case["width"])
        segments = []
        for contour in measure.find_contours(values, case["level"], fully_connected="low"):
            for a, b in zip(contour[:-1], contour[1:]):
                # (row, col) -> source pixel coordinates (x, y) at pixel centres.
                segments.append([a[1] + 0.5, a[0] + 0.5, b[1] + 0.5, b[0] + 0.5])
        return segments
    a = np.array(case["a"]) == case["value"]
    b = np.array(case["b"]) == case["value"]
    total = a.sum() + b.sum()
    return None if total == 0 else float(2 * np.logical_and(a, b).sum() / total)


print(json.dumps([answer(c) for c in json.load(sys.stdin)]))
