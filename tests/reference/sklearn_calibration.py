"""Reference calibration for Loupe's calibration tests (Debian /usr/bin/python3: python3-sklearn, python3-scipy).

Reads JSON cases on stdin: {"confidences": [...], "correct": [0/1...], "bins": n,
"probabilities": [[...]...], "truth": [...]}; writes per case scikit-learn's calibration_curve
(uniform bins: prob_true, prob_pred of the non-empty bins), the bin counts by the same rule,
ECE from them, and the NLL-minimising temperature from scipy's bounded minimize_scalar.
"""
import json
import sys

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax
from sklearn.calibration import calibration_curve


def case(c):
    conf = np.asarray(c["confidences"], dtype=np.float64)
    correct = np.asarray(c["correct"], dtype=np.float64)
    n = c["bins"]
    prob_true, prob_pred = calibration_curve(correct, conf, n_bins=n, strategy="uniform")
    edges = np.linspace(0.0, 1.0, n + 1)
    counts = np.bincount(np.searchsorted(edges[1:-1], conf), minlength=n)
    nonzero = counts[counts > 0]
    ece = float(np.sum(nonzero / conf.size * np.abs(prob_true - prob_pred)))
    # 1e-12: Loupe's PROBABILITY_FLOOR.
    p = np.log(np.clip(np.asarray(c["probabilities"], dtype=np.float64), 1e-12, None))
    truth = np.asarray(c["truth"], dtype=np.int64)

    def nll(log_t):
        return float(-np.mean(log_softmax(p / np.exp(log_t), axis=1)[np.arange(truth.size), truth]))

    fit = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20)), method="bounded", options={"xatol": 1e-10})
    return {
        "probTrue": prob_true.tolist(),
        "probPred": prob_pred.tolist(),
        "counts": counts.tolist(),
        "ece": ece,
        "temperature": float(np.exp(fit.x)),
        "nllAtOne": nll(0.0),
    }


print(json.dumps([case(c) for c in json.load(sys.stdin)]))
