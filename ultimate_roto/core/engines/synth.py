"""DAVIS-style synthetic video from real photographs, with exactly known masks.

Objects are regions cut from the real photographs that ship inside scikit-image
(``skimage/data/*.png|jpg``: the coffee cup and saucer, the cat's head, the astronaut, the
rocket); the object pixels are real photo pixels and the ground truth is exactly where they
were pasted. They move over real backgrounds (a motorcycle photo, brick, grass and gravel
textures) with camera pan, scale change, rotation, occlusion (a second object passing in
front) and motion blur (object and its alpha blurred along the motion; GT = blurred visible
alpha ≥ 0.5).

Everything is a function of ``(sequence, frame index, width, height, seed)``: frames are
rendered on the fly at any resolution (854×480 default, 1920×1080 for speed benches, tiny for
tests), so long streams need no storage, and the same call always gives the same pixels.
:func:`write_davis` writes the DAVIS layout (``JPEGImages/480p/<seq>/00000.jpg`` and palette
``Annotations/480p/<seq>/00000.png`` with value = object id). The files are read with cv2 from
the folder found with ``importlib.util.find_spec("skimage")`` (``skimage.data`` is never
imported: it may try to download).
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ultimate_roto.core.errors import InputError

Masks = dict[int, np.ndarray]


@dataclass(frozen=True)
class Shape:
    """An object region in a source photo: ellipses (union) or one polygon, in source pixels."""

    source: str
    ellipses: tuple[tuple[float, float, float, float], ...] = ()  # (cx, cy, rx, ry)
    polygon: tuple[tuple[float, float], ...] = ()


SHAPES: dict[str, Shape] = {
    "cup": Shape("coffee.png", ellipses=((278, 236, 203, 150), (291, 112, 120, 96))),
    "cat": Shape("chelsea.png", ellipses=((228, 150, 190, 145),)),
    "astronaut": Shape(
        "astronaut.png",
        polygon=(
            (200, 14),
            (250, 14),
            (290, 40),
            (300, 90),
            (297, 150),
            (305, 175),
            (303, 230),
            (290, 270),
            (250, 290),
            (200, 290),
            (150, 270),
            (120, 230),
            (118, 180),
            (150, 150),
            (152, 90),
            (165, 40),
        ),
    ),  # fmt: skip
    "person": Shape(
        "astronaut.png",
        polygon=(
            (200, 14),
            (250, 14),
            (290, 40),
            (300, 90),
            (300, 150),
            (345, 270),
            (360, 330),
            (362, 511),
            (22, 511),
            (28, 330),
            (55, 270),
            (118, 200),
            (152, 90),
            (165, 40),
        ),
    ),  # fmt: skip
    "rocket": Shape(
        "rocket.jpg",
        polygon=(
            (322, 126),
            (315, 135),
            (311, 150),
            (309, 175),
            (309, 395),
            (336, 395),
            (335, 175),
            (333, 150),
            (329, 135),
        ),
    ),  # fmt: skip
}

# background name -> (file, RGB tint for grey textures or None)
BACKGROUNDS: dict[str, tuple[str, tuple[float, float, float] | None]] = {
    "motorcycle": ("motorcycle_left.png", None),
    "brick": ("brick.png", (1.0, 0.72, 0.55)),
    "grass": ("grass.png", (0.55, 0.85, 0.45)),
    "gravel": ("gravel.png", (0.9, 0.88, 0.8)),
    "coffee": ("coffee.png", None),
}


@dataclass(frozen=True)
class Key:
    """Pose at normalised time ``t``: centre (fractions of width/height), size (object height
    as a fraction of the frame height) and rotation in degrees (counter-clockwise)."""

    t: float
    x: float
    y: float
    size: float
    angle: float = 0.0


@dataclass(frozen=True)
class Actor:
    """One object of a sequence: id (annotation value), shape name, pose keys, blur flag."""

    obj_id: int
    shape: str
    keys: tuple[Key, ...]
    blur: bool = False


@dataclass(frozen=True)
class SequenceSpec:
    """A sequence: background, camera pan (start/end offset as a fraction of the frame), actors
    back to front, and its default frame count."""

    name: str
    background: str
    pan: tuple[float, float, float, float]
    actors: tuple[Actor, ...]
    n_frames: int = 40


def sequences(seed: int = 0) -> list[SequenceSpec]:
    """The benchmark set (5 sequences, 30-50 frames); ``seed`` jitters the paths (0 = canonical).

    Raises
    ------
    InputError
        A negative seed.
    """
    if seed < 0:
        raise InputError(f"synth seed {seed} is negative", hint="use a seed >= 0")
    base = [
        SequenceSpec("cup-slide", "motorcycle", (0.0, 0.0, 0.08, 0.02), (
            Actor(1, "cup", (Key(0, 0.28, 0.55, 0.55, -5), Key(1, 0.70, 0.50, 0.60, 10))),
        ), 40),
        SequenceSpec("cat-zoom", "brick", (0.05, 0.0, 0.0, 0.05), (
            Actor(1, "cat", (Key(0, 0.45, 0.52, 0.45), Key(0.6, 0.52, 0.50, 0.75, 4),
                             Key(1, 0.55, 0.48, 0.85, 6))),
        ), 30),
        SequenceSpec("rocket-blur", "grass", (0.0, 0.06, 0.0, 0.0), (
            Actor(1, "rocket", (Key(0, 0.30, 0.62, 0.70, 0), Key(0.5, 0.50, 0.48, 0.70, -20),
                                Key(1, 0.75, 0.40, 0.65, -35)), blur=True),
        ), 40),
        SequenceSpec("astro-occlusion", "gravel", (0.0, 0.0, 0.05, 0.0), (
            Actor(1, "astronaut", (Key(0, 0.35, 0.50, 0.70), Key(1, 0.55, 0.52, 0.72, 5))),
            Actor(2, "cup", (Key(0, 1.05, 0.60, 0.45, 0), Key(1, -0.05, 0.55, 0.45, -40)),
                  blur=True),
        ), 50),
        SequenceSpec("cat-spin", "motorcycle", (0.06, 0.04, 0.0, 0.0), (
            Actor(1, "cat", (Key(0, 0.50, 0.50, 0.60, 0), Key(1, 0.45, 0.55, 0.50, 75)),
                  blur=True),
        ), 35),
    ]  # fmt: skip
    if seed == 0:
        return base
    rng = np.random.default_rng(seed)
    return [_jitter(s, rng) for s in base]


def _jitter(spec: SequenceSpec, rng: np.random.Generator) -> SequenceSpec:
    actors = tuple(
        Actor(a.obj_id, a.shape, tuple(
            Key(k.t, k.x + rng.uniform(-0.05, 0.05), k.y + rng.uniform(-0.05, 0.05),
                k.size * rng.uniform(0.9, 1.1), k.angle + rng.uniform(-10, 10))
            for k in a.keys), a.blur)
        for a in spec.actors
    )  # fmt: skip
    return SequenceSpec(spec.name, spec.background, spec.pan, actors, spec.n_frames)


def get_sequence(name: str, seed: int = 0) -> SequenceSpec:
    """The sequence called ``name``.

    Raises
    ------
    InputError
        Unknown name (the message lists the valid ones).
    """
    for spec in sequences(seed):
        if spec.name == name:
            return spec
    valid = ", ".join(s.name for s in sequences())
    raise InputError(f"unknown synthetic sequence '{name}'", hint=f"valid: {valid}")


# -- sources --------------------------------------------------------------------------------
def data_dir() -> Path:
    """scikit-image's bundled photo folder (found without importing ``skimage.data``).

    Raises
    ------
    InputError
        scikit-image is not installed.
    """
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        raise InputError(
            "scikit-image is not installed; the synthetic benchmark uses its sample photos",
            hint="pip install scikit-image",
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


@functools.lru_cache(maxsize=16)
def _read_rgb(name: str) -> np.ndarray:
    import cv2

    path = data_dir() / name
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise InputError(f"cannot read sample photo {path}", hint="reinstall scikit-image")
    return np.ascontiguousarray(cv2.cvtColor(img, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0)


@functools.lru_cache(maxsize=16)
def _cutout(shape_name: str) -> tuple[np.ndarray, np.ndarray]:
    """The object's crop (RGB) and its exact binary region (float 0/1), cropped to its bbox."""
    import cv2

    if shape_name not in SHAPES:
        raise InputError(f"unknown synthetic object '{shape_name}'", hint=f"valid: {list(SHAPES)}")
    shape = SHAPES[shape_name]
    img = _read_rgb(shape.source)
    region = np.zeros(img.shape[:2], np.uint8)
    for cx, cy, rx, ry in shape.ellipses:
        cv2.ellipse(region, (int(cx), int(cy)), (int(rx), int(ry)), 0, 0, 360, 1, -1)
    if shape.polygon:
        cv2.fillPoly(region, [np.array(shape.polygon, np.int32)], 1)
    ys, xs = np.nonzero(region)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    return img[y0:y1, x0:x1].copy(), region[y0:y1, x0:x1].astype(np.float32)


