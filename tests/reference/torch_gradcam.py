"""Reference Grad-CAM, Grad-CAM++ and LayerCAM from PyTorch for Loupe's explanation tests.

Reads JSON on stdin: {"layers": [{name, className, config, inbound, weights}], "input": {shape, data}
(NHWC), "cases": [{"target", "classIndex"}]}; rebuilds the same network in torch (NCHW, float64),
from the layer list and the saved weights, and writes {"maps": [{"gradcam", "gradcam++",
"layercam", "logits"}]}: maps at the target layer's resolution, row-major, ReLU-ed and min-max normalised.
Grad-CAM follows Selvaraju et al. (2017); Grad-CAM++ the closed form of Chattopadhyay et al. (2018)
as in pytorch-grad-cam (jacobgil); LayerCAM (Jiang et al., 2021) weights every location of every
channel by the ReLU of its own gradient. With "scorecam": true each case also has "scorecam", Score-CAM
(Wang et al., 2020): each target channel, upsampled bilinearly (align_corners=False) to the input
and min-max normalised (a constant channel: zeros), masks the input; its weight is the class's
softmax probability for the masked input, where the input fades to its Gaussian blur (sigma 1/16 of
the shorter side, 3-sigma taps, reflected edges) instead of to zero. A case with "segmentation": true explains a U-Net's output
(NCHW logits) as Seg-Grad-CAM (Vinogradova et al., 2020): the score is the sum of the class's logits
over the pixels predicted as that class (argmax, or logit > 0 for one sigmoid channel, whose
background logit is its negative), over every pixel when there are none. A case with "guided": true
also has "guided" (guided backpropagation, Springenberg et al. 2015: every ReLU's gradient passes only
where its input and the incoming gradient are positive; the map is the largest |gradient| over the
input channels) and "guidedGradcam" (that magnitude times the normalised Grad-CAM map upsampled
bilinearly to the input), both at input resolution. Run with /usr/bin/python3 (python3-torch).
"""
import json
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
EPS = 1e-7


def tensor(w):
    return torch.tensor(w["data"], dtype=torch.float64).reshape(w["shape"])


def same_pad(x, kernel, stride, value=0.0):
    # TensorFlow's 'same': the extra padding goes at the bottom/right.
    pads = []
    for size, k in ((x.shape[3], kernel[1]), (x.shape[2], kernel[0])):
        out = -(-size // stride)
        total = max((out - 1) * stride + k - size, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads, value=value)


def pair(v):
    return v if isinstance(v, list) else [v, v]


class GuidedReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, max_value):
        ctx.save_for_backward(x)
        ctx.max_value = max_value
        return x.clamp(min=0, max=max_value) if max_value is not None else x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        gate = (x > 0) & (grad > 0)
        if ctx.max_value is not None:
            gate = gate & (x < ctx.max_value)
        return grad * gate, None


def apply(layer, xs, guided=False):
    cls, cfg, ws = layer["className"], layer["config"], [tensor(w) for w in layer["weights"]]
    x = xs[0]
    if cls in ("Conv2D", "DepthwiseConv2D"):
        k, s = pair(cfg["kernelSize"] if "kernelSize" in cfg else cfg["kernel_size"]), pair(cfg["strides"])[0]
        if cfg["padding"] == "same":
            x = same_pad(x, k, s)
        if cls == "Conv2D":
            y = F.conv2d(x, ws[0].permute(3, 2, 0, 1), stride=s)
        else:
            channels = x.shape[1]
            y = F.conv2d(x, ws[0].permute(2, 3, 0, 1).reshape(-1, 1, k[0], k[1]), stride=s, groups=channels)
        if len(ws) > 1:
            y = y + ws[1].reshape(1, -1, 1, 1)
        return y
    if cls == "BatchNormalization":
        gamma, beta, mean, var = ws
        return F.batch_norm(x, mean, var, gamma, beta, training=False, eps=cfg["epsilon"])
    if cls == "ReLU" and guided:
        return GuidedReLU.apply(x, cfg.get("maxValue"))
    if cls == "ReLU":
        return x.clamp(min=0, max=cfg["maxValue"]) if cfg.get("maxValue") is not None else x.clamp(min=0)
    if cls == "MaxPooling2D":
        k, s = pair(cfg["poolSize"] if "poolSize" in cfg else cfg["pool_size"]), pair(cfg["strides"])[0]
        if cfg["padding"] == "same":
            x = same_pad(x, k, s, value=float("-inf"))
        return F.max_pool2d(x, k, s)
    if cls == "Add":
        return sum(xs[1:], xs[0])
    if cls == "Concatenate":
        return torch.cat(xs, dim=1)
    if cls == "UpSampling2D":
        return F.interpolate(x, scale_factor=tuple(pair(cfg["size"])), mode="nearest")
    if cls == "GlobalAveragePooling2D":
        return x.mean(dim=(2, 3))
    if cls == "Dense":
        return F.linear(x, ws[0].t(), ws[1] if len(ws) > 1 else None)
    raise ValueError("No torch twin for layer class " + cls)


