"""Qt-free numpy twin of shaders/display.frag: the raster fallback and the GL tests' reference."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ultimate_roto.core.media.colour import CINEON_BLACK  # Cineon log code value of linear 0
from ultimate_roto.core.media.pixels import to_float32

#: Viewer channels; "Matte" shows the current object's overlay mask as grey (its coverage as
#: is, with no display transform or overlay: what a comp gets), not a channel of the plate.
CHANNELS = ("RGB", "R", "G", "B", "A", "Luminance", "Matte")
MATTE = CHANNELS.index("Matte")
#: dtypes a frame is displayed in without conversion (uint8: 8-bit sources, float16: deeper)
TEXTURE_DTYPES = (np.dtype(np.uint8), np.dtype(np.float16), np.dtype(np.float32))
_LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)


@dataclass
class DisplaySettings:
    """Viewer display parameters, shared by the GL shader uniforms and the CPU path."""

    exposure: float = 0.0  # stops, in scene-linear light (see ``display_route``)
    gamma: float = 1.0  # on display values, after the view transform (OCIO's display CC)
    channel: str = "RGB"
    linear: bool = False  # the frame is scene-linear: apply the sRGB display encoding
    overlay_visible: bool = True
    overlay_colour: tuple[float, float, float] = (1.0, 0.35, 0.1)
    overlay_opacity: float = 0.45
    depth_visible: bool = False  # colour-mapped depth overlay (near warm, far cool)
    depth_opacity: float = 0.6

    @property
    def channel_index(self) -> int:
        return CHANNELS.index(self.channel)


def as_rgba(frame: np.ndarray) -> np.ndarray:
    """Frame as float32 (H, W, 4): greys repeat, RGB gets alpha 1; rejects other shapes."""
    a = np.asarray(frame)
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[2] not in (1, 3, 4) or a.shape[0] < 1 or a.shape[1] < 1:
        raise ValueError(f"a frame must be (H, W), (H, W, 1|3|4); got shape {a.shape}")
    a = a.astype(np.float32, copy=False)
    if np.issubdtype(np.asarray(frame).dtype, np.integer):
        a = a / float(np.iinfo(np.asarray(frame).dtype).max)
    if a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    if a.shape[2] == 3:
        a = np.concatenate([a, np.ones(a.shape[:2] + (1,), np.float32)], axis=2)
    return np.ascontiguousarray(a)


def as_texture(frame: np.ndarray) -> np.ndarray:
    """Frame as C-contiguous (H, W, 3|4) in a texture dtype, for display.

    uint8, float16 and float32 are kept (the GL viewport uploads each as it is: RGB(A)8,
    RGB(A)16F, RGB(A)32F), so a cached frame is shown without a copy; greys repeat to RGB; RGB
    gets no alpha copy (a 1080p RGBA concatenation costs more than the upload); other integer
    types become float32 0..1, other floats float32. Rejects other shapes."""
    a = np.asarray(frame)
    if (
        a.ndim == 3
        and a.shape[2] in (3, 4)
        and a.dtype in TEXTURE_DTYPES
        and a.flags.c_contiguous
        and min(a.shape[:2]) >= 1
    ):
        return a  # the common case: a cached frame is shown as it is (read-only)
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[2] not in (1, 3, 4) or a.shape[0] < 1 or a.shape[1] < 1:
        raise ValueError(f"a frame must be (H, W), (H, W, 1|3|4); got shape {a.shape}")
    if a.dtype not in TEXTURE_DTYPES:
        a = a.astype(np.float32)
        if np.issubdtype(np.asarray(frame).dtype, np.integer):
            a = a / np.float32(np.iinfo(np.asarray(frame).dtype).max)
    if a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    return np.ascontiguousarray(a)


def srgb_encode(c: np.ndarray) -> np.ndarray:
    c = np.maximum(c, 0.0)
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * np.power(c, 1.0 / 2.4) - 0.055)


def srgb_decode(c: np.ndarray) -> np.ndarray:
    """Linear light of sRGB-encoded values (the piecewise curve; negatives clamp to 0)."""
    c = np.maximum(c, 0.0)
    return np.where(c <= 0.04045, c / 12.92, np.power((c + 0.055) / 1.055, 2.4))


def rec709_decode(c: np.ndarray) -> np.ndarray:
    """Linear light of BT.709 camera-encoded values (the inverse OETF; negatives clamp to 0)."""
    c = np.maximum(c, 0.0)
    return np.where(c < 0.081, c / 4.5, np.power((c + 0.099) / 1.099, 1.0 / 0.45))


def cineon_decode(c: np.ndarray) -> np.ndarray:
    """Linear light of Cineon log values (0..1 for 10-bit code values 0..1023)."""
    return (np.power(10.0, (c * 1023.0 - 685.0) / 300.0) - CINEON_BLACK) / (1.0 - CINEON_BLACK)


#: Transfer functions the shader computes (DECODE_SRGB, DECODE_REC709, DECODE_CINEON) instead
#: of reading a decode table: on llvmpipe three filtered texture reads a pixel cost more than
#: the maths (bench: +17 ms a 720p paint for the table, +5 for a formula).
CURVES = {"sRGB": srgb_decode, "Rec709": rec709_decode, "Cineon": cineon_decode}


def outline(mask: np.ndarray, step: int = 1) -> np.ndarray:
    """1 where a thresholded mask texel differs from a 4-neighbour ``step`` texels away (edges
    clamp). ``step`` k is the shader's outline when one screen pixel spans k texels (zoom
    1/k): a band k texels either side of an edge, one screen pixel once scaled down."""
    k = max(1, int(step))
    m = (mask >= 0.5).astype(np.float32)
    p = np.pad(m, k, mode="edge")
    h, w = m.shape
    diff = (
        np.abs(m - p[k : k + h, 2 * k :])
        + np.abs(m - p[k : k + h, :w])
        + np.abs(m - p[2 * k :, k : k + w])
        + np.abs(m - p[:h, k : k + w])
    )
    return np.clip(diff, 0.0, 1.0)


def matte(mask: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray:
    """The "Matte" view: coverage 0..1 as grey RGB (H, W, 3); black without a mask."""
    if mask is None or mask.shape != shape:
        return np.zeros((*shape, 3), np.float32)
    m = mask.astype(np.float32)
    m = m / np.float32(255.0) if mask.dtype == np.uint8 else np.clip(m, 0.0, 1.0)
    return np.repeat(m[..., None], 3, axis=2)


def display(
    rgba: np.ndarray,
    s: DisplaySettings,
    mask: np.ndarray | None = None,
    lut: DisplayLut | None = None,
    depth: np.ndarray | None = None,
    outline_step: int = 1,
) -> np.ndarray:
    """Display-referred float RGB (H, W, 3) in [0, 1], exactly what the shader computes.

    ``rgba`` is (H, W, 3|4) float32, or a compact uint8 (read as ``v / 255``, as GL samples an
    RGB8 texture) or float16 frame. ``lut`` (an OCIO display/view) replaces the sRGB encoding;
    exposure acts in linear light (``display_route``), gamma on the display values after it;
    ``depth`` is normalised depth (see ``normalise_depth``) drawn when ``s.depth_visible``;
    ``mask`` is coverage 0..1 (or uint8). The channel "Matte" shows ``mask`` alone (``matte``).
    ``outline_step``: texels per screen pixel when zoomed out (see ``outline``; 1 at 1:1 and
    above), as the shader keeps the outline one screen pixel wide."""
    rgba = to_float32(rgba)
    if s.channel_index == MATTE:
        return matte(mask, rgba.shape[:2])
    route = display_route(s, lut)
    gain = np.float32(2.0**s.exposure)
    alpha = None  # only the A channel reads it: no H×W allocation per paint otherwise
    if s.channel_index == 4:
        alpha = rgba[..., 3:4] if rgba.shape[2] > 3 else np.ones_like(rgba[..., :1])
    if route.decode is not None:  # display-encoded source: channel, to linear, then gain
        c = isolate(rgba[..., :3], alpha, s.channel_index)
        if route.curve is not None:
            c = CURVES[route.curve](np.clip(c, 0.0, 1.0)).astype(np.float32) * gain
        else:
            c = apply_lut1d(c, route.decode) * gain
    else:  # the values are linear (or exposure is 0): gain as they come, alpha untouched
        c = isolate(rgba[..., :3] * gain, alpha, s.channel_index)
    if route.lut is not None:
        c = apply_lut3d(c, route.lut)
    elif route.encode:
        c = srgb_encode(c)
    c = np.power(np.maximum(c, 0.0), 1.0 / max(s.gamma, 1e-4))
    if s.depth_visible and depth is not None and depth.shape == rgba.shape[:2]:
        c = c + (depth_colour(depth) - c) * np.float32(s.depth_opacity)
    if s.overlay_visible and mask is not None and mask.shape == rgba.shape[:2]:
        col = np.asarray(s.overlay_colour, np.float32)
        m = mask[..., None].astype(np.float32) * s.overlay_opacity
        c = c * (1.0 - m) + col * m
        o = outline(mask, outline_step)[..., None]
        c = c * (1.0 - o) + col * o
    return np.clip(c, 0.0, 1.0).astype(np.float32)


def isolate(rgb: np.ndarray, alpha: np.ndarray | None, channel: int) -> np.ndarray:
    """The viewer channel ``channel`` (index in ``CHANNELS``, not Matte) of (H, W, 3) ``rgb``
    and (H, W, 1) ``alpha`` as (H, W, 3): R, G, B, A or Rec.709 luminance as grey."""
    if channel in (1, 2, 3):
        return np.repeat(rgb[..., channel - 1 : channel], 3, axis=2)
    if channel == 4:
        return np.repeat(alpha, 3, axis=2)
    if channel == 5:
        return np.repeat((rgb @ _LUMA)[..., None], 3, axis=2)
    return rgb


#: Log2 shaper of scene-linear input before the 3D LUT: 0..1 LUT inputs cover 2^-12 .. 2^6
#: (about 0.00024 .. 64 linear); values outside are clamped to the ends.
LOG2_RANGE = (-12.0, 6.0)
DEPTH_NEAR = (1.0, 0.3, 0.05)  # warm
DEPTH_FAR = (0.05, 0.35, 1.0)  # cool


#: Entries of a decode table: GL 3.3 guarantees 1024-texel textures; linear interpolation
#: over 1024 steps is within 1e-5 (relative) of the sRGB, Rec.709 and camera log curves.
DECODE_SIZE = 1024


@dataclass(frozen=True)
class DisplayLut:
    """A baked OCIO display/view transform: ``table[b, g, r]`` float32 (N, N, N, 3) sampled on
    0..1 inputs, after ``shaper`` (None: input clamped to 0..1; (lo, hi): log2 range).

    ``exposure``: for a display-encoded source, how exposure reaches linear light (see
    ``LinearPath``); None where the source is linear already (or has no linear equivalent)."""

    table: np.ndarray
    shaper: tuple[float, float] | None
    display: str
    view: str
    source: str
    exposure: LinearPath | None = None

    @property
    def size(self) -> int:
        return int(self.table.shape[0])


@dataclass(frozen=True)
class LinearPath:
    """The route of a display-encoded source to linear light, where exposure is applied.

    ``decode`` float32 (N, 3): per channel, the source's transfer function to its linear
    equivalent sampled on N inputs evenly over 0..1 (inputs outside clamp, as the source's own
    LUT clamps them); ``lut``: the display LUT of that linear space (log2 shaper), or None for
    the fixed sRGB encoding (no OCIO view); ``curve``: the name in ``CURVES`` of a formula
    equal to ``decode`` (within 1e-4), computed instead of the table."""

    decode: np.ndarray
    lut: DisplayLut | None
    curve: str | None = None


def _srgb_path() -> LinearPath:
    x = np.linspace(0.0, 1.0, DECODE_SIZE, dtype=np.float64)
    table = np.repeat(srgb_decode(x)[:, None], 3, axis=1).astype(np.float32)
    table.setflags(write=False)
    return LinearPath(table, None, "sRGB")


#: Without an OCIO view a display-encoded frame is shown as sRGB: decoded by the sRGB curve
#: and encoded again after the exposure.
SRGB_PATH = _srgb_path()


@dataclass(frozen=True)
class DisplayRoute:
    """What one display pass does: ``decode`` (N, 3) to linear before the exposure (None: the
    values are taken as they come; ``curve``: by that formula of ``CURVES``), then ``lut``, or
    the sRGB encoding when ``encode``."""

    decode: np.ndarray | None
    lut: DisplayLut | None
    encode: bool
    curve: str | None = None


def display_route(s: DisplaySettings, lut: DisplayLut | None) -> DisplayRoute:
    """The display route of settings ``s`` through ``lut`` (None: the fixed sRGB encoding).

    Exposure acts in scene-linear light, as a compositor's viewer gain does: scene-linear
    frames are multiplied as they come; display-encoded ones (sRGB/Rec.709 video, 8-bit
    images, log scans) are decoded to their linear equivalent first and shown through the LUT
    baked for it (``lut.exposure``; without a LUT, sRGB). At 0 stops, in the alpha view (not
    light) and for sources without a linear equivalent (data) the values go through ``lut``
    as they come, so the output is exactly that of the plain transform."""
    path = None
    if s.exposure != 0.0 and s.channel_index not in (CHANNELS.index("A"), MATTE):
        if lut is not None:
            path = lut.exposure
        elif not s.linear:
            path = SRGB_PATH
    if path is None:
        return DisplayRoute(None, lut, lut is None and s.linear)
    return DisplayRoute(path.decode, path.lut, path.lut is None, path.curve)


def shape_input(c: np.ndarray, shaper: tuple[float, float] | None) -> np.ndarray:
    """LUT coordinates 0..1 of colours ``c`` (identity clamp or log2 shaper)."""
    if shaper is None:
        return np.clip(c, 0.0, 1.0).astype(np.float32)
    lo, hi = shaper
    x = (np.log2(np.maximum(c, np.float32(2.0**lo))) - lo) / (hi - lo)
    return np.clip(x, 0.0, 1.0).astype(np.float32)


def shaper_inverse(x: np.ndarray, shaper: tuple[float, float] | None) -> np.ndarray:
    """Colour values at LUT coordinates ``x`` (for baking the table)."""
    if shaper is None:
        return x.astype(np.float32)
    lo, hi = shaper
    return np.exp2(lo + x * (hi - lo)).astype(np.float32)


def apply_lut1d(c: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Per channel linear interpolation of (..., 3) colours in an (N, 3) table sampled on 0..1
    (inputs clamp), as GL_LINEAR on the decode texture does."""
    x = np.linspace(0.0, 1.0, table.shape[0], dtype=np.float32)
    out = np.empty(c.shape, np.float32)
    for i in range(3):
        out[..., i] = np.interp(c[..., i], x, table[:, i])
    return out


