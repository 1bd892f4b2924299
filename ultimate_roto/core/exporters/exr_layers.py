"""Multi-layer EXR frame assembly: plate RGBA, per-object alphas, matte, depth, N, motion, ids,
Cryptomatte — each AOV selectable, float where precision matters, names legal and stable."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ultimate_roto import SOFTWARE_NAME, __version__
from ultimate_roto.core.errors import InputError
from ultimate_roto.core.exporters import cryptomatte
from ultimate_roto.core.exporters.names import NameMap, sanitize_names

AOVS = ("rgba", "objects", "matte", "depth", "normals", "motion", "ids", "cryptomatte")
ALWAYS_FLOAT = ("depth", "ids", "cryptomatte")


@dataclass
class ExrFrame:
    """Everything :func:`exr.write_exr` needs for one frame, plus the name map used."""

    channels: dict[str, np.ndarray]
    pixel_types: dict[str, str]
    header: dict[str, Any]
    names: NameMap


def _plane(arr: np.ndarray | None, what: str, shape: tuple[int, int], chans: int | None):
    if arr is None:
        return None
    a = np.asarray(arr, np.float32)
    want = shape if chans is None else (*shape, chans)
    if a.shape != want:
        raise InputError(
            f"EXR frame: {what} has shape {a.shape}, expected {want}",
            hint="every AOV must match the plate size",
        )
    return a


def _check_aovs(aovs: Iterable[str]) -> set[str]:
    chosen = set(aovs)
    unknown = chosen - set(AOVS)
    if unknown:
        raise InputError(
            f"EXR frame: unknown AOV(s) {sorted(unknown)}", hint=f"choose from {', '.join(AOVS)}"
        )
    return chosen


def _mattes(mattes: Mapping[str, np.ndarray], shape: tuple[int, int]) -> dict[str, np.ndarray]:
    out = {}
    for name, m in mattes.items():
        a = np.asarray(m)
        if a.shape != shape:
            raise InputError(
                f"EXR frame: matte of object {name!r} is {a.shape}, plate is {shape}",
                hint="resize the matte to the plate size",
            )
        out[name] = np.clip(a.astype(np.float32) / (255.0 if a.dtype == np.uint8 else 1.0), 0, 1)
    return out


def _ids(mattes: dict[str, np.ndarray], names: NameMap, shape) -> np.ndarray:
    """Instance id per pixel: 1-based index (legal-name order) of the strongest matte ≥ 0.5."""
    ids = np.zeros(shape, np.float32)
    if not mattes:
        return ids
    order = sorted(mattes, key=lambda o: names[o])
    stack = np.stack([mattes[o] for o in order])
    best = np.argmax(stack, axis=0)
    strong = np.take_along_axis(stack, best[None], axis=0)[0] >= 0.5
    ids[strong] = best[strong] + 1
    return ids


def build_frame(
    *,
    plate: np.ndarray,
    mattes: Mapping[str, np.ndarray],
    aovs: Iterable[str] = AOVS,
    depth: np.ndarray | None = None,
    normals: np.ndarray | None = None,
    motion: np.ndarray | None = None,
    premultiply_by: str | None = None,
    half: bool = True,
    ranks: int = 6,
    names: NameMap | None = None,
    shot: str = "",
    frame: int = 0,
    fps: Fraction | float | None = None,
    timecode: str | None = None,
) -> ExrFrame:
    """Assemble one multi-layer EXR frame.

    Parameters
    ----------
    plate
        (H, W, 3|4) float colour; its alpha (if any) is ``A`` unless ``premultiply_by`` is set,
        otherwise ``A`` is the combined matte.
    mattes
        ``{object name: (H, W) alpha}`` (float in [0, 1] or uint8).
    aovs
        Subset of :data:`AOVS`; ``depth``/``normals``/``motion`` are written only when given.
    depth, normals, motion
        (H, W), (H, W, 3) and (H, W, 2) arrays → ``depth.Z``, ``N.X/Y/Z``, ``motion.X/Y``.
    premultiply_by
        Object whose matte multiplies RGB and becomes ``A``.
    half
        Colour and mattes as half (default) or float; depth, ids and Cryptomatte are float.
    ranks
        Cryptomatte ranks (keep constant over a sequence).
    names
        Legal names to use (pass the same map for every frame of a sequence); by default made
        from ``mattes`` with a ``UserWarning`` for each renamed object.
    shot, frame, fps, timecode
        Header metadata (with the software name and version).
    """
    chosen = _check_aovs(aovs)
    rgb = np.asarray(plate, np.float32)
    if rgb.ndim != 3 or rgb.shape[2] not in (3, 4):
        raise InputError(f"EXR frame: plate has shape {rgb.shape}", hint="pass (H, W, 3 or 4)")
    shape = rgb.shape[:2]
    soft = _mattes(mattes, shape)
    if names is None:
        names = sanitize_names(soft)
        for line in names.report():
            warnings.warn(f"EXR layers: object renamed {line}", UserWarning, stacklevel=2)
    missing = set(soft) - set(names.mapping)
    if missing:
        raise InputError(
            f"EXR frame: objects {sorted(missing)} are not in the name map",
            hint="build the name map from every object of the sequence",
        )
    if soft and not any(m.any() for m in soft.values()):
        warnings.warn(f"EXR frame {frame}: every object matte is empty", UserWarning, stacklevel=2)
    combined = (
        np.max(np.stack(list(soft.values())), axis=0) if soft else np.zeros(shape, np.float32)
    )
    chans: dict[str, np.ndarray] = {}
    types: dict[str, str] = {}
    colour = "half" if half else "float"

    def put(name: str, arr: np.ndarray, kind: str) -> None:
        chans[name] = np.ascontiguousarray(arr, np.float32)
        types[name] = "float" if kind in ALWAYS_FLOAT else colour

    if "rgba" in chosen:
        alpha = rgb[..., 3] if rgb.shape[2] == 4 else combined
        if premultiply_by is not None:
            if premultiply_by not in soft:
                raise InputError(
                    f"EXR frame: premultiply_by={premultiply_by!r} is not an object",
                    hint=f"use one of {sorted(soft)}",
                )
            alpha = soft[premultiply_by]
        mult = alpha if premultiply_by is not None else 1.0
        for i, c in enumerate("RGB"):
            put(c, rgb[..., i] * mult, "rgba")
        put("A", alpha, "rgba")
    if "objects" in chosen:
        for obj, m in soft.items():
            put(f"{names[obj]}.A", m, "objects")
    if "matte" in chosen:
        put("matte.A", combined, "matte")
    if "depth" in chosen and depth is not None:
        put("depth.Z", _plane(depth, "depth", shape, None), "depth")
    if "normals" in chosen and normals is not None:
        n = _plane(normals, "normals", shape, 3)
        for i, c in enumerate("XYZ"):
            put(f"N.{c}", n[..., i], "normals")
    if "motion" in chosen and motion is not None:
        mv = _plane(motion, "motion", shape, 2)
        put("motion.X", mv[..., 0], "motion")
        put("motion.Y", mv[..., 1], "motion")
    if "ids" in chosen:
        put("id.V", _ids(soft, names, shape), "ids")
    header: dict[str, Any] = {
        "software": f"{SOFTWARE_NAME} {__version__}",
        "softwareVersion": __version__,  # "version" is a reserved EXR field
        "shot": shot,
        "frame": int(frame),
        "ultimateroto/objects": json.dumps({names[o]: o for o in soft}, sort_keys=True),
    }
    if fps is not None:
        header["framesPerSecond"] = Fraction(fps).limit_denominator(100000)
    if timecode:
        header["timeCode"] = timecode
    if "cryptomatte" in chosen and soft:
        crypto, crypto_header = cryptomatte.encode({names[o]: m for o, m in soft.items()}, ranks)
        for name, arr in crypto.items():
            put(name, arr, "cryptomatte")
        header.update(crypto_header)
    return ExrFrame(chans, types, header, names)


def write_frame(path: str | Path, frame: ExrFrame, compression: str = "zip") -> Path:
    """Write an assembled frame with :func:`exr.write_exr` (lossless ``zip`` by default)."""
    from ultimate_roto.core.exporters.exr import write_exr

    if compression.lower() in ("dwaa", "dwab") and any(
        t == "float" for t in frame.pixel_types.values()
    ):
        raise InputError(
            f"EXR {path}: {compression} is lossy and would damage ids/Cryptomatte",
            hint="use zip or piz for frames with ids, depth or Cryptomatte",
        )
    return write_exr(
        path,
        frame.channels,
        compression=compression,
        pixel_types=frame.pixel_types,
        header=frame.header,
    )