def forward(layers, image, target, guided=False):
    values = {}
    kept = None
    for layer in layers:
        if layer["className"] == "InputLayer":
            values[layer["name"]] = image
            continue
        y = apply(layer, [values[n] for n in layer["inbound"]], guided)
        if layer["name"] == target:
            if y.requires_grad:
                y.retain_grad()
            kept = y
        values[layer["name"]] = y
    return values[layers[-1]["name"]], kept


def normalised(cam):
    cam = cam.clamp(min=0)
    lo, hi = cam.min(), cam.max()
    return ((cam - lo) / (hi - lo) if hi > lo else torch.zeros_like(cam)).reshape(-1).tolist()


BLUR_SHARE = 1 / 16


def blurred(image):
    rows, columns = image.shape[2:]
    sigma = BLUR_SHARE * min(rows, columns)
    radius = min(int(-(-3 * sigma // 1)), min(rows, columns) - 1)
    if radius < 1:
        return image.clone()
    taps = torch.exp(-((torch.arange(2 * radius + 1, dtype=torch.float64) - radius) ** 2) / (2 * sigma * sigma))
    taps = taps / taps.sum()
    channels = image.shape[1]
    padded = F.pad(image, (radius, radius, radius, radius), mode="reflect")
    vertical = F.conv2d(padded, taps.reshape(1, 1, -1, 1).repeat(channels, 1, 1, 1), groups=channels)
    return F.conv2d(vertical, taps.reshape(1, 1, 1, -1).repeat(channels, 1, 1, 1), groups=channels)


def score_cam(layers, image, case):
    with torch.no_grad():
        baseline = blurred(image)
        _, activations = forward(layers, image, case["target"])
        a = activations[0]
        weights = []
        for channel in a:
            up = F.interpolate(channel[None, None], size=image.shape[2:], mode="bilinear", align_corners=False)
            lo, hi = up.min(), up.max()
            mask = (up - lo) / (hi - lo) if hi > lo else torch.zeros_like(up)
            output, _ = forward(layers, baseline + (image - baseline) * mask, case["target"])
            weights.append(torch.softmax(output.reshape(-1), 0)[case["classIndex"]])
        return normalised((torch.stack(weights).reshape(-1, 1, 1) * a).sum(0))


def segmentation_score(output, class_index):
    logits = output[0]
    if logits.shape[0] == 1:
        labels = (logits[0] > 0).long()
        class_logits = logits[0] if class_index == 1 else -logits[0]
    else:
        labels = logits.argmax(0)
        class_logits = logits[class_index]
    region = labels == class_index
    if not region.any():
        region = torch.ones_like(region)
    return (class_logits * region).sum()


def guided(layers, image, case, gradcam_map):
    image = image.detach().clone().requires_grad_(True)
    output, _ = forward(layers, image, case["target"], guided=True)
    output.reshape(-1)[case["classIndex"]].backward()
    magnitude = image.grad[0].abs().amax(0)
    cam = torch.tensor(gradcam_map).reshape(1, 1, *case["featureShape"])
    up = F.interpolate(cam, size=magnitude.shape, mode="bilinear", align_corners=False)[0, 0]
    return {"guided": normalised(magnitude), "guidedGradcam": normalised(magnitude * up)}


def explain(layers, image, case):
    output, activations = forward(layers, image, case["target"])
    if case.get("segmentation"):
        segmentation_score(output, case["classIndex"]).backward()
    else:
        output.reshape(-1)[case["classIndex"]].backward()
    a, g = activations.detach()[0], activations.grad[0]
    gradcam = (g.mean(dim=(1, 2)).reshape(-1, 1, 1) * a).sum(0)
    g2, g3 = g ** 2, g ** 3
    alpha = g2 / (2 * g2 + a.sum(dim=(1, 2)).reshape(-1, 1, 1) * g3 + EPS)
    alpha = torch.where(g != 0, alpha, torch.zeros_like(alpha))
    weights = (alpha * g.clamp(min=0)).sum(dim=(1, 2))
    plusplus = (weights.reshape(-1, 1, 1) * a).sum(0)
    layercam = (g.clamp(min=0) * a).sum(0)
    result = {
        "gradcam": normalised(gradcam),
        "gradcam++": normalised(plusplus),
        "layercam": normalised(layercam),
        "logits": output.reshape(-1).tolist(),
    }
    if case.get("guided"):
        case["featureShape"] = list(gradcam.shape)
        result.update(guided(layers, image, case, result["gradcam"]))
    return result


def main():
    request = json.load(sys.stdin)
    image = tensor(request["input"]).permute(0, 3, 1, 2).contiguous()
    # The input needs a gradient only so that autograd records the graph down to the target layer.
    maps = [explain(request["layers"], image.clone().requires_grad_(True), case) for case in request["cases"]]
    if request.get("scorecam"):
        for result, case in zip(maps, request["cases"]):
            result["scorecam"] = score_cam(request["layers"], image, case)
    json.dump({"maps": maps}, sys.stdout)


if __name__ == "__main__":
    main()
