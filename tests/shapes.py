"""Test masks shared by the test packages."""

from __future__ import annotations

import numpy as np


def soft_disc(width: int, height: int, cx: float, cy: float, r: float, edge: float = 3.0):
    """uint8 (height, width) disc of radius ``r`` at (cx, cy), its edge ramped over ``edge``
    px (every edge pixel a different grey: masks that catch resampling and crop errors)."""
    yy, xx = np.mgrid[0:height, 0:width]
    a = np.clip(0.5 - (np.hypot(xx - cx, yy - cy) - r) / edge, 0.0, 1.0)
    return (a * 255 + 0.5).astype(np.uint8)
