"""Batch normalisation in training mode and its gradients, from PyTorch, for Loupe's tests.

Reads JSON on stdin: {"cases": [{"shape": [N, H, W, C], "x": [...], "dy": [...], "gamma": [...],
"beta": [...], "epsilon": e}]} with x and dy channels last; writes {"cases": [{"y", "dx",
"dgamma", "dbeta", "mean", "variance"}]} in the same layout (mean and variance: the batch's, per
channel). y is normalised with the batch's biased variance, as in
training (torch.nn.functional.batch_norm with training=True), in float64. Run with /usr/bin/python3.
"""
import json
import sys

import torch
import torch.nn.functional as F


def case_result(case):
    shape = case["shape"]
    x = torch.tensor(case["x"], dtype=torch.float64).reshape(shape).permute(0, 3, 1, 2).contiguous().requires_grad_()
    dy = torch.tensor(case["dy"], dtype=torch.float64).reshape(shape).permute(0, 3, 1, 2)
    gamma = torch.tensor(case["gamma"], dtype=torch.float64).requires_grad_()
    beta = torch.tensor(case["beta"], dtype=torch.float64).requires_grad_()
    y = F.batch_norm(x, None, None, gamma, beta, training=True, eps=case["epsilon"])
    y.backward(dy)
    last = lambda t: t.detach().permute(0, 2, 3, 1).reshape(-1).tolist()
    mean = x.detach().mean(dim=(0, 2, 3))
    variance = x.detach().var(dim=(0, 2, 3), unbiased=False)
    return {
        "y": last(y),
        "dx": last(x.grad),
        "dgamma": gamma.grad.tolist(),
        "dbeta": beta.grad.tolist(),
        "mean": mean.tolist(),
        "variance": variance.tolist(),
    }


request = json.load(sys.stdin)
json.dump({"cases": [case_result(c) for c in request["cases"]]}, sys.stdout)
