"""Bake OCIO display/view transforms into viewport 3D LUTs (once per change, cached)."""

from __future__ import annotations

import functools

import numpy as np

from ultimate_roto.app.display_cpu import (
    CURVES,
    DECODE_SIZE,
    LOG2_RANGE,
    DisplayLut,
    LinearPath,
    shaper_inverse,
)
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


@functools.lru_cache(maxsize=16)  # a display-encoded source takes two: its own, its linear one
def bake(src: str, display: str, view: str | None, size: int = LUT_SIZE) -> DisplayLut:
    """The display LUT of colour space ``src`` through ``display``/``view``.

    Scene-linear sources are baked on a log2 shaper (``LOG2_RANGE``: 2^-12 .. 2^6 linear) so
    HDR values keep their highlights; other sources sample 0..1 directly (values outside clamp)
    and carry the route of exposure to linear light (``DisplayLut.exposure``): their transfer
    function as a 1D table and the LUT of their linear equivalent (``linear_equivalent``).
    """
    view = check_view(display, view)
    source = colour.resolve(src)
    shaper = LOG2_RANGE if is_scene_linear(source) else None
    exposure = None
    if shaper is None:
        table = colour.bake_display_lut3d(source, display, view, size)
        linear = linear_equivalent(source)
        if linear is not None:
            decode = decode_table(source, linear)
            exposure = LinearPath(decode, bake(linear, display, view, size), curve_of(decode))
    else:
        axis = shaper_inverse(np.linspace(0.0, 1.0, size, dtype=np.float32), shaper)
        # the shaper's floor (2^-12, where every darker value lands) is baked as true black:
        # pure black stays 0 through the view instead of showing as 1/255
        axis[0] = 0.0
        b, g, r = np.meshgrid(axis, axis, axis, indexing="ij")
        grid = np.ascontiguousarray(np.stack([r, g, b], axis=-1))
        table = colour.to_display(grid, source, display, view)
    table = np.ascontiguousarray(table[..., :3], np.float32)
    table.setflags(write=False)
    return DisplayLut(table, shaper, display, view, source, exposure)


@functools.lru_cache(maxsize=64)
def decode_table(src: str, linear: str, size: int = DECODE_SIZE) -> np.ndarray:
    """(size, 3) float32, read-only: per channel, ``src`` values 0..1 converted to ``linear``."""
    ramp = np.repeat(np.linspace(0.0, 1.0, size, dtype=np.float32)[:, None], 3, axis=1)
    table = np.ascontiguousarray(colour.convert(ramp, src, linear), np.float32)
    table.setflags(write=False)
    return table


def curve_of(decode: np.ndarray) -> str | None:
    """The name in ``CURVES`` of the formula a decode table samples (within 1e-4: OCIO's own
    sRGB and BT.709 curves are 2e-5 and 5e-5 off the exact formulas), None if none does."""
    x = np.linspace(0.0, 1.0, decode.shape[0])
    for name, curve in CURVES.items():
        if np.abs(decode - curve(x)[:, None]).max() <= 1e-4:
            return name
    return None


@functools.lru_cache(maxsize=32)
def linear_equivalent(src: str) -> str | None:
    """The scene-linear colour space that ``src`` (display-encoded or log) decodes to channel
    by channel: its transfer function alone, the same primaries ("sRGB", "Rec709", "Cineon" ->
    "Linear"; "ACEScct" -> "ACEScg"; "ARRI LogC4" -> "Linear ARRI Wide Gamut 4"). None for
    data and for a conversion that mixes channels whatever the linear space."""
    source = colour.resolve(src)
    cs = colour.config().getColorSpace(source)
    if cs is not None and cs.isData():
        return None
    ramp = np.linspace(0.0, 1.0, DECODE_SIZE, dtype=np.float32)
    # every mix of three levels per channel: a matrix (other primaries) moves some of them
    # (OCIO's ACEScc -> ACEScg mixes them in saturated highlights: no linear equivalent)
    levels = np.array([0.05, 0.4, 0.9], np.float32)
    probe = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), axis=-1).reshape(-1, 3)
    for name in _linear_candidates():
        table = decode_table(source, name)
        got = colour.convert(probe.copy(), source, name)  # convert can write its input
        want = np.stack([np.interp(probe[:, i], ramp, table[:, i]) for i in range(3)], axis=1)
        if np.all(np.abs(got - want) <= 1e-4 * np.maximum(1.0, np.abs(want))):
            return name
    return None


def _linear_candidates() -> list[str]:
    """Scene-linear colour spaces of the config, ours first ("Linear" is Rec.709)."""
    names = ["Linear", "ACEScg", "ACES2065-1"]
    taken = {colour.OCIO_NAMES[n] for n in names}
    for cs in colour.config().getColorSpaces():
        name = cs.getName()
        if name not in taken and getattr(cs, "getEncoding", lambda: "")() == "scene-linear":
            names.append(name)
    return names
