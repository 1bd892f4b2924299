"""Colour conversions through OpenColorIO's built-in studio config (cached processors).

Our short names map onto the ``studio-config-latest`` colour spaces:

========== ===============================  ================================================
ours       OCIO colour space                meaning
========== ===============================  ================================================
sRGB       sRGB Encoded Rec.709 (sRGB)      sRGB piecewise curve, Rec.709 primaries (PNG/JPG)
Rec709     Camera Rec.709                   ITU-R BT.709 camera OETF (how video is encoded;
                                            Nuke's "rec709"), Rec.709 primaries
ACEScg     ACEScg                           linear AP1
ACES2065-1 ACES2065-1                       linear AP0 (the config's reference)
Linear     Linear Rec.709 (sRGB)            scene-linear Rec.709 primaries (EXR default)
Cineon     (built here)                     Kodak Cineon log (10-bit DPX "Logarithmic"):
                                            95 -> 0.0, 685 -> 1.0 linear Rec.709
========== ===============================  ================================================

``Cineon`` is an extra accepted name (``EXTRA_COLORSPACES``) because DPX scans are often log;
any colour space name of the OCIO config (e.g. "ACEScct") is accepted as well.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

import numpy as np

from ultimate_roto.core.errors import InputError
from ultimate_roto.core.media.types import MediaInfo

COLORSPACES = ("sRGB", "Rec709", "ACEScg", "ACES2065-1", "Linear")
EXTRA_COLORSPACES = ("Cineon",)
BUILTIN_CONFIG = "studio-config-latest"
DEFAULT_DISPLAY = "sRGB - Display"

OCIO_NAMES = {
    "sRGB": "sRGB Encoded Rec.709 (sRGB)",
    "Rec709": "Camera Rec.709",
    "ACEScg": "ACEScg",
    "ACES2065-1": "ACES2065-1",
    "Linear": "Linear Rec.709 (sRGB)",
}
CINEON_BLACK = 10.0 ** ((95.0 - 685.0) / 300.0)
_config_lock = threading.Lock()


_config: Any = None


def config() -> Any:
    """The cached OCIO built-in config (``studio-config-latest``)."""
    global _config
    with _config_lock:
        if _config is None:
            import PyOpenColorIO as ocio

            _config = ocio.Config.CreateFromBuiltinConfig(BUILTIN_CONFIG)
        return _config


def _config_names() -> dict[str, str]:
    return {cs.getName().lower(): cs.getName() for cs in config().getColorSpaces()}


def resolve(name: str, info: MediaInfo | None = None) -> str:
    """Canonical colour space name for ``name``; ``"auto"`` takes ``info.colorspace_guess``.

    Raises
    ------
    InputError
        Unknown name (the message lists the valid ones) or "auto" without ``info``.
    """
    if name.strip().lower() == "auto":
        if info is None:
            raise InputError(
                "colour space 'auto' needs the media info to guess from",
                hint="pass the MediaInfo of the source, or name the colour space",
            )
        name = info.colorspace_guess
    key = name.strip().lower()
    for ours in COLORSPACES + EXTRA_COLORSPACES:
        if key == ours.lower():
            return ours
    found = _config_names().get(key)
    if found:
        return found
    raise InputError(
        f"unknown colour space {name!r}",
        hint="use one of: auto, "
        + ", ".join(COLORSPACES + EXTRA_COLORSPACES)
        + " (or a colour space name of the OCIO studio config)",
    )


def _cineon_to_linear() -> Any:
    import PyOpenColorIO as ocio

    t = ocio.LogAffineTransform()
    t.setBase(10.0)
    t.setLogSideSlopeValue([300.0 / 1023.0] * 3)
    t.setLogSideOffsetValue([685.0 / 1023.0] * 3)
    t.setLinSideSlopeValue([1.0 - CINEON_BLACK] * 3)
    t.setLinSideOffsetValue([CINEON_BLACK] * 3)
    t.setDirection(ocio.TRANSFORM_DIR_INVERSE)  # forward is linear -> log
    return t


def _ocio_name(name: str) -> str:
    return OCIO_NAMES.get(name, OCIO_NAMES["Linear"] if name == "Cineon" else name)


@functools.lru_cache(maxsize=64)
def _convert_processor(src: str, dst: str) -> Any:
    import PyOpenColorIO as ocio

    group = ocio.GroupTransform()
    if src == "Cineon":
        group.appendTransform(_cineon_to_linear())
    group.appendTransform(ocio.ColorSpaceTransform(_ocio_name(src), _ocio_name(dst)))
    if dst == "Cineon":
        back = _cineon_to_linear()
        back.setDirection(ocio.TRANSFORM_DIR_FORWARD)
        group.appendTransform(back)
    return config().getProcessor(group).getDefaultCPUProcessor()


@functools.lru_cache(maxsize=64)
def _display_processor(src: str, display: str, view: str) -> Any:
    import PyOpenColorIO as ocio

    group = ocio.GroupTransform()
    if src == "Cineon":
        group.appendTransform(_cineon_to_linear())
    group.appendTransform(ocio.DisplayViewTransform(_ocio_name(src), display, view))
    return config().getProcessor(group).getDefaultCPUProcessor()


def _apply(processor: Any, img: np.ndarray) -> np.ndarray:
    """Run a CPU processor on the RGB of ``img`` (float32 copy); alpha passes through."""
    img = np.asarray(img)
    if img.ndim < 1 or img.shape[-1] not in (3, 4):
        raise InputError(
            f"colour conversion needs an (..., 3) or (..., 4) image, got shape {img.shape}",
            hint="pass RGB or RGBA pixels",
        )
    rgb = np.ascontiguousarray(img[..., :3], dtype=np.float32)
    if np.shares_memory(rgb, img):  # a view of the caller's pixels (a cached frame, say)
        rgb = rgb.copy()
    processor.applyRGB(rgb)  # in place, releases the GIL
    if img.shape[-1] == 3:
        return rgb
    out = np.empty(img.shape, np.float32)
    out[..., :3] = rgb
    out[..., 3] = img[..., 3]
    return out


def convert(img: np.ndarray, src: str, dst: str) -> np.ndarray:
    """Convert pixels from colour space ``src`` to ``dst``.

    Parameters
    ----------
    img
        (..., 3) or (..., 4) array; alpha is copied unchanged.
    src, dst
        Names accepted by :func:`resolve` (not "auto").

    Returns
    -------
    numpy.ndarray
        A new C-contiguous float32 array of the same shape.
    """
    src, dst = resolve(src), resolve(dst)
    if src == dst:
        return np.array(img, dtype=np.float32, order="C", copy=True)
    return _apply(_convert_processor(src, dst), img)


def linearize(img: np.ndarray, src: str) -> np.ndarray:
    """Convert to scene-linear Rec.709 ("Linear")."""
    return convert(img, src, "Linear")


def _check_display(display: str, view: str | None) -> str:
    cfg = config()
    displays = list(cfg.getDisplays())
    if display not in displays:
        raise InputError(f"unknown display {display!r}", hint="use one of: " + ", ".join(displays))
    views = list(cfg.getViews(display))
    view = view or cfg.getDefaultView(display)
    if view not in views:
        raise InputError(
            f"unknown view {view!r} for display {display!r}",
            hint="use one of: " + ", ".join(views),
        )
    return view


def to_display(
    img: np.ndarray, src: str, display: str = DEFAULT_DISPLAY, view: str | None = None
) -> np.ndarray:
    """Render ``img`` for a display through an OCIO DisplayViewTransform.

    ``view`` defaults to the config's default view of ``display`` (ACES 2.0 SDR for sRGB).
    Alpha passes through.
    """
    view = _check_display(display, view)
    return _apply(_display_processor(resolve(src), display, view), img)


def display_views(display: str = DEFAULT_DISPLAY) -> tuple[str, ...]:
    """The views the config offers for ``display``."""
    _check_display(display, None)
    return tuple(config().getViews(display))


def bake_display_lut3d(
    src: str, display: str = DEFAULT_DISPLAY, view: str | None = None, size: int = 33
) -> np.ndarray:
    """Bake the display transform into a 3D LUT for the GL viewport.

    The LUT samples source values in [0, 1] per axis; index order is ``lut[b, g, r]`` (the
    layout of a GL_TEXTURE_3D upload with r varying fastest). Scene-linear sources above 1.0
    are clamped by such a LUT: convert them to a log space first if highlights matter.

    Returns
    -------
    numpy.ndarray
        float32 (size, size, size, 3).
    """
    if not 2 <= size <= 129:
        raise InputError(f"LUT size {size} is out of range", hint="use a size from 2 to 129")
    axis = np.linspace(0.0, 1.0, size, dtype=np.float32)
    b, g, r = np.meshgrid(axis, axis, axis, indexing="ij")
    grid = np.ascontiguousarray(np.stack([r, g, b], axis=-1))
    return to_display(grid, src, display, view)