@functools.lru_cache(maxsize=8)
def _background(name: str, width: int, height: int, margin: float) -> np.ndarray:
    import cv2

    if name not in BACKGROUNDS:
        raise InputError(
            f"unknown synthetic background '{name}'", hint=f"valid: {list(BACKGROUNDS)}"
        )
    file, tint = BACKGROUNDS[name]
    img = _read_rgb(file)
    if tint is not None:
        img = img.mean(axis=2, keepdims=True) * np.array(tint, np.float32)
    need_w, need_h = width * (1 + margin), height * (1 + margin)
    k = max(need_w / img.shape[1], need_h / img.shape[0])
    size = (int(np.ceil(img.shape[1] * k)), int(np.ceil(img.shape[0] * k)))
    interp = cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC
    return np.clip(cv2.resize(img, size, interpolation=interp), 0, 1)


# -- rendering ------------------------------------------------------------------------------
def pose_at(keys: tuple[Key, ...], t: float) -> Key:
    """Linearly interpolated pose at normalised time ``t`` (clamped to the keys)."""
    if t <= keys[0].t:
        return keys[0]
    for a, b in zip(keys, keys[1:], strict=False):
        if t <= b.t:
            u = (t - a.t) / (b.t - a.t)
            return Key(t, *(getattr(a, f) + u * (getattr(b, f) - getattr(a, f))
                            for f in ("x", "y", "size", "angle")))  # fmt: skip
    return keys[-1]


