"""Matplotlib's colour maps sampled at given points: the reference for the Review heatmap's colours.

stdin: {"maps": ["turbo", ...], "points": [0.0, ...]}; stdout: {"turbo": [[r, g, b], ...], ...} in [0, 1].
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
from matplotlib import colormaps  # noqa: E402

request = json.load(sys.stdin)
out = {}
for name in request["maps"]:
    cmap = colormaps[name]
    out[name] = [list(map(float, cmap(float(x))[:3])) for x in request["points"]]
json.dump(out, sys.stdout)
