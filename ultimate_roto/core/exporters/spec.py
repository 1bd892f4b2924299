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
#: Job-level exports written once per job from the whole shot (scripts, not image files).
SCRIPT_FORMATS = ("nuke", "flame", "ae", "fusion")
ALL_FORMATS = FORMATS + SCRIPT_FORMATS
SCRIPT_EXTENSIONS = {"nuke": ".nk", "flame": ".py", "ae": ".jsx", "fusion": ".setting"}
EXTENSIONS = {
    ".exr": "exr", ".dpx": "dpx", ".png": "png", ".tif": "tiff", ".tiff": "tiff",
    ".jpg": "jpg", ".jpeg": "jpg", ".mp4": "mp4", ".mov": "mov", ".mkv": "mkv",
    ".nk": "nuke", ".jsx": "ae", ".setting": "fusion",
}  # fmt: skip
#: The multi-layer AOVs (same tuple as ``exr_layers.AOVS``, kept here so the spec stays light).
LAYER_AOVS = ("rgba", "objects", "matte", "depth", "normals", "motion", "ids", "cryptomatte")
DEFAULT_AOVS = ("rgba", "objects")
#: AOVs stored as 32-bit float: a lossy (DWA) compression would damage them.
FLOAT_AOVS = ("depth", "ids", "cryptomatte")
DPX_ENCODINGS = ("linear", "log")
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
_LOSSY = ("dwaa", "dwab")

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
register_what(
    WhatKind("layers", ("exr", "dpx", "png", "tiff"), True,
             "plate + per-object alphas + depth/normals/motion/ids/Cryptomatte, one file per "
             "frame (EXR) or one file per layer with {layer}")
)  # fmt: skip
register_what(WhatKind("shapes", ("nuke", "ae", "fusion"), False,
                       "animated Bézier shapes fitted from each object's masks"))  # fmt: skip
register_what(WhatKind("roto", ("flame",), False,
                       "per-object matte EXR sequences plus a Flame Batch import hook"))  # fmt: skip
#: ``what`` when an entry leaves it out.
DEFAULT_WHAT = {"nuke": "shapes", "ae": "shapes", "fusion": "shapes", "flame": "roto"}


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


