"""Reference pixels for the public DICOM test files that ship with pydicom (Debian's
python3-pydicom), at the stage Loupe's decoder hands them on: stored values (BitsStored bits
below HighBit, sign-extended), colour as interleaved RGB (YBR_FULL converted by pydicom's own
convert_color_space), palette colour expanded (apply_color_lut), a Modality LUT Sequence applied.

Each file is decoded by pydicom with the handlers present here; where pydicom cannot (JPEG-LS
without pylibjpeg or GDCM's Python binding, ...), by GDCM's `gdcmconv --raw`, then DCMTK's
decompressors, each writing an uncompressed copy that pydicom reads back.

Input JSON {"files": [path, ...], "out": folder}. Output JSON {"handlers": [...], "files": [
{"file", "decoder": "pydicom" | "gdcm" | "dcmtk" | null, "why": why pydicom did not decode it,
"refused": true when pydicom refused the file's data (not for want of a codec), "transfer_syntax",
"sop_class", "lossy", "frames", "dtype", "shape", "pixels": path of the raw little-endian array}, ...]}.
"""
import json
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import pydicom
import pydicom.config
from pydicom.pixel_data_handlers.util import apply_color_lut, apply_modality_lut, convert_color_space

warnings.simplefilter("ignore")

# Transfer syntaxes whose pixel data may differ from the original (PS3.5 Annex A): JPEG baseline
# and extended, JPEG-LS near-lossless, JPEG 2000 (lossy or lossless, the stream decides).
LOSSY_SYNTAXES = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.91"}

# Tools that write an uncompressed copy, tried in order when pydicom's own handlers fail.
DECOMPRESSORS = [
    ("gdcm", ["gdcmconv", "--raw"]),
    ("dcmtk", ["dcmdjpls"]),
    ("dcmtk", ["dcmdjpeg"]),
    ("dcmtk", ["dcmdrle"]),
]


def stored_values(arr, ds):
    """Keeps BitsStored bits below HighBit, sign-extended (PS3.5 8.1.1); floats are left alone."""
    if arr.dtype.kind not in "iu" or int(ds.BitsAllocated) == 1:
        return arr
    bits = int(ds.BitsStored)
    high = int(getattr(ds, "HighBit", bits - 1))
    shift = high + 1 - bits
    values = arr.astype(np.int64)
    values = (values >> shift) & ((1 << bits) - 1)
    if int(ds.PixelRepresentation) == 1:
        values = np.where(values & (1 << (bits - 1)), values - (1 << bits), values)
    return values


def shown(ds, arr):
    """pydicom's array in Loupe's terms: (frames, rows, columns, samples), RGB, LUTs applied."""
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    samples = int(ds.SamplesPerPixel)
    arr = stored_values(arr, ds)
    photometric = str(ds.PhotometricInterpretation).strip()
    if photometric == "PALETTE COLOR":
        arr = apply_color_lut(arr, ds)
        samples = 3
    elif "ModalityLUTSequence" in ds:
        arr = apply_modality_lut(arr, ds)
    elif photometric in ("YBR_FULL", "YBR_FULL_422"):
        arr = convert_color_space(arr.astype(np.uint8), "YBR_FULL", "RGB")
    return arr.reshape(frames, int(ds.Rows), int(ds.Columns), samples)


def decode_with_pydicom(ds):
    if "PixelData" not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
        return None
    if "TransferSyntaxUID" not in ds.file_meta:
        ds.file_meta.TransferSyntaxUID = pydicom.uid.ImplicitVRLittleEndian if ds.is_implicit_VR else (
            pydicom.uid.ExplicitVRLittleEndian if ds.is_little_endian else pydicom.uid.ExplicitVRBigEndian
        )
    return shown(ds, ds.pixel_array)


def lacks_codec(error):
    """pydicom failed for want of a codec here (a missing plugin, or Pillow's decoder giving up),
    not because the file's data are wrong: a truncated file stays refused, though GDCM pads it."""
    return isinstance(error, (NotImplementedError, RuntimeError, OSError)) or type(error).__name__.endswith("BombError")


def decode_with_tools(path, scratch):
    for name, command in DECOMPRESSORS:
        target = os.path.join(scratch, "raw.dcm")
        if os.path.exists(target):
            os.remove(target)
        run = subprocess.run(command + [path, target], capture_output=True, timeout=60)
        if run.returncode != 0 or not os.path.exists(target):
            continue
        try:
            ds = pydicom.dcmread(target, force=True)
            return name, shown(ds, ds.pixel_array)
        except Exception:  # the tool wrote a file pydicom still cannot decode: try the next one
            continue
    return None, None


def reference(path, index, out, scratch):
    entry = {"file": path, "decoder": None, "why": "", "transfer_syntax": None, "sop_class": None, "lossy": False}
    try:
        ds = pydicom.dcmread(path, force=True)
    except Exception as error:  # not DICOM at all
        entry["why"] = f"not read: {type(error).__name__}: {error}"[:300]
        return entry
    entry["transfer_syntax"] = str(ds.file_meta.get("TransferSyntaxUID", "")) or None
    entry["sop_class"] = str(ds.get("SOPClassUID", "") or ds.file_meta.get("MediaStorageSOPClassUID", "")) or None
    entry["lossy"] = entry["transfer_syntax"] in LOSSY_SYNTAXES
    try:
        arr = decode_with_pydicom(ds)
        if arr is None:
            entry["why"] = "no pixel data"
            return entry
        entry["decoder"] = "pydicom"
    except Exception as error:  # pydicom names why it cannot decode; the test shows it
        entry["why"] = f"{type(error).__name__}: {error}"[:300]
        if not lacks_codec(error):
            entry["refused"] = True
            return entry
        decoder, arr = decode_with_tools(path, scratch)
        if arr is None:
            return entry
        entry["decoder"] = decoder
    arr = np.ascontiguousarray(arr)
    # One wide little-endian type for every file: the test reads it as Float64Array or BigInt64Array.
    dtype = "<f8" if arr.dtype.kind == "f" else "<i8"
    pixels = os.path.join(out, f"{index}.bin")
    arr.astype(dtype).tofile(pixels)
    entry.update({"frames": int(arr.shape[0]), "dtype": np.dtype(dtype).name, "shape": list(arr.shape), "pixels": pixels})
    return entry


def main():
    request = json.load(sys.stdin)
    handlers = [h.__name__.rsplit(".", 1)[-1] for h in pydicom.config.pixel_data_handlers if h.is_available()]
    with tempfile.TemporaryDirectory() as scratch:
        files = [reference(path, index, request["out"], scratch) for index, path in enumerate(request["files"])]
    json.dump({"handlers": handlers, "files": files}, sys.stdout)


main()