def _layer(actor: Actor, t: float, dt: float, width: int, height: int):
    """Render one actor: premultiplied RGB and alpha on the full frame."""
    import cv2

    crop, region = _cutout(actor.shape)
    pose = pose_at(actor.keys, t)
    s = pose.size * height / crop.shape[0]
    if s < 0.8:  # pre-shrink with area averaging so small renders do not alias
        size = (max(2, round(crop.shape[1] * s)), max(2, round(crop.shape[0] * s)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        region = cv2.resize(region, size, interpolation=cv2.INTER_AREA)
        s = pose.size * height / crop.shape[0]
    centre = ((crop.shape[1] - 1) / 2, (crop.shape[0] - 1) / 2)
    m = cv2.getRotationMatrix2D(centre, pose.angle, s)
    m[:, 2] += (pose.x * width - centre[0], pose.y * height - centre[1])
    rgba = np.dstack([crop * region[..., None], region])
    blur = (0.0, 0.0)
    if actor.blur:
        a, b = pose_at(actor.keys, t - dt / 4), pose_at(actor.keys, t + dt / 4)  # 180° shutter
        blur = ((b.x - a.x) * width, (b.y - a.y) * height)
    x0, y0, x1, y1 = _footprint(m, crop.shape, blur, width, height)
    out = np.zeros((height, width, 4), np.float32)
    if x1 > x0 and y1 > y0:  # warp only the object's footprint (4x faster at 1080p)
        m[:, 2] -= (x0, y0)
        roi = cv2.warpAffine(rgba, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_CONSTANT)  # fmt: skip
        out[y0:y1, x0:x1] = _motion_blur(roi, *blur)
    return out[..., :3], np.clip(out[..., 3], 0.0, 1.0)


def _footprint(m: np.ndarray, shape: tuple[int, ...], blur: tuple[float, float],
               width: int, height: int) -> tuple[int, int, int, int]:  # fmt: skip
    h, w = shape[:2]
    corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64) @ m.T
    pad = 2 + int(np.ceil(np.hypot(*blur)))
    x0, y0 = np.floor(corners.min(axis=0)).astype(int) - pad
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int) + pad
    return max(0, x0), max(0, y0), min(width, x1), min(height, y1)