def _float(lo: float, hi: float) -> Validator:
    def check(value: Any, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise JobError(f"{where}: {value!r} is not a number", hint=f"e.g. {lo} .. {hi}")
        if not lo <= value <= hi:
            raise JobError(f"{where}: {value} is outside {lo}..{hi}", hint=f"use {lo}..{hi}")
        return float(value)

    return check


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise JobError(f"{where}: {value!r} is not true/false", hint="write true or false")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise JobError(f"{where}: expected a non-empty string, got {value!r}",
                       hint="e.g. 'plates/shot.####.exr'")  # fmt: skip
    return value


def _aovs(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not value:
        raise JobError(f"{where}: expected a list of AOV names, got {value!r}",
                       hint=f"e.g. {list(DEFAULT_AOVS)}; valid: {', '.join(LAYER_AOVS)}")  # fmt: skip
    out: list[str] = []
    for i, name in enumerate(value):
        key = name.lower() if isinstance(name, str) else name
        if key not in LAYER_AOVS:
            raise JobError(f"{where}[{i}]: unknown AOV {name!r}",
                           hint=f"valid AOVs: {', '.join(LAYER_AOVS)}")  # fmt: skip
        if key in out:
            raise JobError(f"{where}[{i}]: AOV {name!r} is listed twice", hint="list it once")
        out.append(key)
    return tuple(out)


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
    "dpx": {"bit_depth": (_choice(10, 16), 10), "encoding": (_choice(*DPX_ENCODINGS), "linear")},
    "png": {"bit_depth": (_choice(8, 16), 8)},
    "tiff": {"bit_depth": (_choice(8, 16, 32), 16),
             "compression": (_choice("none", "lzw", "zip"), "zip")},
    "jpg": {"quality": (_int(1, 100), 95)},
    "mp4": _VIDEO, "mov": _VIDEO, "mkv": _VIDEO,
}  # fmt: skip
_FIT: dict[str, tuple[Validator, Any]] = {
    "source": (_choice("auto", "mask", "matte"), "auto"),
    "tolerance": (_float(0.05, 50.0), 1.0),
    "key_iou": (_float(0.5, 1.0), 0.98),
    "plate": (_text, None),
}
SCRIPT_OPTIONS: dict[str, dict[str, tuple[Validator, Any]]] = {
    "nuke": {**_FIT, "python": (_bool, True), "write_path": (_text, None)},
    "ae": {**_FIT, "comp_name": (_text, None)},
    "fusion": dict(_FIT),
    "flame": {"source": _FIT["source"], "plate": (_text, None),
              "mattes": (_text, "{object}/{object}.####.exr")},
}  # fmt: skip
#: Options a ``what`` adds to its format's (the multi-layer export's AOV choice …).
WHAT_OPTIONS: dict[str, dict[str, tuple[Validator, Any]]] = {
    "layers": {
        "aovs": (_aovs, DEFAULT_AOVS),
        "multipart": (_bool, False),
        "premultiply": (_text, None),
        "cryptomatte_ranks": (_choice(2, 4, 6, 8, 10, 12), 6),
        "source": (_choice("auto", "mask", "matte"), "auto"),
        "motion_preset": (_choice("ultrafast", "fast", "medium"), "fast"),
    },
}


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
    def is_script(self) -> bool:
        """A job-level export written once from the whole shot (.nk, .jsx, .setting, hook)."""
        return self.format in SCRIPT_FORMATS

    @property
    def is_preset(self) -> bool:
        """An entry naming a preset: :meth:`expand` gives its exports."""
        return self.format == "preset"

    @property
    def kind(self) -> WhatKind:
        return WHAT_KINDS[self.what]

    def expand(self) -> tuple[ExportSpec, ...]:
        """The concrete exports: a preset's entries, else just this spec."""
        return tuple(self.options["exports"]) if self.is_preset else (self,)

    def output_colorspace(self, src_colorspace: str) -> str:
        """The colour space to write: the option if given, else "Linear" for EXR and 32-bit
        float TIFF; integer formats keep a display-referred input's space, but scene-linear
        input (Linear, ACEScg, ACES2065-1) is encoded for display (Rec709 for video and DPX,
        sRGB for PNG/TIFF/JPG) — quantising linear light to 8 or 10 bits bands the shadows."""
        if self.format == "dpx" and self.options.get("encoding") == "log":
            return "Cineon"
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
        if self.is_preset:
            return {"preset": self.options["preset"], "folder": self.options["folder"]}
        opts = {k: list(v) if isinstance(v, tuple) else v for k, v in self.options.items()}
        return {"format": self.format, "what": self.what, "path": self.path, **opts}

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
        if "preset" in d:
            return cls._from_preset(d, where)
        path = d.get("path")
        if not isinstance(path, str) or not path.strip():
            raise JobError(f"{where}.path: missing output path", hint="e.g. 'plate.####.exr'")
        fmt = _format_of(d.get("format"), path, where)
        what = _what_of(d.get("what", DEFAULT_WHAT.get(fmt, "plate")), fmt, where)
        naming.validate_template(path, sequence=fmt in IMAGE_FORMATS, where=f"{where}.path")
        opts = _options_of(d, fmt, where, what)
        _check_combination(fmt, what, path, opts, where)
        return cls(format=fmt, what=what, path=path, options=opts)

    @classmethod
    def _from_preset(cls, d: Mapping[str, Any], where: str) -> ExportSpec:
        """``{"preset": "Flame", "folder": "deliver"}`` → a spec holding the preset's entries."""
        from ultimate_roto.core.exporters import presets

        for key in d:
            if key not in ("preset", "folder"):
                raise JobError(f"{where}.{key}: a preset entry takes only preset and folder",
                               hint="write a full export entry to change other options")  # fmt: skip
        folder = d.get("folder") or ""
        if not isinstance(folder, str):
            raise JobError(f"{where}.folder: expected a folder path, got {folder!r}",
                           hint="e.g. 'deliver'")  # fmt: skip
        entries = presets.entries(d["preset"], folder=folder, where=f"{where}.preset")
        specs = tuple(cls.from_dict(e, f"{where}({d['preset']})[{i}]")
                      for i, e in enumerate(entries))  # fmt: skip
        name = presets.canonical(d["preset"])
        return cls("preset", "preset", name, {"preset": name, "folder": folder, "exports": specs})


def _format_of(fmt: Any, path: str, where: str) -> str:
    ext = PurePath(path).suffix.lower()
    if fmt is None:
        if ext not in EXTENSIONS:
            raise JobError(
                f"{where}.format: missing, and '{path}' has no known extension",
                hint=f"add format: one of {', '.join(FORMATS)}",
            )
        return EXTENSIONS[ext]
    fmt = _choice(*ALL_FORMATS)(fmt, f"{where}.format")
    if fmt == "jpg" and ext == ".jpeg" or fmt == "tiff" and ext == ".tif":
        return fmt
    want = SCRIPT_EXTENSIONS.get(fmt, f".{fmt}")
    if ext != want:
        raise JobError(
            f"{where}.path: '{path}' does not end in {want} (format is {fmt})",
            hint=f"end the path with {want} or change the format",
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


def _schema(fmt: str, what: str) -> dict[str, tuple[Validator, Any]]:
    if fmt in SCRIPT_FORMATS:
        return {"start_frame": _COMMON["start_frame"], **SCRIPT_OPTIONS[fmt]}
    return {**_COMMON, **OPTIONS[fmt], **WHAT_OPTIONS.get(what, {})}


def _check_combination(fmt: str, what: str, path: str, opts: dict[str, Any], where: str) -> None:
    """Rules across options: log needs colour, {layer} files, lossy EXR vs float AOVs."""
    if opts.get("encoding") == "log":
        if not WHAT_KINDS[what].colour_managed or what == "layers":
            raise JobError(f"{where}.encoding: log encodes colour; {what} is data",
                           hint="use encoding linear for mattes and depth")  # fmt: skip
        if opts.get("colorspace"):
            raise JobError(f"{where}.colorspace: encoding log writes Cineon log",
                           hint="remove colorspace, or use encoding linear")  # fmt: skip
    if what != "layers":
        return
    if fmt != "exr" and "{layer}" not in path:
        raise JobError(f"{where}.path: {fmt} holds one layer per file; '{path}' has no {{layer}}",
                       hint="e.g. 'layers/{layer}/shot.{layer}.####." + fmt + "'")  # fmt: skip
    if fmt != "exr" and opts["multipart"]:
        raise JobError(f"{where}.multipart: only EXR files have parts", hint="remove multipart")
    float_aovs = sorted(set(opts["aovs"]) & set(FLOAT_AOVS))
    if fmt == "exr" and opts["compression"] in _LOSSY and float_aovs and not opts["multipart"]:
        raise JobError(
            f"{where}.compression: {opts['compression']} is lossy and would damage "
            + ", ".join(float_aovs),
            hint="use zip or piz, or multipart: true (lossy only on the rgba part)",
        )


def _options_of(d: Mapping[str, Any], fmt: str, where: str, what: str = "plate") -> dict[str, Any]:
    schema = _schema(fmt, what)
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