def apply_lut3d(c: np.ndarray, lut: DisplayLut) -> np.ndarray:
    """Trilinear lookup of (..., 3) colours, as GL_LINEAR on the 3D texture does."""
    n = lut.size
    pos = shape_input(c, lut.shaper) * np.float32(n - 1)
    i0 = np.clip(np.floor(pos).astype(np.int64), 0, n - 2 if n > 1 else 0)
    f = pos - i0
    i1 = np.minimum(i0 + 1, n - 1)
    t = lut.table
    r0, g0, b0 = i0[..., 0], i0[..., 1], i0[..., 2]
    r1, g1, b1 = i1[..., 0], i1[..., 1], i1[..., 2]
    fr, fg, fb = f[..., 0:1], f[..., 1:2], f[..., 2:3]

    def lerp(a, b, w):
        return a + (b - a) * w

    c00 = lerp(t[b0, g0, r0], t[b0, g0, r1], fr)
    c01 = lerp(t[b0, g1, r0], t[b0, g1, r1], fr)
    c10 = lerp(t[b1, g0, r0], t[b1, g0, r1], fr)
    c11 = lerp(t[b1, g1, r0], t[b1, g1, r1], fr)
    return lerp(lerp(c00, c01, fg), lerp(c10, c11, fg), fb).astype(np.float32)


