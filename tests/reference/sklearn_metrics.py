"""Reference metrics from scikit-learn for Loupe's metric tests.

Reads JSON cases on stdin, writes JSON results on stdout. Run with Debian's interpreter
(/usr/bin/python3, packages python3-sklearn and python3-numpy).

Classification case: {"kind": "classification", "classes": K, "truth": [...], "probabilities": [[...], ...]}
Segmentation case:   {"kind": "segmentation", "classes": K, "truth": [[...], ...], "predicted": [[...], ...]}
(one flattened class map per image).
"""
import json
import math
import sys

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    jaccard_score,
    precision_recall_fscore_support,
    roc_auc_score,
    roc_curve,
)


def none_if_nan(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def classification(case):
    k = case["classes"]
    labels = list(range(k))
    truth = np.array(case["truth"])
    probs = np.array(case["probabilities"], dtype=np.float64)
    predicted = probs.argmax(axis=1)
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=labels, zero_division=0)
    macro = precision_recall_fscore_support(truth, predicted, labels=labels, average="macro", zero_division=0)
    weighted = precision_recall_fscore_support(truth, predicted, labels=labels, average="weighted", zero_division=0)
    curves, aucs = [], []
    for c in labels:
        positive = truth == c
        if positive.all() or not positive.any():
            curves.append(None)
            aucs.append(None)
            continue
        fpr, tpr, thresholds = roc_curve(positive, probs[:, c], drop_intermediate=False)
        curves.append({"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": thresholds.tolist()})
        aucs.append(float(roc_auc_score(positive, probs[:, c])))
    if all(a is not None for a in aucs):
        if k == 2:
            macro_auc = float(roc_auc_score(truth, probs[:, 1]))
        else:
            macro_auc = float(roc_auc_score(truth, probs, multi_class="ovr", average="macro", labels=labels))
    else:
        macro_auc = None
    return {
        "accuracy": float(accuracy_score(truth, predicted)),
        "confusion": confusion_matrix(truth, predicted, labels=labels).tolist(),
        "precision": precision.tolist(),
        "recall": recall.tolist(),
        "f1": f1.tolist(),
        "support": support.tolist(),
        "macro": {"precision": macro[0], "recall": macro[1], "f1": macro[2], "rocAuc": macro_auc},
        "weighted": {"precision": weighted[0], "recall": weighted[1], "f1": weighted[2]},
        "rocAuc": aucs,
        "roc": curves,
    }


def segmentation(case):
    """Per-image scores with MONAI's ignore_empty=True convention, computed with scikit-learn."""
    k = case["classes"]
    labels = list(range(k))
    dice_sums, iou_sums, counts = [0.0] * k, [0.0] * k, [0] * k
    for truth, predicted in zip(case["truth"], case["predicted"]):
        truth, predicted = np.array(truth), np.array(predicted)
        dice = f1_score(truth, predicted, labels=labels, average=None, zero_division=0)
        iou = jaccard_score(truth, predicted, labels=labels, average=None, zero_division=0)
        for c in labels:
            if (truth == c).any():
                dice_sums[c] += dice[c]
                iou_sums[c] += iou[c]
                counts[c] += 1
    all_truth = np.concatenate([np.array(t) for t in case["truth"]])
    all_pred = np.concatenate([np.array(p) for p in case["predicted"]])
    pooled_dice = f1_score(all_truth, all_pred, labels=labels, average=None, zero_division=0)
    pooled_iou = jaccard_score(all_truth, all_pred, labels=labels, average=None, zero_division=0)
    present = [bool((all_truth == c).any() or (all_pred == c).any()) for c in labels]
    return {
        "dice": [dice_sums[c] / counts[c] if counts[c] else None for c in labels],
        "iou": [iou_sums[c] / counts[c] if counts[c] else None for c in labels],
        "images": counts,
        "pooledDice": [float(pooled_dice[c]) if present[c] else None for c in labels],
        "pooledIou": [float(pooled_iou[c]) if present[c] else None for c in labels],
        "pixelAccuracy": float(accuracy_score(all_truth, all_pred)),
    }


def main():
    cases = json.load(sys.stdin)
    out = [classification(c) if c["kind"] == "classification" else segmentation(c) for c in cases]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
