"""A PyTorch twin of the Train section's default classifier on the demo's parts, epoch by epoch.

Loupe's defaults for "Parts (demo)": small CNN 16/32/64 (3x3 convolution without bias, batch norm
with PyTorch's momentum 0.1 and Keras's epsilon 1e-3, ReLU; 2x2 max pooling between stages; global
average pooling; a linear head), He-normal kernels, AdamW at 0.003 with weight decay 0.01, a cosine
schedule to 0 over every step, batch 32, horizontal flips at 0.5, 64x64 grey scaled by /255. It
prints train and val loss and accuracy per epoch, to set beside `loupe train`'s lines (the README's
note on the val accuracy of the first epochs). Run with Debian's interpreter:

    /usr/bin/python3 bench/demo_twin.py WS/demo-data/parts [SEED]
"""
import glob
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

CLASSES = ["defect", "ok"]
EPOCHS, BATCH = 20, 32


def load(root, split):
    xs, ys = [], []
    for ci, c in enumerate(CLASSES):
        for f in sorted(glob.glob(f"{root}/{split}/{c}/*.png")):
            xs.append(np.asarray(Image.open(f).convert("L").resize((64, 64)), dtype=np.float32) / 255)
            ys.append(ci)
    return torch.tensor(np.stack(xs))[:, None], torch.tensor(ys)


def unit(i, o):
    return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o, eps=1e-3, momentum=0.1), nn.ReLU()]


def main():
    root = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    torch.manual_seed(seed)
    torch.set_num_threads(2)
    xtr, ytr = load(root, "train")
    xva, yva = load(root, "val")
    model = nn.Sequential(
        *unit(1, 16), nn.MaxPool2d(2), *unit(16, 32), nn.MaxPool2d(2), *unit(32, 64),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 2),
    )
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
    opt = torch.optim.AdamW(model.parameters(), lr=0.003, weight_decay=0.01)
    steps = (len(xtr) + BATCH - 1) // BATCH
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS * steps)
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(xtr))
        total, right = 0.0, 0
        for s in range(steps):
            idx = order[s * BATCH:(s + 1) * BATCH]
            x, y = xtr[idx].clone(), ytr[idx]
            flip = torch.rand(len(x)) < 0.5
            x[flip] = x[flip].flip(-1)
            out = model(x)
            loss = F.cross_entropy(out, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            schedule.step()
            total += loss.item() * len(x)
            right += (out.argmax(1) == y).sum().item()
        model.eval()
        with torch.no_grad():
            out = model(xva)
            val_loss = F.cross_entropy(out, yva).item()
            val_acc = (out.argmax(1) == yva).float().mean().item()
        print(f"epoch {epoch + 1}/{EPOCHS}  loss {total / len(xtr):.4f}  accuracy {right / len(xtr):.4f}  "
              f"val_loss {val_loss:.4f}  val_accuracy {val_acc:.4f}", flush=True)


if __name__ == "__main__":
    main()