def clip_depth(depth: np.ndarray) -> np.ndarray:
    """A depth map already normalised (0 near .. 1 far) as the viewport shows it: a new
    C-contiguous float32 array clipped to 0..1, NaN as far."""
    d = np.clip(np.asarray(depth, np.float32), 0.0, 1.0)  # (a new array; NaN stays NaN)
    return np.ascontiguousarray(np.nan_to_num(d, copy=False, nan=1.0))


def normalise_depth(depth: np.ndarray) -> np.ndarray:
    """Depth (H, W) as float32 0 (nearest) .. 1 (farthest); non-finite values count as far."""
    d = np.asarray(depth, np.float32)
    if d.ndim == 3 and d.shape[2] == 1:
        d = d[..., 0]
    if d.ndim != 2 or d.size == 0:
        raise ValueError(f"a depth map must be 2-D (H, W); got shape {d.shape}")
    finite = np.isfinite(d)
    if not finite.any():
        return np.ones(d.shape, np.float32)
    lo, hi = float(d[finite].min()), float(d[finite].max())
    out = (d - lo) / (hi - lo) if hi > lo else np.zeros_like(d)
    return np.ascontiguousarray(np.where(finite, np.clip(out, 0.0, 1.0), 1.0), np.float32)


def depth_colour(d: np.ndarray) -> np.ndarray:
    """Colour map of normalised depth (H, W): near warm, far cool (a linear blend)."""
    near = np.asarray(DEPTH_NEAR, np.float32)
    far = np.asarray(DEPTH_FAR, np.float32)
    return near + (far - near) * d[..., None].astype(np.float32)


def to_uint8(display_rgb: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray((display_rgb * 255.0 + 0.5).astype(np.uint8))


def mask_to_uint8(mask: np.ndarray) -> np.ndarray:
    """A coverage mask (bool, uint8 0..255 or float 0..1) as contiguous uint8 for an R8 texture."""
    m = np.asarray(mask)
    if m.ndim != 2:
        raise ValueError(f"a mask must be 2-D (H, W); got shape {m.shape}")
    if m.dtype == np.bool_:
        return np.ascontiguousarray(m.astype(np.uint8) * 255)
    if m.dtype == np.uint8:
        return np.ascontiguousarray(m)
    return np.ascontiguousarray((np.clip(m, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8))