def _motion_blur(img: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """Box blur along the motion vector ``(dx, dy)`` pixels (no-op under 1.5 px)."""
    import cv2

    length = float(np.hypot(dx, dy))
    if length < 1.5:
        return img
    n = int(np.ceil(length)) | 1
    kernel = np.zeros((n, n), np.float32)
    c = n // 2
    ux, uy = dx / length, dy / length
    for u in np.linspace(-length / 2, length / 2, 4 * n):
        kernel[int(round(c + u * uy)), int(round(c + u * ux))] += 1.0
    kernel /= kernel.sum()
    return cv2.filter2D(img, -1, kernel, borderType=cv2.BORDER_CONSTANT)


def render(
    spec: SequenceSpec, index: int, width: int = 854, height: int = 480, n_frames: int | None = None
) -> tuple[np.ndarray, Masks]:
    """Render frame ``index`` of a sequence.

    Parameters
    ----------
    spec
        The sequence.
    index
        Frame index in ``[0, n_frames)``.
    width, height
        Output size in pixels (any size ≥ 16×16; the motion is resolution-independent).
    n_frames
        Length the motion is spread over (default ``spec.n_frames``); e.g. 2000 for a long stream.

    Returns
    -------
    frame, masks
        float32 ``(H, W, 3)`` RGB in [0, 1]; ``{object id: bool (H, W)}`` visible ground truth.

    Raises
    ------
    InputError
        Frame index out of range or size too small.
    """
    n = n_frames or spec.n_frames
    if not 0 <= index < n:
        raise InputError(f"{spec.name}: frame {index} outside 0-{n - 1}", hint="check the index")
    if width < 16 or height < 16:
        raise InputError(f"synth size {width}x{height} is too small", hint="use at least 16x16")
    t = index / max(1, n - 1)
    frame = _pan(spec, t, width, height)
    alphas: list[tuple[int, np.ndarray]] = []
    for actor in spec.actors:  # back to front
        rgb, alpha = _layer(actor, t, 1.0 / max(1, n - 1), width, height)
        frame = frame * (1.0 - alpha[..., None]) + rgb
        alphas.append((actor.obj_id, alpha))
    masks: Masks = {}
    for i, (obj_id, alpha) in enumerate(alphas):
        visible = alpha.copy()
        for _, front in alphas[i + 1 :]:
            visible *= 1.0 - front
        masks[obj_id] = visible >= 0.5
    return np.clip(frame, 0.0, 1.0).astype(np.float32), masks


def _pan(spec: SequenceSpec, t: float, width: int, height: int) -> np.ndarray:
    import cv2

    margin = max(abs(v) for v in spec.pan) + 0.01
    bg = _background(spec.background, width, height, margin)
    ox = spec.pan[0] + t * (spec.pan[2] - spec.pan[0])
    oy = spec.pan[1] + t * (spec.pan[3] - spec.pan[1])
    m = np.float32([[1, 0, -ox * width], [0, 1, -oy * height]])
    return cv2.warpAffine(bg, m, (width, height), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REFLECT)  # fmt: skip


def generate(
    spec: SequenceSpec, width: int = 854, height: int = 480, n_frames: int | None = None
) -> Iterator[tuple[int, np.ndarray, Masks]]:
    """Yield ``(index, frame, masks)`` for every frame, rendered on the fly (no storage)."""
    for i in range(n_frames or spec.n_frames):
        frame, masks = render(spec, i, width, height, n_frames)
        yield i, frame, masks


def still(
    shape: str,
    background: str,
    width: int = 320,
    height: int = 180,
    *,
    size: float = 0.7,
    x: float = 0.5,
    y: float = 0.5,
    angle: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """One real-photo composite (for tests): ``(frame, bool mask)`` of ``shape`` over a background."""
    actor = Actor(1, shape, (Key(0, x, y, size, angle),))
    frame, masks = render(SequenceSpec("still", background, (0, 0, 0, 0), (actor,), 1), 0,
                          width, height)  # fmt: skip
    return frame, masks[1]


# -- prompts from ground truth --------------------------------------------------------------
def mask_box(mask: np.ndarray) -> tuple[float, float, float, float] | None:
    """Tight box ``(x0, y0, x1, y1)`` (x1/y1 exclusive) of a mask, None when empty."""
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        return None
    return float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)


def sample_clicks(
    mask: np.ndarray, n_fg: int = 3, n_bg: int = 2, seed: int = 0
) -> tuple[tuple[float, float, int], ...]:
    """Clicks like a user's: foreground points well inside the object, background points just
    outside it (within 15 % of the box size), drawn with a seeded RNG.

    Raises
    ------
    InputError
        The mask is empty.
    """
    import cv2

    m = np.asarray(mask, bool)
    if not m.any():
        raise InputError("cannot sample clicks from an empty mask", hint="pick a visible object")
    rng = np.random.default_rng(seed)
    inner = cv2.distanceTransform(m.astype(np.uint8), cv2.DIST_L2, 5)
    outer = cv2.distanceTransform((~m).astype(np.uint8), cv2.DIST_L2, 5)
    x0, y0, x1, y1 = mask_box(m)  # type: ignore[misc]
    reach = 0.15 * max(x1 - x0, y1 - y0)
    fg_ok = inner >= 0.5 * inner.max()
    bg_ok = (outer > 0.3 * reach) & (outer <= reach)
    pts = [(*p, 1) for p in _pick(fg_ok, n_fg, rng)]
    pts += [(*p, 0) for p in _pick(bg_ok if bg_ok.any() else ~m, n_bg, rng)]
    return tuple(pts)


def _pick(ok: np.ndarray, n: int, rng: np.random.Generator) -> list[tuple[float, float]]:
    ys, xs = np.nonzero(ok)
    if xs.size == 0 or n <= 0:
        return []
    idx = rng.choice(xs.size, size=min(n, xs.size), replace=False)
    return [(float(xs[i]) + 0.5, float(ys[i]) + 0.5) for i in idx]


# -- DAVIS layout ---------------------------------------------------------------------------
def write_davis(
    root: str | Path,
    width: int = 854,
    height: int = 480,
    *,
    seed: int = 0,
    names: list[str] | None = None,
    resolution: str = "480p",
    quality: int = 95,
) -> list[str]:
    """Write the set in DAVIS layout under ``root``; returns the sequence names written.

    Raises
    ------
    InputError
        An unknown sequence name.
    """
    import cv2
    from PIL import Image

    specs = [get_sequence(n, seed) for n in names] if names else sequences(seed)
    root = Path(root)
    for spec in specs:
        jdir = root / "JPEGImages" / resolution / spec.name
        adir = root / "Annotations" / resolution / spec.name
        jdir.mkdir(parents=True, exist_ok=True)
        adir.mkdir(parents=True, exist_ok=True)
        for i, frame, masks in generate(spec, width, height):
            bgr = cv2.cvtColor((frame * 255.0 + 0.5).astype(np.uint8), cv2.COLOR_RGB2BGR)
            cv2.imwrite(str(jdir / f"{i:05d}.jpg"), bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
            ann = Image.fromarray(ids_from_masks(masks, (height, width)), mode="P")
            ann.putpalette(davis_palette())
            ann.save(adir / f"{i:05d}.png")
    return [s.name for s in specs]


def ids_from_masks(masks: Masks, shape: tuple[int, int]) -> np.ndarray:
    """uint8 id map (0 background) from ``{id: bool mask}``; later ids win on overlap."""
    out = np.zeros(shape, np.uint8)
    for obj_id, m in sorted(masks.items()):
        out[m] = obj_id
    return out


def davis_palette() -> list[int]:
    """The DAVIS/PASCAL VOC colour palette (768 ints)."""
    pal = []
    for i in range(256):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        pal += [r, g, b]
    return pal
