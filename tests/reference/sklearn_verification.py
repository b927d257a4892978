"""scikit-learn's ROC and AUC, and the usual EER and TAR@FAR recipes, on the cases Loupe's
verification.reference.test.ts sends.

stdin:  {"cases": [{"scores": [...], "labels": [0/1 ...], "far": 0.01}]}
stdout: {"results": [{"fpr", "tpr", "thresholds", "fprAll", "tprAll", "auc", "eer", "tar"}]}
EER: brentq on 1 - x - interp1d(fpr, tpr)(x), the recipe most verification papers' code uses.
TAR@FAR: the highest TPR among roc_curve(drop_intermediate=False) points with FPR <= far.
"""
import json
import sys

import numpy as np
from scipy.interpolate import interp1d
from scipy.optimize import brentq
from sklearn.metrics import roc_auc_score, roc_curve


def evaluate(case):
    y = np.array(case["labels"])
    s = np.array(case["scores"], dtype=np.float64)
    fpr, tpr, thr = roc_curve(y, s)
    fpr_all, tpr_all, _ = roc_curve(y, s, drop_intermediate=False)
    eer = brentq(lambda x: 1.0 - x - interp1d(fpr_all, tpr_all)(x), 0.0, 1.0, xtol=1e-14)
    return {
        "fpr": fpr.tolist(),
        "tpr": tpr.tolist(),
        "thresholds": thr[1:].tolist(),
        "auc": float(roc_auc_score(y, s)),
        "eer": float(eer),
        "tar": float(tpr_all[fpr_all <= case["far"]].max()),
    }


def main():
    cases = json.load(sys.stdin)["cases"]
    json.dump({"results": [evaluate(c) for c in cases]}, sys.stdout)


main()
