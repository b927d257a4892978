"""torchvision.ops.nms and batched_nms on the cases Loupe's nms.reference.test.ts sends.

stdin:  {"cases": [{"boxes": [[x1, y1, x2, y2], ...], "scores": [...], "classIds": [...], "iou": 0.5}]}
stdout: {"results": [{"nms": [kept indices], "batched": [kept indices]}]}
Boxes and scores are float32 tensors, as a Loupe model's outputs are.
"""
import json
import sys

import torch
import torchvision

torch.set_num_threads(1)


def main():
    cases = json.load(sys.stdin)["cases"]
    results = []
    for case in cases:
        boxes = torch.tensor(case["boxes"], dtype=torch.float32).reshape(-1, 4)
        scores = torch.tensor(case["scores"], dtype=torch.float32)
        classes = torch.tensor(case["classIds"], dtype=torch.int64)
        iou = float(case["iou"])
        results.append(
            {
                "nms": torchvision.ops.nms(boxes, scores, iou).tolist(),
                "batched": torchvision.ops.batched_nms(boxes, scores, classes, iou).tolist(),
            }
        )
    json.dump({"results": results, "torchvision": torchvision.__version__}, sys.stdout)


main()
