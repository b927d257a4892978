"""References for pruning and distillation (ml/train/compression.test.ts).

stdin: {"schedule": {"initial", "final", "power", "begin", "end", "frequency", "steps": [...]},
        "distill": {"student": [[...]], "teacher": [[...]], "labels": [...], "temperature", "alpha"},
        "onnx": path or null}
stdout: {"sparsity": [...], "prune": [...], "loss": float, "onnx_kernels": [{"name", "zeros", "size"}]}

The schedule is tfmot's PolynomialDecay written out in NumPy (tfmot itself is not installed):
sparsity = final + (initial - final) * (1 - p)^power, p = clip((step - begin) / (end - begin), 0, 1),
pruning where begin <= step <= end and (step - begin) % frequency == 0.
The loss is Hinton's with torch: kl_div takes the student's log-probabilities as input and the
teacher's log-probabilities as target with log_target=True, reduction='batchmean'.
"""
import json
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

request = json.load(sys.stdin)
out = {}

s = request["schedule"]
steps = np.asarray(s["steps"], dtype=np.float64)
p = np.clip((steps - s["begin"]) / (s["end"] - s["begin"]), 0.0, 1.0)
out["sparsity"] = (s["final"] + (s["initial"] - s["final"]) * (1.0 - p) ** s["power"]).tolist()
out["prune"] = [bool(s["begin"] <= t <= s["end"] and (t - s["begin"]) % s["frequency"] == 0) for t in s["steps"]]

d = request["distill"]
student = torch.tensor(d["student"], dtype=torch.float64)
teacher = torch.tensor(d["teacher"], dtype=torch.float64)
labels = torch.tensor(d["labels"], dtype=torch.long)
T = d["temperature"]
soft = F.kl_div(F.log_softmax(student / T, dim=1), F.log_softmax(teacher / T, dim=1),
                reduction="batchmean", log_target=True) * T * T
hard = F.cross_entropy(student, labels)
out["loss"] = float(d["alpha"] * soft + (1 - d["alpha"]) * hard)

out["onnx_kernels"] = []
if request.get("onnx"):
    model = onnx.load(request["onnx"])
    for init in model.graph.initializer:
        values = numpy_helper.to_array(init)
        # Conv weights are 4-D, dense (Gemm/MatMul) weights 2-D; biases and batch-norm vectors are 1-D.
        if values.ndim >= 2 and values.dtype == np.float32:
            out["onnx_kernels"].append({"name": init.name, "zeros": int((values == 0).sum()), "size": int(values.size)})
json.dump(out, sys.stdout)
