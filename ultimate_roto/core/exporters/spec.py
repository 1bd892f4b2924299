"""ExportSpec: what to export, in which format, where, with validated per-format options."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import PurePath
from typing import Any

from ultimate_roto.core.errors import JobError
from ultimate_roto.core.exporters import naming

IMAGE_FORMATS = ("exr", "dpx", "png", "tiff", "jpg")
VIDEO_FORMATS = ("mp4", "mov", "mkv")
FORMATS = IMAGE_FORMATS + VIDEO_FORMATS
EXTENSIONS = {
    ".exr": "exr", ".dpx": "dpx", ".png": "png", ".tif": "tiff", ".tiff": "tiff",
    ".jpg": "jpg", ".jpeg": "jpg", ".mp4": "mp4", ".mov": "mov", ".mkv": "mkv",
}  # fmt: skip
# Every compression OpenEXR 3.5's python API writes and reads back (checked in the tests).
EXR_COMPRESSIONS = ("zip", "zips", "piz", "dwaa", "dwab", "zstd", "none", "rle", "pxr24",
                    "b44", "b44a", "htj2k256", "htj2k32")  # fmt: skip
VIDEO_CODECS = {
    "mp4": ("h264", "h265"),
    "mov": ("prores", "dnxhr", "h264", "h265"),
    "mkv": ("h264", "h265", "prores"),  # FFmpeg's Matroska muxer refuses DNxHD/DNxHR
}
PROFILES = {
    "prores": ("proxy", "lt", "standard", "hq", "4444"),
    "dnxhr": ("lb", "sq", "hq", "hqx", "444"),
}
DEFAULT_PROFILE = {"prores": "hq", "dnxhr": "hq"}
PIX_FMTS = {
    "h264": ("yuv420p", "yuv422p", "yuv444p"),
    "h265": ("yuv420p", "yuv420p10le", "yuv422p10le", "yuv444p10le"),
    "prores": ("yuv422p10le", "yuv444p10le"),
    "dnxhr": ("yuv422p", "yuv422p10le", "yuv444p10le"),
}
X26X_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow",
                "slower", "veryslow")  # fmt: skip
_FALLBACK_COLORSPACES = ("sRGB", "Rec709", "ACEScg", "ACES2065-1", "Linear")
_TOP_KEYS = ("format", "what", "path")

_SCENE_LINEAR = frozenset({"Linear", "ACEScg", "ACES2065-1"})


def default_pix_fmt(codec: str, profile: str | None = None, bit_depth: int = 8) -> str:
    """The pixel format each codec/profile needs (4:2:0 8-bit for h264, 10-bit 4:2:2 ProRes …)."""
    if codec == "h264":
        return "yuv420p"
    if codec == "h265":
        return "yuv420p10le" if bit_depth == 10 else "yuv420p"
    if codec == "prores":
        return "yuv444p10le" if profile == "4444" else "yuv422p10le"
    return {"hqx": "yuv422p10le", "444": "yuv444p10le"}.get(profile or "", "yuv422p")


def colorspaces() -> tuple[str, ...]:
    """Known colour-space names (from core.media.colour once it exists)."""
    try:
        from ultimate_roto.core.media.colour import COLORSPACES
    except ImportError:
        return _FALLBACK_COLORSPACES
    return tuple(COLORSPACES)


def as_fraction(fps: Any, where: str = "fps") -> Fraction:
    """An exact frame rate: Fractions and ints pass, "24000/1001" parses, 23.976 → 24000/1001."""
    try:
        if isinstance(fps, bool):
            raise TypeError(fps)
        if isinstance(fps, float):  # snap 23.976 / 29.97 / 59.94 to their exact NTSC rates
            ntsc = Fraction(round(fps * 1.001) * 1000, 1001)
            exact = abs(float(ntsc) - fps) < 5e-4
            value = ntsc if exact else Fraction(fps).limit_denominator(1001)
        else:
            value = Fraction(fps)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        raise JobError(
            f"{where}: {fps!r} is not a frame rate", hint="e.g. 24 or '24000/1001'"
        ) from None
    if value <= 0:
        raise JobError(f"{where}: frame rate {fps!r} must be positive", hint="e.g. 24")
    return value


# -- `what` registry ----------------------------------------------------------------------------
@dataclass(frozen=True)
class WhatKind:
    """A kind of image an export can carry ("plate", "matte", "depth" …).

    ``colour_managed`` False means the pixels are data (mattes, depth): no colour conversion.
    """

    name: str
    formats: tuple[str, ...] = FORMATS
    colour_managed: bool = True
    description: str = ""


WHAT_KINDS: dict[str, WhatKind] = {}


def register_what(kind: WhatKind) -> WhatKind:
    """Register (or replace) a ``what`` kind; other modules call this at import time."""
    WHAT_KINDS[kind.name] = kind
    return kind


register_what(WhatKind("plate", description="the source frames, colour-converted"))


# -- option validators --------------------------------------------------------------------------
Validator = Callable[[Any, str], Any]


def _choice(*values: Any) -> Validator:
    def check(value: Any, where: str) -> Any:
        norm = value.lower() if isinstance(value, str) else value
        lowered = {v.lower() if isinstance(v, str) else v: v for v in values}
        if isinstance(norm, bool) or norm not in lowered:
            raise JobError(
                f"{where}: {value!r} is not one of {', '.join(str(v) for v in values)}",
                hint=_suggest(str(value), [str(v) for v in values]),
            )
        return lowered[norm]

    return check


def _int(lo: int | None = None, hi: int | None = None) -> Validator:
    def check(value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise JobError(f"{where}: {value!r} is not a whole number", hint="e.g. 1001")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise JobError(f"{where}: {value} is outside {lo}..{hi}", hint=f"use {lo}..{hi}")
        return value

    return check


def _colorspace(value: Any, where: str) -> str:
    return _choice(*colorspaces())(value, where)


def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.5)
    return f"did you mean '{close[0]}'?" if close else f"use one of {', '.join(options)}"


_COMMON: dict[str, tuple[Validator, Any]] = {
    "start_frame": (_int(), None),
    "colorspace": (_colorspace, None),
}
_VIDEO: dict[str, tuple[Validator, Any]] = {
    "codec": (_choice("h264", "h265", "prores", "dnxhr"), None),
    "profile": (_choice(*sorted({p for ps in PROFILES.values() for p in ps})), None),
    "crf": (_int(0, 51), 18),
    "preset": (_choice(*X26X_PRESETS), "fast"),
    "bit_depth": (_choice(8, 10), 8),
    "pix_fmt": (_choice(*sorted({p for ps in PIX_FMTS.values() for p in ps})), None),
}
OPTIONS: dict[str, dict[str, tuple[Validator, Any]]] = {
    "exr": {"compression": (_choice(*EXR_COMPRESSIONS), "zip"),
            "pixel_type": (_choice("half", "float"), "half")},
    "dpx": {"bit_depth": (_choice(10, 16), 10)},
    "png": {"bit_depth": (_choice(8, 16), 8)},
    "tiff": {"bit_depth": (_choice(8, 16, 32), 16),
             "compression": (_choice("none", "lzw", "zip"), "zip")},
    "jpg": {"quality": (_int(1, 100), 95)},
    "mp4": _VIDEO, "mov": _VIDEO, "mkv": _VIDEO,
}  # fmt: skip


def _check_video(fmt: str, opts: dict[str, Any], where: str) -> None:
    codecs = VIDEO_CODECS[fmt]
    codec = opts["codec"] = opts["codec"] or codecs[0]
    if codec not in codecs:
        raise JobError(
            f"{where}.codec: {codec} cannot go in a .{fmt} file",
            hint=f"use one of {', '.join(codecs)}, or a .mov/.mkv path",
        )
    allowed = PROFILES.get(codec, ())
    if opts["profile"] is None:
        opts["profile"] = DEFAULT_PROFILE.get(codec)
    elif opts["profile"] not in allowed:
        raise JobError(
            f"{where}.profile: {opts['profile']!r} is not a {codec} profile",
            hint=f"use one of {', '.join(allowed)}"
            if allowed
            else f"{codec} takes no profile; remove it",
        )
    if opts["bit_depth"] == 10 and codec == "h264":
        raise JobError(f"{where}.bit_depth: h264 is written 8-bit here", hint="use codec h265")
    if opts["pix_fmt"] is None:
        opts["pix_fmt"] = default_pix_fmt(codec, opts["profile"], opts["bit_depth"])
    elif opts["pix_fmt"] not in PIX_FMTS[codec]:
        raise JobError(
            f"{where}.pix_fmt: {codec} cannot use {opts['pix_fmt']}",
            hint=f"use one of {', '.join(PIX_FMTS[codec])}",
        )


# -- the spec -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExportSpec:
    """One export of a job.

    Attributes
    ----------
    format
        One of :data:`FORMATS`.
    what
        A registered kind (:data:`WHAT_KINDS`), e.g. ``"plate"``.
    path
        Output path template (see :mod:`naming`), relative to the output folder or absolute.
    options
        Every option of the format, defaults filled in (see :data:`OPTIONS`).
    """

    format: str
    what: str
    path: str
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def is_video(self) -> bool:
        return self.format in VIDEO_FORMATS

    @property
    def kind(self) -> WhatKind:
        return WHAT_KINDS[self.what]

    def output_colorspace(self, src_colorspace: str) -> str:
        """The colour space to write: the option if given, else "Linear" for EXR and 32-bit
        float TIFF; integer formats keep a display-referred input's space, but scene-linear
        input (Linear, ACEScg, ACES2065-1) is encoded for display (Rec709 for video and DPX,
        sRGB for PNG/TIFF/JPG) — quantising linear light to 8 or 10 bits bands the shadows."""
        chosen = self.options.get("colorspace")
        if chosen:
            return chosen
        if self.format == "exr" or (self.format == "tiff" and self.options.get("bit_depth") == 32):
            return "Linear"
        if src_colorspace in _SCENE_LINEAR:
            return "Rec709" if self.is_video or self.format == "dpx" else "sRGB"
        return src_colorspace

    def to_dict(self) -> dict[str, Any]:
        """The flat form :meth:`from_dict` reads (options with their defaults)."""
        return {"format": self.format, "what": self.what, "path": self.path, **self.options}

    def fingerprint(self) -> str:
        """Stable text identifying this spec (for resume state keys)."""
        return json.dumps(self.to_dict(), sort_keys=True, default=str)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str = "exports[0]") -> ExportSpec:
        """Validate a job-file entry such as ``{"format": "exr", "path": "p.####.exr",
        "compression": "piz"}``; options sit beside ``format``/``what``/``path``.

        ``format`` may be left out when the path's extension names it. Raises
        :class:`JobError` naming the key path (``exports[0].compression``) with a hint.
        """
        if not isinstance(d, Mapping):
            raise JobError(f"{where}: expected a mapping, got {type(d).__name__}")
        path = d.get("path")
        if not isinstance(path, str) or not path.strip():
            raise JobError(f"{where}.path: missing output path", hint="e.g. 'plate.####.exr'")
        fmt = _format_of(d.get("format"), path, where)
        what = _what_of(d.get("what", "plate"), fmt, where)
        naming.validate_template(path, sequence=fmt in IMAGE_FORMATS, where=f"{where}.path")
        opts = _options_of(d, fmt, where)
        return cls(format=fmt, what=what, path=path, options=opts)


def _format_of(fmt: Any, path: str, where: str) -> str:
    ext = PurePath(path).suffix.lower()
    if fmt is None:
        if ext not in EXTENSIONS:
            raise JobError(
                f"{where}.format: missing, and '{path}' has no known extension",
                hint=f"add format: one of {', '.join(FORMATS)}",
            )
        return EXTENSIONS[ext]
    fmt = _choice(*FORMATS)(fmt, f"{where}.format")
    if fmt == "jpg" and ext == ".jpeg" or fmt == "tiff" and ext == ".tif":
        return fmt
    if ext != f".{fmt}":
        raise JobError(
            f"{where}.path: '{path}' does not end in .{fmt} (format is {fmt})",
            hint=f"end the path with .{fmt} or change the format",
        )
    return fmt


def _what_of(what: Any, fmt: str, where: str) -> str:
    name = _choice(*WHAT_KINDS)(what, f"{where}.what")
    if fmt not in WHAT_KINDS[name].formats:
        raise JobError(
            f"{where}.format: {name} cannot be written as {fmt}",
            hint=f"use one of {', '.join(WHAT_KINDS[name].formats)}",
        )
    return name


def _options_of(d: Mapping[str, Any], fmt: str, where: str) -> dict[str, Any]:
    schema = {**_COMMON, **OPTIONS[fmt]}
    for key in d:
        if key not in schema and key not in _TOP_KEYS:
            known = sorted(schema) + list(_TOP_KEYS)
            raise JobError(
                f"{where}.{key}: unknown option for {fmt}",
                hint=_suggest(str(key), known),
            )
    opts = {
        key: default if d.get(key) is None else check(d[key], f"{where}.{key}")
        for key, (check, default) in schema.items()
    }
    if fmt in VIDEO_FORMATS:
        _check_video(fmt, opts, where)
    return opts
