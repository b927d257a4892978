"""PyTorch peer of `npm run bench:predict`: rebuilds the Loupe model from the twin written by
bench/predict-twin.ts (same ops, same weights), runs it on the benchmark's prepared input tensors
(float32 NCHW, the same ONNX Runtime is given) and prints one JSON line: images/s (median of the
timed passes) and its logits on the first batch, which the benchmark compares with ONNX Runtime's.

    python3 bench/predict_torch.py TWIN_BASE INPUT.bin N C H W --threads T --batch B --passes P
"""
import argparse
import json
import statistics
import time

import numpy as np
import torch
from torch import nn


def build(base):
    ops = json.load(open(base + ".json"))
    weights = np.fromfile(base + ".bin", dtype=np.float32)

    def tensor(spec):
        n = int(np.prod(spec["shape"]))
        return torch.from_numpy(weights[spec["offset"]: spec["offset"] + n].reshape(spec["shape"]).copy())

    layers = []
    for op in ops:
        t = {k: tensor(v) for k, v in op.get("tensors", {}).items()}
        kind = op["type"]
        if kind == "conv":
            cout, cin, kh, _ = t["weight"].shape
            conv = nn.Conv2d(cin, cout, kh, stride=op["config"]["stride"], padding="same", bias="bias" in t)
            conv.weight.data = t["weight"]
            if "bias" in t:
                conv.bias.data = t["bias"]
            layers.append(conv)
        elif kind == "batchnorm":
            bn = nn.BatchNorm2d(t["weight"].shape[0], eps=op["config"]["eps"])
            bn.weight.data, bn.bias.data = t["weight"], t["bias"]
            bn.running_mean.data, bn.running_var.data = t["mean"], t["var"]
            layers.append(bn)
        elif kind == "relu":
            layers.append(nn.ReLU())
        elif kind == "maxpool":
            layers.append(nn.MaxPool2d(op["config"]["size"]))
        elif kind == "gap":
            layers.extend([nn.AdaptiveAvgPool2d(1), nn.Flatten()])
        elif kind == "dense":
            dense = nn.Linear(t["weight"].shape[1], t["weight"].shape[0])
            dense.weight.data, dense.bias.data = t["weight"], t["bias"]
            layers.append(dense)
    return nn.Sequential(*layers).eval()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("input")
    parser.add_argument("shape", nargs=4, type=int)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--passes", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = build(args.base)
    images = torch.from_numpy(np.fromfile(args.input, dtype=np.float32).reshape(args.shape))
    batches = [images[i: i + args.batch] for i in range(0, images.shape[0], args.batch)]
    times = []
    with torch.no_grad():
        first = model(batches[0])
        for p in range(args.passes):
            b = batches[p % len(batches)]
            start = time.perf_counter()
            model(b)
            times.append(b.shape[0] / (time.perf_counter() - start))
    print(json.dumps({"imagesPerSecond": statistics.median(times), "torch": torch.__version__,
                      "logits": first.flatten().tolist()}))


if __name__ == "__main__":
    main()
