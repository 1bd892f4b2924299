"""Per-frame steps of the convert pipeline: process (hook + colour) and write one image file."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ultimate_roto import SOFTWARE_NAME, __version__
from ultimate_roto.core.errors import ProcessingError
from ultimate_roto.core.exporters.spec import ExportSpec
from ultimate_roto.core.media.types import MediaInfo

ProcessFn = Callable[[int, np.ndarray], np.ndarray]


def make_processor(
    export: ExportSpec, src_colorspace: str, process: ProcessFn | None
) -> Callable[[int, np.ndarray], np.ndarray]:
    """The process step: the optional ``process(frame_no, img)`` hook (on source-encoded
    pixels), then colour conversion to the export's colour space when it differs and the
    ``what`` kind is colour-managed (mattes and depth are data and are never converted)."""
    dst = export.output_colorspace(src_colorspace)
    convert_colour = export.kind.colour_managed and dst != src_colorspace

    def run(frame_no: int, img: np.ndarray) -> np.ndarray:
        out = img
        if process is not None:
            out = process(frame_no, out)
            if not isinstance(out, np.ndarray):
                raise ProcessingError(
                    f"frame {frame_no}: the process step returned {type(out).__name__}, "
                    "not an image array"
                )
        if convert_colour:
            from ultimate_roto.core.media import colour  # OCIO loads only when needed

            out = colour.convert(out, src_colorspace, dst)
        return out

    return run


def frame_metadata(
    info: MediaInfo, src_frame: int, out_frame: int, extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Header values for one output frame: fps, that frame's timecode, frame number, software."""
    meta: dict[str, Any] = {"fps": info.fps, "frame": str(out_frame),
                            "software": SOFTWARE_NAME, "version": __version__}  # fmt: skip
    if info.timecode:
        from ultimate_roto.core.media.timecode import offset_timecode

        meta["timecode"] = offset_timecode(info.timecode, src_frame - info.first_frame, info.fps)
    meta.update({k: str(v) for k, v in (extra or {}).items() if v is not None})
    return meta


#: EXR channel of a one-channel export kind (Nuke reads "A" as rgba.alpha, "Z" as depth.Z).
_LAYER_CHANNEL = {"mask": "A", "matte": "A", "depth": "Z"}


def write_frame(
    export: ExportSpec, path: Path, img: np.ndarray, meta: Mapping[str, Any], colorspace: str
) -> None:
    """Write one frame of an image-sequence export (EXR through exr.py, others through
    images.py); atomic, raises ``OutputError`` naming ``path``."""
    opts = export.options
    if export.format == "exr":
        from ultimate_roto.core.exporters.exr import rgba_channels, write_exr

        header = {k: v for k, v in meta.items() if k not in ("fps", "timecode")}
        header.update(framesPerSecond=meta.get("fps"), timeCode=meta.get("timecode"),
                      colorspace=colorspace)  # fmt: skip
        channels = rgba_channels(img)
        if "Y" in channels:  # one-channel layers: the name compositors expect for the kind
            channels = {_LAYER_CHANNEL.get(export.what, "Y"): channels["Y"]}
        write_exr(path, channels, compression=opts["compression"],
                  pixel_types=opts["pixel_type"], header=header)  # fmt: skip
        return
    from ultimate_roto.core.exporters.images import write_image

    # Software is set by images.py; fps and timecode go in their own header fields.
    skip = ("fps", "timecode", "software", "version")
    strings = {k: v for k, v in meta.items() if k not in skip}
    write_image(
        path, img, export.format, opts.get("bit_depth"),
        quality=opts.get("quality", 95), compression=opts.get("compression"),
        timecode=meta.get("timecode"), fps=meta.get("fps"),
        metadata={**strings, "oiio:ColorSpace": colorspace},
    )  # fmt: skip
