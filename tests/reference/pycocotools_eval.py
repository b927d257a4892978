"""pycocotools' COCOeval (bbox) on the cases Loupe's detection.reference.test.ts sends.

stdin:  {"cases": [{"images": [{"groundTruth": [{"box": [x1,y1,x2,y2], "classId": k, "crowd": bool}],
                                "detections": [{"box": [...], "classId": k, "score": s}]}],
                    "classIds": [...]}]}
stdout: {"results": [{"stats": [12 numbers, -1 where undefined], "perClass": [{"ap": .., "ap50": ..}]}]}
Boxes arrive as [x1, y1, x2, y2] and are handed to COCO as [x, y, w, h].
"""
import contextlib
import io
import json
import sys

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval


def xywh(b):
    return [b[0], b[1], b[2] - b[0], b[3] - b[1]]


def evaluate(case):
    images, annotations, detections = [], [], []
    for image_id, image in enumerate(case["images"], start=1):
        images.append({"id": image_id, "width": 1000, "height": 1000})
        for g in image["groundTruth"]:
            box = xywh(g["box"])
            annotations.append(
                {"id": len(annotations) + 1, "image_id": image_id, "category_id": g["classId"] + 1, "bbox": box,
                 "area": box[2] * box[3], "iscrowd": int(g.get("crowd", False))}
            )
        for d in image["detections"]:
            detections.append({"image_id": image_id, "category_id": d["classId"] + 1, "bbox": xywh(d["box"]), "score": d["score"]})
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {"images": images, "annotations": annotations,
                      "categories": [{"id": k + 1, "name": str(k)} for k in case["classIds"]]}
        gt.createIndex()
        dt = gt.loadRes(detections) if detections else COCO()
        if not detections:
            dt.dataset = {"images": images, "annotations": [], "categories": gt.dataset["categories"]}
            dt.createIndex()
        ev = COCOeval(gt, dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    precision = ev.eval["precision"]  # [T, R, K, A, M]
    per_class = []
    for k in range(len(case["classIds"])):
        p = precision[:, :, k, 0, -1]
        per_class.append({
            "ap": float(np.mean(p)) if (p > -1).any() else None,
            "ap50": float(np.mean(p[0])) if (p[0] > -1).any() else None,
        })
    return {"stats": [float(s) for s in ev.stats], "perClass": per_class}


def main():
    cases = json.load(sys.stdin)["cases"]
    json.dump({"results": [evaluate(c) for c in cases]}, sys.stdout)


main()
