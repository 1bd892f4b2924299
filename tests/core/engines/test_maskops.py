"""Mask operations: numeric checks for each op, apply_ops order and setting validation."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.core.engines import maskops
from ultimate_roto.core.errors import InputError


def _square(n: int = 21, a: int = 5, b: int = 16) -> np.ndarray:
    m = np.zeros((n, n), np.float32)
    m[a:b, a:b] = 1.0
    return m


def test_grow_and_shrink_move_the_edge_by_the_radius():
    m = _square()  # 11x11 square
    # 5x5 disc (cv2 ellipse) cannot reach 2 of the 4 corner pixels at each corner: 225 - 8
    assert maskops.grow(m, 2).sum() == 217
    assert maskops.grow(m, -2).sum() == 7 * 7
    assert np.array_equal(maskops.grow(m, 0.2), m)


def test_feather_keeps_mass_and_softens():
    m = _square(41, 10, 31)
    f = maskops.feather(m, 4)
    assert f.sum() == pytest.approx(m.sum(), rel=0.01)
    assert 0.3 < f[20, 10] < 0.7 and f[20, 20] > 0.99 and f[20, 3] < 0.01


def test_fill_holes_respects_max_area_and_border():
    m = _square()
    m[8:10, 8:10] = 0  # 4-px hole
    m[11:14, 11:14] = 0  # 9-px hole
    m[0:3, 0:3] = 0  # background touching the border is not a hole
    assert maskops.fill_holes(m, 4).sum() == m.sum() + 4
    assert maskops.fill_holes(m).sum() == m.sum() + 13


def test_remove_islands():
    m = _square()
    m[0:2, 0:2] = 1.0  # 4-px island
    out = maskops.remove_islands(m, 5)
    assert out[0:2, 0:2].sum() == 0 and out.sum() == 121


def test_temporal_smooth_is_gated_by_image_change():
    still = np.zeros((4, 6, 3), np.float32)
    moved = still.copy()
    moved[:, 3:] = 1.0  # the right half of the picture changes
    a = np.full((4, 6), 0.0, np.float32)
    b = np.full((4, 6), 1.0, np.float32)
    out = maskops.temporal_smooth([b, a, b], [moved, still, moved])
    assert np.allclose(out[:, :3], 2 / 3)  # static pixels: averaged over the window
    assert np.allclose(out[:, 3:], 0.0)  # moving pixels: the centre frame wins (no lag)
    assert np.allclose(maskops.temporal_smooth([a, b], centre=0), 0.5)


def test_apply_ops_order_and_values():
    m = _square()
    m[10, 10] = 0.0
    out = maskops.apply_ops(m, {"fill_holes": True, "grow": -1})
    assert out[10, 10] == 1.0 and out.sum() == pytest.approx(9 * 9 + 0, abs=4)
    assert np.array_equal(maskops.apply_ops(m, {}), m)


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"blur": 2}, "unknown mask setting 'blur'"),
        ({"feather": -1}, "'feather' = -1 is negative"),
        ({"grow": "3"}, "'grow' = '3' is not a number"),
        ({"grow": float("nan")}, "not a number"),
        ({"grow": 900}, "too large"),
        ({"fill_holes": -3}, "fill_holes"),
    ],
)
def test_bad_settings_name_the_setting(settings, match):
    with pytest.raises(InputError, match=match):
        maskops.apply_ops(_square(), settings)


def test_bad_masks():
    with pytest.raises(InputError, match="expected"):
        maskops.grow(np.zeros((3, 3, 3)), 1)
    with pytest.raises(InputError, match="expected"):  # (before the bbox shortcut)
        maskops.apply_ops(np.zeros((3, 3, 3)), {"grow": 1})
    with pytest.raises(InputError, match="no masks"):
        maskops.temporal_smooth([])
    with pytest.raises(InputError, match="differ in shape"):
        maskops.temporal_smooth([np.zeros((2, 2)), np.zeros((3, 3))])


def _scene(h: int = 120, w: int = 160) -> dict[str, np.ndarray]:
    """Masks that test the bbox shortcut's edges: soft, with holes (one open to the image
    border), islands, touching each image edge, a single pixel, and a whole frame."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    soft = np.clip(1.2 - np.hypot(xx - 70, yy - 50) / 25.0, 0.0, 1.0)
    holed = (np.hypot(xx - 80, yy - 60) < 30).astype(np.float32)
    holed[55:65, 75:85] = 0.0  # an enclosed hole
    holed[58:62, 50:80] = 0.0  # a slot open to the outside: not a hole
    corner = ((xx < 30) & (yy < 25)).astype(np.float32)
    corner[5:10, 0:6] = 0.0  # a notch on the image border: not a hole
    right = ((xx > w - 20) & (yy > 40) & (yy < 90)).astype(np.float32)
    islands = holed.copy()
    islands[10:12, 140:142] = 1.0
    islands[100:103, 5:9] = 0.7
    dot = np.zeros((h, w), np.float32)
    dot[60, 80] = 1.0
    return {
        "soft": soft,
        "holed": holed,
        "corner": corner,
        "right edge": right,
        "islands": islands,
        "dot": dot,
        "full": np.ones((h, w), np.float32),
        "uint8": (holed * 255).astype(np.uint8),
    }


@pytest.mark.parametrize("name", list(_scene()))
@pytest.mark.parametrize(
    "settings",
    [
        {"grow": 4},
        {"grow": -3},
        {"feather": 6},
        {"grow": 5, "feather": 7.5},
        {"grow": -4, "feather": 3},
        {"fill_holes": -1, "remove_islands": 20, "grow": 2, "feather": 2},
        {"fill_holes": 50, "grow": 30},  # the grown bbox is clipped to the image
    ],
)
def test_ops_on_the_masks_bbox_equal_the_full_frame(name, settings):
    """apply_ops processes only the mask's bbox grown by ops_reach: the result is the full
    frame's, at the image edges too (a wrong reach or crop differs by whole pixels here)."""
    mask = _scene()[name]
    s = maskops.validate_settings(settings)
    want = maskops._apply(mask, s)  # every operation on the whole frame
    got = maskops.apply_ops(mask, settings)
    assert got.dtype == np.float32 and got.shape == mask.shape
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_an_empty_mask_stays_empty_and_the_reach_covers_grow_and_feather():
    empty = np.zeros((40, 50), np.uint8)
    out = maskops.apply_ops(empty, {"grow": 5, "feather": 4, "fill_holes": -1})
    assert out.dtype == np.float32 and not out.any()
    assert maskops.ops_reach({"grow": -5, "feather": 4}) == 5 + 8 + 2
    assert maskops.ops_reach({}) == 2
