"""Select tool picking: which object covers a pixel as the overlay shows it (mask ops applied)."""

from __future__ import annotations

import math

import numpy as np

from ultimate_roto.core.engines.maskops import object_settings, ops_active, ops_reach
from ultimate_roto.core.project.document import Document


def shown_coverage(doc: Document, obj_id: str, frame: int, x: float, y: float) -> float:
    """Coverage 0..1 of pixel (x, y) of ``obj_id`` on ``frame`` after its grow/shrink and
    feather, i.e. what the overlay shows there.

    Only a crop around the pixel is processed (as wide as the grow radius plus the feather's
    Gaussian reach, clipped to the image), so the answer is exact and cheap at 4K too.
    """
    shot = doc.shot
    px, py = int(math.floor(x)), int(math.floor(y))
    if not (0 <= px < shot.width and 0 <= py < shot.height):
        return 0.0
    settings = object_settings(doc.object(obj_id).mask_ops)
    if not ops_active(settings):
        return float(doc.mask_region(obj_id, frame, (px, py, px + 1, py + 1))[0, 0]) / 255.0
    from ultimate_roto.core.engines.maskops import apply_ops

    reach = ops_reach(settings)
    x0, y0 = max(0, px - reach), max(0, py - reach)
    x1, y1 = min(shot.width, px + reach + 1), min(shot.height, py + reach + 1)
    crop = doc.mask_region(obj_id, frame, (x0, y0, x1, y1))
    if not crop.any():
        return 0.0
    shown = apply_ops(np.ascontiguousarray(crop), settings)
    return float(shown[py - y0, px - x0])


def pick_object(doc: Document, frame: int, x: float, y: float) -> str | None:
    """The top-most visible object whose shown mask covers (x, y) by at least half, or None."""
    for obj in reversed(doc.objects):
        if obj.visible and shown_coverage(doc, obj.id, frame, x, y) >= 0.5:
            return obj.id
    return None
