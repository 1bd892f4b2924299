"""Bake OCIO display/view transforms into viewport 3D LUTs (once per change, cached)."""

from __future__ import annotations

import functools

import numpy as np

from ultimate_roto.app.display_cpu import LOG2_RANGE, DisplayLut, shaper_inverse
from ultimate_roto.core.errors import InputError
from ultimate_roto.core.media import colour

LUT_SIZE = 33
SCENE_LINEAR = ("Linear", "ACEScg", "ACES2065-1")


def is_scene_linear(src: str) -> bool:
    """True when ``src`` (a name ``colour.resolve`` accepts) is a scene-linear colour space."""
    name = colour.resolve(src)
    if name in SCENE_LINEAR:
        return True
    cs = colour.config().getColorSpace(name)
    encoding = getattr(cs, "getEncoding", lambda: "")() if cs is not None else ""
    return encoding == "scene-linear"


#: The view shown until the user picks one: the plate as encoded for the display, no tone
#: mapping (Nuke's default viewer behaves so); the config's ACES view is one click away.
PREFERRED_DEFAULT_VIEW = "Un-tone-mapped"


def default_view(display: str) -> str:
    """``PREFERRED_DEFAULT_VIEW`` when the display has it, else the config's default view."""
    views = colour.display_views(display)  # raises InputError for an unknown display
    if PREFERRED_DEFAULT_VIEW in views:
        return PREFERRED_DEFAULT_VIEW
    return str(colour.config().getDefaultView(display))


def check_view(display: str, view: str | None) -> str:
    """The view to use (``None``: :func:`default_view`); InputError names the valid ones."""
    views = colour.display_views(display)  # raises InputError for an unknown display
    if view is None:
        return default_view(display)
    if view not in views:
        raise InputError(
            f"unknown view {view!r} for display {display!r}", hint="use one of: " + ", ".join(views)
        )
    return view


@functools.lru_cache(maxsize=8)
def bake(src: str, display: str, view: str | None, size: int = LUT_SIZE) -> DisplayLut:
    """The display LUT of colour space ``src`` through ``display``/``view``.

    Scene-linear sources are baked on a log2 shaper (``LOG2_RANGE``: 2^-12 .. 2^6 linear) so
    HDR values keep their highlights; other sources sample 0..1 directly (values outside clamp).
    """
    view = check_view(display, view)
    source = colour.resolve(src)
    shaper = LOG2_RANGE if is_scene_linear(source) else None
    if shaper is None:
        table = colour.bake_display_lut3d(source, display, view, size)
    else:
        axis = shaper_inverse(np.linspace(0.0, 1.0, size, dtype=np.float32), shaper)
        b, g, r = np.meshgrid(axis, axis, axis, indexing="ij")
        grid = np.ascontiguousarray(np.stack([r, g, b], axis=-1))
        table = colour.to_display(grid, source, display, view)
    table = np.ascontiguousarray(table[..., :3], np.float32)
    table.setflags(write=False)
    return DisplayLut(table, shaper, display, view, source)
