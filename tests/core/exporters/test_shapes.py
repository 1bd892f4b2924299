"""Mask → Bézier shapes: accuracy, holes/islands, feather, animated tracks and key reduction."""

import cv2
import numpy as np
import pytest

from ultimate_roto.core.errors import InputError
from ultimate_roto.core.exporters import shapes as S
from ultimate_roto.core.exporters.shapes_anim import fit_animated


def _donut_and_blob(w=160, h=120):
    m = np.zeros((h, w), np.uint8)
    cv2.circle(m, (55, 60), 40, 1, -1)
    cv2.circle(m, (55, 60), 15, 0, -1)
    cv2.rectangle(m, (110, 20), (150, 100), 1, -1)
    return m


def test_islands_and_holes_fit_within_one_pixel():
    m = _donut_and_blob()
    shapes = S.fit_shapes(m)
    assert sorted(s.hole for s in shapes) == [False, False, True]
    contours = S.find_contours(m)
    for s, (poly, hole) in zip(shapes, contours, strict=True):
        assert s.hole == hole
        assert S.max_deviation(s.points, poly) <= 1.0
        assert S.signed_area(S.flatten(s.points)) > 0  # one winding for every shape
    back = S.rasterise_shapes(shapes, m.shape[1], m.shape[0])
    assert S.iou(back, m) >= 0.98
    assert back[60, 55] == 0  # the hole is subtracted


def test_point_count_adapts_to_the_outline():
    circle = np.zeros((100, 100), np.uint8)
    cv2.circle(circle, (50, 50), 30, 1, -1)
    star = np.zeros((100, 100), np.uint8)
    pts = [
        (
            50 + (40 if k % 2 == 0 else 15) * np.cos(k * np.pi / 6),
            50 + (40 if k % 2 == 0 else 15) * np.sin(k * np.pi / 6),
        )
        for k in range(12)
    ]
    cv2.fillPoly(star, [np.round(pts).astype(np.int32)], 1)
    n_circle = len(S.fit_shapes(circle)[0].points)
    n_star = len(S.fit_shapes(star)[0].points)
    assert n_circle <= 8 and n_star >= 12


def test_square_corners_become_cusps():
    m = np.zeros((60, 60), np.uint8)
    m[10:50, 10:50] = 1
    (s,) = S.fit_shapes(m)
    centres = s.points[:, 1]
    for corner in [(9.5, 9.5), (49.5, 9.5), (49.5, 49.5), (9.5, 49.5)]:
        assert np.min(np.linalg.norm(centres - corner, axis=1)) < 1.0


def test_subpixel_contour_of_a_soft_edge():
    xx = np.arange(40, dtype=np.float32)
    ramp = np.clip((20.3 - xx) / 4 + 0.5, 0, 1)  # the 0.5 crossing sits at x = 20.3
    m = np.tile(ramp, (30, 1))
    ((poly, _),) = S.find_contours(m)
    mid = poly[(poly[:, 1] > 5) & (poly[:, 1] < 25) & (poly[:, 0] > 1)]
    assert len(mid) > 10
    np.testing.assert_allclose(mid[:, 0], 20.3, atol=1e-4)


def test_feather_from_the_soft_edge():
    m = np.zeros((100, 100), np.float32)
    cv2.circle(m, (50, 50), 30, 1.0, -1)
    soft = cv2.GaussianBlur(m, (0, 0), 3.0)
    hard = S.fit_shapes(m)[0]
    blurred = S.fit_shapes(soft)[0]
    assert hard.feather == 0.0
    # a Gaussian edge of sigma 3 has a 0.05–0.95 band of about 2 × 1.645 × 3 ≈ 9.9 px
    assert 4.0 < blurred.feather < 6.0


def test_empty_mask_warns_and_gives_no_shapes():
    with pytest.warns(UserWarning, match="empty"):
        assert S.fit_shapes(np.zeros((10, 10), np.uint8)) == []


def test_bad_mask_shape_is_an_input_error():
    with pytest.raises(InputError, match="2-D"):
        S.fit_shapes(np.zeros((4, 4, 3)))


def _moving(frames, w=120, h=90):
    out = {}
    for f in frames:
        m = np.zeros((h, w), np.uint8)
        k = f - frames[0]
        cv2.ellipse(m, (40 + 2 * k, 45), (25, 15 + k), 0, 0, 360, 1, -1)
        if k >= 3:
            cv2.circle(m, (100, 20), 8, 1, -1)
        out[f] = m
    return out


def test_animated_tracks_have_fixed_points_sparse_keys_and_lifetimes():
    masks = _moving(list(range(1001, 1007)))
    tracks = fit_animated(masks, name="hero")
    assert [t.name for t in tracks] == ["hero1", "hero2"]
    body, late = tracks
    assert (body.first, body.last) == (1001, 1006) and (late.first, late.last) == (1004, 1006)
    assert len({k.shape for k in body.keys.values()}) == 1
    assert 2 <= len(body.keys) < 6  # linear motion: interpolation replaces most keys
    for f, m in masks.items():
        alive = [t.shape_at(f) for t in tracks if t.first <= f <= t.last]
        assert S.iou(S.rasterise_shapes(alive, 120, 90), m) >= 0.98, f


def test_start_point_is_stable_between_keys():
    masks = _moving([1, 2, 3])
    (body, *_) = fit_animated(masks, iou_min=1.01)  # keep every key
    assert sorted(body.keys) == [1, 2, 3]
    step = np.linalg.norm(body.keys[2][:, 1] - body.keys[1][:, 1], axis=1)
    assert step.max() < 5.0  # the ellipse moves 2 px: no point jumps around the outline


def test_mismatched_sizes_and_empty_sequences():
    masks = {1: np.zeros((10, 10), np.uint8), 2: np.zeros((12, 10), np.uint8)}
    with pytest.raises(InputError, match="frame 1 is"):
        fit_animated(masks)
    with pytest.warns(UserWarning, match="empty"):
        assert fit_animated({1: np.zeros((10, 10), np.uint8)}) == []
