"""Reference Grad-CAM, Grad-CAM++ and LayerCAM from PyTorch for Loupe's detection and verification explanations.

Reads JSON on stdin: {"layers": [...] (as torch_gradcam.py), "target": layer name, and either
"detection": {"input": {shape, data} (NHWC), "logitLayer": the heatmap head's last convolution,
"cases": [{"y", "x", "classIndex"}]} or "verification": {"a": {shape, data}, "b": {shape, data}}}.
Rebuilds the network in torch (NCHW, float64) with torch_gradcam.py's layers, plus what detection
and Siamese heads add: a Conv2D or Dense layer's own activation (relu, sigmoid, linear) and
Loupe's L2 normalisation layer.

Detection: per case, the score is the heatmap head's logit (its last convolution WITHOUT the
sigmoid) at cell (y, x) in channel classIndex; Grad-CAM, Grad-CAM++ and LayerCAM at the target layer.
Verification: the score is the cosine similarity of the two embeddings; each image's map comes
from d(cos)/d(that image's target feature map) (the other embedding fixed, which is what autograd
gives when both run through the same layers). Writes {"maps": [...]} or {"similarity", "a", "b"},
every map row-major, ReLU-ed and min-max normalised. Run with /usr/bin/python3 (python3-torch).
"""
import json
import sys

import torch
import torch.nn.functional as F

import torch_gradcam as base

torch.set_default_dtype(torch.float64)

ACTIVATIONS = {"relu": lambda x: x.clamp(min=0), "sigmoid": torch.sigmoid, "linear": lambda x: x, None: lambda x: x}


def apply(layer, xs, linear=False):
    cls, cfg = layer["className"], layer["config"]
    if cls == "LoupeL2Normalize":
        x = xs[0]
        return x / x.pow(2).sum(-1, keepdim=True).clamp(min=1e-12).sqrt()
    y = base.apply(layer, xs)
    if cls in ("Conv2D", "Dense") and not linear:
        y = ACTIVATIONS[cfg.get("activation")](y)
    return y


def forward(layers, image, target, stop=None):
    """Runs the network; with `stop`, returns that layer's output without its activation."""
    values, kept = {}, None
    for layer in layers:
        if layer["className"] == "InputLayer":
            values[layer["name"]] = image
            continue
        y = apply(layer, [values[n] for n in layer["inbound"]], linear=layer["name"] == stop)
        if layer["name"] == target:
            y.retain_grad()
            kept = y
        values[layer["name"]] = y
        if layer["name"] == stop:
            return y, kept
    return values[layers[-1]["name"]], kept


def cams(activations):
    a, g = activations.detach()[0], activations.grad[0]
    gradcam = (g.mean(dim=(1, 2)).reshape(-1, 1, 1) * a).sum(0)
    g2, g3 = g**2, g**3
    alpha = g2 / (2 * g2 + a.sum(dim=(1, 2)).reshape(-1, 1, 1) * g3 + base.EPS)
    alpha = torch.where(g != 0, alpha, torch.zeros_like(alpha))
    weights = (alpha * g.clamp(min=0)).sum(dim=(1, 2))
    plusplus = (weights.reshape(-1, 1, 1) * a).sum(0)
    layercam = (g.clamp(min=0) * a).sum(0)
    return {
        "gradcam": base.normalised(gradcam),
        "gradcam++": base.normalised(plusplus),
        "layercam": base.normalised(layercam),
    }


def nchw(t):
    return base.tensor(t).permute(0, 3, 1, 2).contiguous().requires_grad_(True)


def detection(layers, target, request):
    maps = []
    for case in request["cases"]:
        logits, activations = forward(layers, nchw(request["input"]), target, stop=request["logitLayer"])
        logits[0, case["classIndex"], case["y"], case["x"]].backward()
        maps.append(cams(activations))
    return {"maps": maps}


def verification(layers, target, request):
    ea, fa = forward(layers, nchw(request["a"]), target)
    eb, fb = forward(layers, nchw(request["b"]), target)
    cosine = F.cosine_similarity(ea, eb, dim=-1)[0]
    cosine.backward()
    return {"similarity": cosine.item(), "a": cams(fa), "b": cams(fb)}


def main():
    request = json.load(sys.stdin)
    layers, target = request["layers"], request["target"]
    if "detection" in request:
        result = detection(layers, target, request["detection"])
    else:
        result = verification(layers, target, request["verification"])
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
