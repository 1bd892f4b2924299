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


# --- the vectorised paths agree with the plain ones -------------------------------------------


def _blob_contour():
    m = np.zeros((90, 120), np.float32)
    cv2.ellipse(m, (60, 45), (40, 25), 20, 0, 360, 1.0, -1)
    cv2.rectangle(m, (0, 0), (30, 20), 1.0, -1)  # touches the image border
    return cv2.GaussianBlur(m, (0, 0), 1.0)


def test_cropped_contours_equal_whole_frame_marching_squares():
    from skimage import measure

    soft = _blob_contour()
    got = S.find_contours(soft)
    ref = measure.find_contours(np.pad(soft, 1), 0.5, fully_connected="high")
    assert len(got) == len(ref) == 2
    for poly, _ in got:
        best = min(ref, key=lambda c: abs(len(c) - 1 - len(poly)))
        xy = best[:-1, ::-1] - 1.0
        assert len(xy) == len(poly)
        assert {tuple(p) for p in np.round(xy, 9)} == {tuple(p) for p in np.round(poly, 9)}


def test_sample_closed_matches_interpolation():
    poly = S.find_contours(_blob_contour())[0][0]
    arc = S._arc(poly)
    s = np.linspace(-10, 2 * arc[-1], 997)
    closed = np.vstack([poly, poly[:1]])
    w = np.mod(s, arc[-1])
    ref = np.column_stack([np.interp(w, arc, closed[:, 0]), np.interp(w, arc, closed[:, 1])])
    np.testing.assert_allclose(S.sample_closed(poly, s), ref, atol=1e-9)


def test_batched_segment_fit_equals_one_by_one():
    poly = S.find_contours(_blob_contour())[0][0]
    total = S._arc(poly)[-1]
    cuts = np.sort(np.random.default_rng(1).uniform(0, total, 9))
    runs = [
        S.sample_closed(poly, np.linspace(a, b, max(int(b - a) + 1, 2)))
        for a, b in zip(cuts, np.append(cuts[1:], cuts[0] + total), strict=True)
    ]
    runs.append(runs[0][:2])  # a two-sample run: a straight segment
    back, fwd = S.side_directions(poly, cuts)
    t1 = np.vstack([fwd, fwd[:1]])
    t2 = np.vstack([np.roll(back, -1, axis=0), back[:1]])
    ctrl, err, worst = S.fit_segments(np.concatenate(runs), [len(r) for r in runs], t1, t2)
    for k, run in enumerate(runs):
        c, e, i = S.fit_segment(run, t1[k], t2[k])
        np.testing.assert_allclose(ctrl[k], c, atol=1e-7)
        assert err[k] == pytest.approx(e, abs=1e-7)
        assert worst[k] == i or e < 1e-6  # the index of a zero error is rounding noise


def test_fft_start_alignment_equals_the_exhaustive_search():
    from ultimate_roto.core.exporters import shapes_anim as A

    poly = S.find_contours(_blob_contour())[0][0]
    total = S._arc(poly)[-1]
    fracs = np.sort(np.random.default_rng(2).uniform(0, 1, 23))
    for true_start in (0.0, 17.3, total * 0.71):
        prev = S.sample_closed(poly, true_start + fracs * total) + [0.7, -0.4]
        cand = np.arange(0.0, total, max(total / 2000.0, 0.25))
        pts = S.sample_closed(poly, (cand[:, None] + fracs * total).ravel())
        cost = np.sum((pts.reshape(len(cand), -1, 2) - prev) ** 2, axis=(1, 2))
        assert A._align_start(poly, fracs, prev) == pytest.approx(cand[np.argmin(cost)])


def test_deviation_check_agrees_with_max_deviation():
    from ultimate_roto.core.exporters import shapes_anim as A

    poly = S.find_contours(_blob_contour())[0][0]
    pts = S.fit_closed(poly, 0.9)
    dev = S.max_deviation(pts, poly, per_segment=12)
    contour = A._Contour(poly)
    assert contour.within(pts, dev + 0.01) and not contour.within(pts, dev - 0.01)
    moved = pts + [[0, 0], [1.5, 0], [0, 0]]
    assert not contour.within(moved, 1.0)


def test_held_matte_frames_get_identical_keys():
    masks = _moving([1, 2, 3])
    masks[4] = masks[5] = masks[3].copy()
    (body, *_) = fit_animated(masks, iou_min=1.01)  # keep every key that differs
    assert len({k.shape for k in body.keys.values()}) == 1
    np.testing.assert_array_equal(body.at(5), body.at(3))
