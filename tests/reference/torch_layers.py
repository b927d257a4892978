"""Reference layer outputs for Loupe's Layers panel and "Label next" embeddings (Debian /usr/bin/python3, python3-torch).

Reads JSON on stdin: {"layers": [...] as tests/helpers/torch-twin.ts describes them, "input":
{"shape": [N, H, W, C], "data": [...]}, "targets": [layer names], "filters": name of a Conv2D
layer or null}. Rebuilds the model in torch (tests/reference/torch_gradcam.py's twin, float64),
and writes {"activations": {name: NCHW values, flat}, "logits": [...], "filters": that layer's
kernel as [out][in][row][column], flat, or null}. Each target's values are its twin layer's
output in the forward pass, what a forward hook on that layer of a torch model would record.
"""
import json
import sys

import torch

from torch_gradcam import forward, tensor


def main():
    request = json.load(sys.stdin)
    layers = request["layers"]
    image = tensor(request["input"]).permute(0, 3, 1, 2).contiguous()
    activations = {}
    with torch.no_grad():
        for target in request["targets"]:
            output, kept = forward(layers, image, target)
            activations[target] = kept.reshape(-1).tolist()
    filters = None
    if request.get("filters"):
        layer = next(l for l in layers if l["name"] == request["filters"])
        # Keras stores [row, column, in, out]; torch's conv2d weight is [out, in, row, column].
        filters = tensor(layer["weights"][0]).permute(3, 2, 0, 1).reshape(-1).tolist()
    json.dump({"activations": activations, "logits": output.reshape(-1).tolist(), "filters": filters}, sys.stdout)


if __name__ == "__main__":
    main()
