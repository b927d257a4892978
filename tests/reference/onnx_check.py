"""Checks ONNX files with the ONNX project's own checker (full_check runs shape inference too).

stdin: {"paths": [...]}; stdout: {"results": [{"path", "ok", "error", "opset", "ir_version"}]}.
"""
import json
import sys

import onnx

request = json.load(sys.stdin)
results = []
for path in request["paths"]:
    try:
        model = onnx.load(path)
        onnx.checker.check_model(model, full_check=True)
        results.append({"path": path, "ok": True, "error": None,
                        "opset": [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")][0],
                        "ir_version": model.ir_version})
    except Exception as error:  # the checker raises several types; every one is a failure to report
        results.append({"path": path, "ok": False, "error": str(error), "opset": None, "ir_version": None})
json.dump({"results": results}, sys.stdout)
