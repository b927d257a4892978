"""Reference losses, optimiser updates and learning-rate schedules from PyTorch for Loupe's tests.

Reads JSON on stdin: {"losses": [...], "optimizers": [...], "schedules": [...]}; writes the
results in the same shape on stdout. Run with Debian's interpreter (/usr/bin/python3, package
python3-torch). Losses PyTorch lacks in this form (softmax focal, soft Dice) are written out with
torch ops from their papers' formulas (Lin et al. 2017; MONAI's DiceLoss).
"""
import json
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def loss_value(case):
    config = case["config"]
    logits = torch.tensor(case["logits"], dtype=torch.float64).reshape(case["shape"])
    labels = torch.tensor(case["labels"], dtype=torch.long).reshape(case["shape"][:-1])
    k = case["numClasses"]
    name = config["name"]
    if name == "cross-entropy":
        weight = torch.tensor(config["classWeights"], dtype=torch.float64) if config.get("classWeights") else None
        return F.cross_entropy(logits.reshape(-1, k), labels.reshape(-1), weight=weight, label_smoothing=config.get("labelSmoothing", 0.0)).item()
    if name == "focal":
        log_p = F.log_softmax(logits.reshape(-1, k), dim=1)
        log_pt = log_p.gather(1, labels.reshape(-1, 1)).squeeze(1)
        alpha = torch.tensor(config["alpha"], dtype=torch.float64)[labels.reshape(-1)] if config.get("alpha") else torch.ones_like(log_pt)
        return (-alpha * (1 - log_pt.exp()) ** config["gamma"] * log_pt).mean().item()
    if name == "bce":
        return F.binary_cross_entropy_with_logits(logits.reshape(-1), labels.reshape(-1).double(), pos_weight=torch.tensor([config["positiveWeight"]])).item()
    if name in ("dice", "bce-dice"):
        batch = logits.shape[0]
        probs = torch.sigmoid(logits).reshape(batch, -1)
        truth = labels.reshape(batch, -1).double()
        smooth = config["smooth"]
        dice = (2 * (probs * truth).sum(1) + smooth) / (probs.sum(1) + truth.sum(1) + smooth)
        dice_loss = (1 - dice).mean()
        if name == "dice":
            return dice_loss.item()
        bce = F.binary_cross_entropy_with_logits(logits.reshape(-1), labels.reshape(-1).double())
        return (config["bceWeight"] * bce + config["diceWeight"] * dice_loss).item()
    raise ValueError(name)


def optimizer_run(case):
    config = case["config"]
    params = [torch.tensor(p, requires_grad=True) for p in case["params"]]
    groups = [{"params": [p], "lr": case["lr"] * f} for p, f in zip(params, case["factors"])]
    name = config["name"]
    if name == "sgd":
        opt = torch.optim.SGD(groups, lr=case["lr"], momentum=config["momentum"], nesterov=config["nesterov"], weight_decay=config["weightDecay"])
    elif name == "adam":
        opt = torch.optim.Adam(groups, lr=case["lr"], betas=(config["beta1"], config["beta2"]), eps=config["epsilon"], weight_decay=config["weightDecay"])
    else:
        opt = torch.optim.AdamW(groups, lr=case["lr"], betas=(config["beta1"], config["beta2"]), eps=config["epsilon"], weight_decay=config["weightDecay"])
    trajectory = []
    for step_grads in case["grads"]:
        for p, g in zip(params, step_grads):
            p.grad = torch.tensor(g)
        opt.step()
        trajectory.append([p.detach().tolist() for p in params])
    return trajectory


def schedule_run(case):
    config = case["config"]
    base, epochs, batches = case["baseLr"], case["epochs"], case["batchesPerEpoch"]
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=base)
    name = config["name"]
    lrs = []
    if name == "step":
        s = torch.optim.lr_scheduler.StepLR(opt, step_size=config["stepEpochs"], gamma=config["gamma"])
    elif name == "cosine":
        s = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs, eta_min=config["minLearningRate"])
    elif name == "warm-restarts":
        s = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=config["firstPeriodEpochs"], T_mult=config["periodMultiplier"], eta_min=config["minLearningRate"])
        for epoch in range(epochs):
            for b in range(batches):
                s.step(epoch + b / batches)
                lrs.append(opt.param_groups[0]["lr"])
        return lrs
    elif name == "one-cycle":
        s = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=base, total_steps=epochs * batches, pct_start=config["warmupFraction"], div_factor=config["divFactor"], final_div_factor=config["finalDivFactor"], anneal_strategy="cos", cycle_momentum=False)
        for _ in range(epochs * batches):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            s.step()
        return lrs
    elif name == "reduce-on-plateau":
        s = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode=case["mode"], factor=config["factor"], patience=config["patience"], threshold=config["threshold"], threshold_mode="rel", cooldown=config["cooldown"], min_lr=config["minLearningRate"])
        for metric in case["metrics"]:
            lrs.append(opt.param_groups[0]["lr"])
            s.step(metric)
        return lrs
    else:
        raise ValueError(name)
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        s.step()
    return lrs


def main():
    request = json.load(sys.stdin)
    json.dump(
        {
            "losses": [loss_value(c) for c in request.get("losses", [])],
            "optimizers": [optimizer_run(c) for c in request.get("optimizers", [])],
            "schedules": [schedule_run(c) for c in request.get("schedules", [])],
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
