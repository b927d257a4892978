"""Reference for segmented palette colour: pydicom's apply_color_lut (which expands PS3.3 C.7.9.2
segments) on a DICOM file. Input JSON {"file": path}; output JSON {"rgb": [r, g, b, r, ...]}."""
import json
import sys

import pydicom
from pydicom.pixel_data_handlers.util import apply_color_lut

request = json.load(sys.stdin)
dataset = pydicom.dcmread(request["file"])
rgb = apply_color_lut(dataset.pixel_array, dataset)
json.dump({"rgb": rgb.reshape(-1).tolist()}, sys.stdout)
