"""Surface normals from a depth map, and near/far depth masks (for relighting and holdouts).

Normals are camera-space unit vectors (float32 ``(H, W, 3)``) in the OpenGL convention:
x to the right, y up, z towards the camera, so a wall facing the camera is ``(0, 0, 1)``.
Each pixel is back-projected with a pinhole camera of horizontal field of view ``fov_deg``
(``X = (u − cx)·Z/f``, ``Y = −(v − cy)·Z/f``); the tangents are central finite differences of
that point map and the normal is their cross product, flipped to face the camera.

Relative depth from a monocular model is only known up to scale and shift, so the normals
are approximate; their orientation is right for a metric depth (e.g. a plane gives a
constant normal).
"""

from __future__ import annotations

import numpy as np

from ultimate_roto.core.errors import InputError


def _check_depth(depth: np.ndarray) -> np.ndarray:
    d = np.asarray(depth, dtype=np.float32)
    if d.ndim != 2 or d.shape[0] < 2 or d.shape[1] < 2:
        raise InputError(f"depth has shape {d.shape}, expected (H, W)", hint="pass one depth map")
    if not np.isfinite(d).all():
        raise InputError("depth contains NaN or inf", hint="fill holes in the depth first")
    return d


def normals_from_depth(depth: np.ndarray, fov_deg: float = 60.0) -> np.ndarray:
    """Camera-space unit normals of a depth map (larger = farther).

    Parameters
    ----------
    depth
        float ``(H, W)`` distance along the optical axis (any positive unit).
    fov_deg
        Horizontal field of view of the camera in degrees.

    Returns
    -------
    numpy.ndarray
        float32 ``(H, W, 3)`` unit vectors (x right, y up, z towards the camera).

    Raises
    ------
    InputError
        Not a 2-D finite map, or a field of view outside (0, 180).
    """
    z = _check_depth(depth).astype(np.float64)
    if not 0.0 < fov_deg < 180.0:
        raise InputError(f"field of view {fov_deg}°", hint="use 1-179 degrees (60 is typical)")
    h, w = z.shape
    f = (w / 2.0) / np.tan(np.radians(fov_deg) / 2.0)
    v, u = np.mgrid[0:h, 0:w].astype(np.float64)
    pts = np.stack([(u + 0.5 - w / 2.0) * z / f, -(v + 0.5 - h / 2.0) * z / f, -z], axis=-1)
    du = np.gradient(pts, axis=1)  # along +u (right)
    dv = np.gradient(pts, axis=0)  # along +v (down)
    n = np.cross(dv, du)
    n[n[..., 2] < 0] *= -1.0  # face the camera
    length = np.linalg.norm(n, axis=-1, keepdims=True)
    out = np.where(length > 1e-12, n / np.maximum(length, 1e-12), np.array([0.0, 0.0, 1.0]))
    return out.astype(np.float32)


def depth_range_mask(
    depth: np.ndarray,
    near: float | None = None,
    far: float | None = None,
    feather: float = 0.0,
) -> np.ndarray:
    """Mask of pixels with ``near ≤ depth ≤ far`` (a soft ramp of width ``feather``).

    Parameters
    ----------
    depth
        float ``(H, W)`` depth (larger = farther).
    near, far
        Limits in depth units; None leaves that side open.
    feather
        Width of a linear ramp centred on each limit (0 = hard edge).

    Returns
    -------
    numpy.ndarray
        float32 ``(H, W)`` in [0, 1].

    Raises
    ------
    InputError
        Neither limit given, ``near > far``, or a negative feather.
    """
    d = _check_depth(depth)
    if near is None and far is None:
        raise InputError("depth mask needs near and/or far", hint="e.g. far=0.4 for the foreground")
    if near is not None and far is not None and near > far:
        raise InputError(f"depth mask near {near} > far {far}", hint="swap them")
    if feather < 0:
        raise InputError(f"depth mask feather {feather} < 0", hint="use 0 for a hard edge")
    out = np.ones_like(d)
    if near is not None:
        out = np.minimum(out, _ramp(d - near, feather))
    if far is not None:
        out = np.minimum(out, _ramp(far - d, feather))
    return out.astype(np.float32)


def _ramp(signed: np.ndarray, feather: float) -> np.ndarray:
    if feather <= 0:
        return (signed >= 0).astype(np.float32)
    return np.clip(signed / feather + 0.5, 0.0, 1.0).astype(np.float32)
