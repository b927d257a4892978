"""Reference uncertainty for Loupe's "Label next" tests (Debian /usr/bin/python3: numpy, scipy, scikit-learn).

Reads JSON on stdin: {"probabilities": [[...]...], "k": n, "pool": [indices, most uncertain first],
"logits": [[...]...], optionally "points": [[...]...]}; writes entropy (scipy.stats.entropy, nats),
margin (numpy sort), the ordering by entropy and by 1 - margin (stable, ties in input order),
greedy k-center picks on `pool` over the probability vectors, or over `points` (embeddings) when
given, each with its distance and its nearest earlier pick (distances from scikit-learn's
pairwise_distances; ties go to the earlier pool member and the earlier pick), and the mean entropy
of softmax(logits) per row (a segmentation image whose rows are pixels).
"""
import json
import sys

import numpy as np
from scipy.special import softmax
from scipy.stats import entropy
from sklearn.metrics import pairwise_distances


def k_center(points, pool, k):
    dist = pairwise_distances(points[pool], metric="euclidean")
    picks = [0]
    distances = [None]
    nearest_picks = [None]
    while len(picks) < min(k, len(pool)):
        to_picks = dist[:, picks]
        nearest = to_picks.min(axis=1)
        masked = np.where(np.isin(np.arange(len(pool)), picks), -1.0, nearest)
        best = int(np.argmax(masked))  # argmax returns the first maximum: the earlier pool member
        # argmin likewise: on a tie the earlier pick is the one named.
        nearest_picks.append(int(pool[picks[int(np.argmin(to_picks[best]))]]))
        picks.append(best)
        distances.append(float(masked[best]))
    return [int(pool[i]) for i in picks], distances, nearest_picks


def main():
    case = json.load(sys.stdin)
    p = np.asarray(case["probabilities"], dtype=np.float64)
    h = entropy(p, axis=1)
    top = -np.sort(-p, axis=1)
    m = top[:, 0] - top[:, 1]
    # k-center runs over "points" when given (embeddings), else over the probability vectors.
    points = np.asarray(case["points"], dtype=np.float64) if "points" in case else p
    picks, distances, nearest_picks = k_center(points, np.asarray(case["pool"]), case["k"])
    logits = np.asarray(case["logits"], dtype=np.float64)
    pixel = float(np.mean(entropy(softmax(logits, axis=1), axis=1)))
    print(json.dumps({
        "entropy": h.tolist(),
        "margin": m.tolist(),
        "byEntropy": np.argsort(-h, kind="stable").tolist(),
        "byMargin": np.argsort(-(1 - m), kind="stable").tolist(),
        "kCenter": picks,
        "kCenterDistances": distances,
        "kCenterNearest": nearest_picks,
        "meanPixelEntropy": pixel,
    }))


main()
