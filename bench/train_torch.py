#!/usr/bin/python3
"""PyTorch twin of bench/reference-models.ts and of Loupe's small CNN with batch norm
(ml/models/small-cnn.ts), measured by bench/train.ts in the same run.

Prints one JSON object: training and inference images/s of the reference CNN and U-Net, and
training images/s of the batch-norm CNN, with the given number of threads. Layouts are PyTorch's own (NCHW); the architectures, batch sizes,
losses and optimiser (Adam) match the tfjs side.
"""
import argparse
import json
import resource
import statistics
import time

import torch
from torch import nn


def reference_cnn():
    def conv(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU()]

    return nn.Sequential(
        *conv(3, 32), *conv(32, 32), nn.MaxPool2d(2),
        *conv(32, 64), *conv(64, 64), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(8 * 8 * 64, 128), nn.ReLU(), nn.Linear(128, 10),
    )


def small_cnn_bn(filters=(16, 32, 64), classes=2):
    """Loupe's default classifier: per stage conv3×3 (no bias), batch norm (ε 1e-3, Keras momentum
    0.9 = PyTorch 0.1), ReLU, with 2× max pooling between stages; global average pooling; dense."""
    layers, cin = [], 1
    for stage, f in enumerate(filters):
        if stage > 0:
            layers.append(nn.MaxPool2d(2))
        layers += [nn.Conv2d(cin, f, 3, padding=1, bias=False), nn.BatchNorm2d(f, eps=1e-3, momentum=0.1), nn.ReLU()]
        cin = f
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes))


class UNet(nn.Module):
    def __init__(self, depth=3, base=16):
        super().__init__()

        def block(cin, cout):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(), nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU())

        self.down = nn.ModuleList()
        cin = 1
        for level in range(depth):
            self.down.append(block(cin, base * 2 ** level))
            cin = base * 2 ** level
        self.bottom = block(cin, base * 2 ** depth)
        self.up = nn.ModuleList()
        self.merge = nn.ModuleList()
        for level in reversed(range(depth)):
            f = base * 2 ** level
            self.up.append(nn.ConvTranspose2d(f * 2, f, 2, stride=2))
            self.merge.append(block(f * 2, f))
        self.head = nn.Conv2d(base, 1, 1)

    def forward(self, x):
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
            x = nn.functional.max_pool2d(x, 2)
        x = self.bottom(x)
        for up, merge, skip in zip(self.up, self.merge, reversed(skips)):
            x = merge(torch.cat([up(x), skip], dim=1))
        return self.head(x)  # logits; BCEWithLogits applies the sigmoid


def synchronize():
    """Waits for the GPU's queued work (CUDA kernels run asynchronously); a no-op on the CPU."""
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def rate(step, batch, warmup, steps):
    for _ in range(warmup):
        step()
    synchronize()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        synchronize()
        times.append(time.perf_counter() - start)
    return batch / statistics.median(times)


def measure(model, loss_fn, x, y, warmup, steps):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def train_step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

    model.train()
    train = rate(train_step, x.shape[0], warmup, steps)
    model.eval()

    def infer_step():
        with torch.no_grad():
            model(x)

    infer = rate(infer_step, x.shape[0], warmup, steps)
    return train, infer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--cnn-batch", type=int, default=64)
    parser.add_argument("--unet-batch", type=int, default=8)
    parser.add_argument("--bn-cnn-batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("no CUDA GPU for PyTorch")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    cnn_x = torch.randn(args.cnn_batch, 3, 32, 32, device=device)
    cnn_y = torch.randint(0, 10, (args.cnn_batch,), device=device)
    cnn_train, cnn_infer = measure(reference_cnn().to(device), nn.CrossEntropyLoss(), cnn_x, cnn_y, 2, args.steps)
    bn_x = torch.randn(args.bn_cnn_batch, 1, 64, 64, device=device)
    bn_y = torch.randint(0, 2, (args.bn_cnn_batch,), device=device)
    bn_cnn_train, _ = measure(small_cnn_bn().to(device), nn.CrossEntropyLoss(), bn_x, bn_y, 2, args.steps)
    unet_x = torch.randn(args.unet_batch, 1, 128, 128, device=device)
    unet_y = (torch.rand(args.unet_batch, 1, 128, 128, device=device) > 0.5).float()
    unet_train, unet_infer = measure(UNet().to(device), nn.BCEWithLogitsLoss(), unet_x, unet_y, 1, args.steps)
    print(json.dumps({
        "torch": torch.__version__, "threads": args.threads,
        "device": torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu",
        "cnnTrain": cnn_train, "cnnInfer": cnn_infer, "bnCnnTrain": bn_cnn_train, "unetTrain": unet_train, "unetInfer": unet_infer,
        # Linux reports ru_maxrss in KiB.
        "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
