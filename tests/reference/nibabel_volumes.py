"""NIfTI fixtures written by nibabel, and what nibabel reads back from them (the reference).

stdin: {"dir": folder, "cases": [{"name", "shape", "dtype", "version": 1|2, "gzip", "endian": "<"|">",
         "zooms", "affine_codes": "RAS"|..., "form": "sform"|"qform", "slope", "inter", "seed",
         "max_value" (optional), "labels" (optional list of values to draw from),
         "offset" (optional: the affine's translation, default [-10, 20, 5.5]),
         "values" (optional: every voxel, a[i, j, k] at i * ny * nz + j * nz + k)}]}
stdout: per case {"file", "frames": [stored values of slice k as nibabel's dataobj.get_unscaled()[:, :, k].T,
         row-major], "scaled": [first slice as nibabel's scaled dataobj], "zooms", "axcodes",
         "affine" (the first three rows of nibabel's img.affine), "slope", "inter"}

Slope and intercept are patched into the written header's bytes (nibabel recomputes them itself when
it scales data on save), and the file is then re-read by nibabel, so every reference value is what
nibabel makes of the bytes on disk.
"""

import gzip
import json
import os
import struct
import sys

import nibabel as nib
import numpy as np

# Byte offsets of scl_slope and scl_inter, and their struct format, per NIfTI version.
SCALE_FIELDS = {1: ((112, 116), "f"), 2: ((176, 184), "d")}
AXIS = {"R": (0, 1), "L": (0, -1), "A": (1, 1), "P": (1, -1), "S": (2, 1), "I": (2, -1)}
RGB = np.dtype([("R", "u1"), ("G", "u1"), ("B", "u1")])


def affine_of(codes, zooms, offset):
    affine = np.zeros((4, 4))
    for voxel_axis, code in enumerate(codes):
        world, sign = AXIS[code]
        affine[world, voxel_axis] = sign * zooms[voxel_axis]
    affine[:3, 3] = offset
    affine[3, 3] = 1
    return affine


def volume(case, rng):
    shape = tuple(case["shape"])
    if case["dtype"] == "RGB24":
        values = rng.integers(0, 256, size=shape + (3,), dtype=np.uint8)
        data = np.zeros(shape, dtype=RGB)
        for i, channel in enumerate("RGB"):
            data[channel] = values[..., i]
        return data
    dtype = np.dtype(case["dtype"])
    if "values" in case:
        return np.array(case["values"], dtype=dtype).reshape(shape)
    if "labels" in case:
        return rng.choice(np.array(case["labels"]), size=shape).astype(dtype)
    if dtype.kind == "f":
        return (rng.standard_normal(shape) * 300).astype(dtype)
    info = np.iinfo(dtype)
    high = min(info.max, case.get("max_value", info.max))
    return rng.integers(info.min, high, size=shape, endpoint=True, dtype=dtype)


def write(case, folder):
    rng = np.random.default_rng(case["seed"])
    data = volume(case, rng)
    zooms = case["zooms"]
    affine = affine_of(case["affine_codes"], zooms, case.get("offset", [-10.0, 20.0, 5.5]))
    image_class = nib.Nifti1Image if case["version"] == 1 else nib.Nifti2Image
    header_class = nib.Nifti1Header if case["version"] == 1 else nib.Nifti2Header
    header = header_class(endianness=case["endian"])
    header.set_data_dtype(data.dtype)
    image = image_class(data, None, header)
    if case["form"] == "sform":
        image.set_sform(affine, code=1)
        image.set_qform(None, code=0)
    else:
        image.set_qform(affine, code=1)
        image.set_sform(None, code=0)
    image.header.set_zooms(tuple(zooms) + tuple([1.0] * (len(data.shape) - 3)))
    path = os.path.join(folder, case["name"] + ".nii")
    nib.save(image, path)
    with open(path, "r+b") as file:
        raw = bytearray(file.read())
        (slope_at, inter_at), kind = SCALE_FIELDS[case["version"]]
        struct.pack_into(case["endian"] + kind, raw, slope_at, case.get("slope", 0.0))
        struct.pack_into(case["endian"] + kind, raw, inter_at, case.get("inter", 0.0))
    if case["gzip"]:
        os.remove(path)
        path += ".gz"
        with gzip.open(path, "wb") as file:
            file.write(bytes(raw))
    else:
        with open(path, "wb") as file:
            file.write(bytes(raw))
    return path


def reference(path):
    image = nib.load(path)
    stored = np.asanyarray(image.dataobj.get_unscaled())
    frames = []
    for k in range(stored.shape[2] if stored.ndim > 2 else 1):
        plane = stored[:, :, k] if stored.ndim > 2 else stored
        if plane.dtype == RGB:
            rgb = np.stack([plane["R"], plane["G"], plane["B"]], axis=-1)
            frames.append(rgb.transpose(1, 0, 2).ravel().tolist())
        else:
            frames.append(plane.T.astype(np.float32 if plane.dtype.kind == "f" else np.int64).ravel().tolist())
    scaled = None
    if stored.dtype != RGB:
        first = np.asanyarray(image.dataobj)
        first = first[:, :, 0] if first.ndim > 2 else first
        scaled = first.T.astype(np.float64).ravel().tolist()
    # The loaded header's scl fields read NaN: nibabel moves the scaling onto the array proxy.
    slope, inter = image.dataobj.slope, image.dataobj.inter
    return {
        "file": path,
        "frames": frames,
        "scaled": scaled,
        "zooms": [float(z) for z in image.header.get_zooms()[:3]],
        "axcodes": "".join(nib.aff2axcodes(image.affine)),
        "affine": image.affine[:3].tolist(),
        "slope": float(slope),
        "inter": float(inter),
    }


def main():
    request = json.load(sys.stdin)
    out = {case["name"]: reference(write(case, request["dir"])) for case in request["cases"]}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
