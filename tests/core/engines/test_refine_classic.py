"""refine.classic and trimaps: soft values only in the band, lower SAD than the hard mask."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.core.engines import registry, synth
from ultimate_roto.core.engines.base import Refiner
from ultimate_roto.core.engines.refine_classic import (
    ClassicRefiner,
    apply_coefficients,
    estimate_foreground,
    guided_coefficients,
    guided_filter_rgb,
    matte_guided,
    solve_cf_band,
    warm_up,
)
from ultimate_roto.core.engines.trimap import (
    UNKNOWN,
    edge_contrast_scale,
    make_trimap,
    signed_distance,
    unknown_box,
)
from ultimate_roto.core.errors import InputError

W, H = 160, 120


@pytest.fixture(scope="module")
def blurred():
    """Real coffee photo composited over the real motorcycle photo with a blurred-edge GT
    alpha (a defocused ellipse), plus the hard mask a user would have drawn."""
    import cv2

    fg = cv2.resize(synth._read_rgb("coffee.png"), (W, H), interpolation=cv2.INTER_AREA)
    bg = cv2.resize(synth._read_rgb("motorcycle_left.png"), (W, H), interpolation=cv2.INTER_AREA)
    hard = np.zeros((H, W), np.float32)
    cv2.ellipse(hard, (80, 60), (45, 35), 0, 0, 360, 1.0, -1)
    alpha = cv2.GaussianBlur(hard, (0, 0), 2.0)
    image = alpha[..., None] * fg + (1 - alpha[..., None]) * bg
    return image.astype(np.float32), hard, alpha, fg


def test_trimap_band_and_adaptive(blurred):
    image, hard, _, _ = blurred
    tri = make_trimap(hard, 8)
    assert set(np.unique(tri)) == {0.0, UNKNOWN, 1.0}
    sd = signed_distance(hard >= 0.5)
    assert (tri[np.abs(sd) <= 4] == UNKNOWN).all()
    assert (tri[sd > 4.5] == 1.0).all() and (tri[sd < -4.5] == 0.0).all()
    wide = make_trimap(hard, 16)
    assert (wide == UNKNOWN).sum() > 1.7 * (tri == UNKNOWN).sum()
    ada = make_trimap(hard, 8, image=image, adaptive=True)
    assert (ada == UNKNOWN).sum() != (tri == UNKNOWN).sum()


@pytest.mark.parametrize(
    ("method", "kw"),
    [
        ("cf", {}),  # band solved at full size
        ("cf", {"max_pixels": 1000}),  # shrunk band solve, upsampled and re-snapped
        ("guided", {"scale": 1}),  # plain guided filter
        ("guided", {}),  # fast guided filter (coefficients shrunk 2x)
        ("auto", {}),
    ],
)
def test_soft_only_in_band_and_lower_sad(blurred, method, kw):
    image, hard, alpha_gt, _ = blurred
    ref = ClassicRefiner(method=method, band=10, **kw)
    alpha = ref.refine(image, hard)
    tri = ref.trimap(image, hard)
    assert alpha.dtype == np.float32 and alpha.shape == (H, W)
    soft = (alpha > 0.01) & (alpha < 0.99)
    assert soft.any() and (tri[soft] == UNKNOWN).all()
    assert (alpha[tri == 1.0] == 1.0).all() and (alpha[tri == 0.0] == 0.0).all()
    sad_hard = np.abs(hard - alpha_gt).sum()
    sad = np.abs(alpha - alpha_gt).sum()
    assert sad < 0.6 * sad_hard, (sad, sad_hard)


def test_foreground_and_premultiplied(blurred):
    image, hard, alpha_gt, fg_gt = blurred
    fg = estimate_foreground(image, alpha_gt)
    edge = (alpha_gt > 0.2) & (alpha_gt < 0.8)
    err_est = np.abs(fg - fg_gt)[edge].mean()
    err_raw = np.abs(image - fg_gt)[edge].mean()
    assert err_est < err_raw  # better than just using the composite colour
    rgba = ClassicRefiner(method="guided").refine_rgba(image, hard)
    assert rgba.shape == (H, W, 4)
    assert (rgba[..., :3] <= rgba[..., 3:] + 1e-5).all()  # premultiplied


def test_registered():
    spec = registry.get_spec("refine.classic")
    assert spec.availability()[0]
    assert isinstance(registry.create(spec, method="guided"), Refiner)


def test_bad_inputs(blurred):
    image, hard, _, _ = blurred
    with pytest.raises(InputError, match="shape"):
        ClassicRefiner().refine(image, hard[:10])
    with pytest.raises(InputError, match="method"):
        ClassicRefiner(method="knn")
    with pytest.raises(InputError, match="band"):
        make_trimap(hard, 0)
    with pytest.raises(InputError, match="adaptive trimap needs the frame"):
        make_trimap(hard, 8, adaptive=True)
    empty = ClassicRefiner().refine(image, np.zeros((H, W)))
    assert not empty.any()


def _trimap_reference(mask, band, image=None, adaptive=False):
    """The full-frame trimap (what make_trimap computed before it cropped to the mask)."""
    inside = mask >= 0.5
    half = np.float32(band / 2.0)
    if adaptive:
        half = half * edge_contrast_scale(image, inside)
    sd = signed_distance(inside)
    tri = np.where(sd > 0, np.float32(1.0), np.float32(0.0))
    tri[np.abs(sd) <= half] = UNKNOWN
    return tri


@pytest.mark.parametrize("adaptive", [False, True])
def test_cropped_trimap_equals_full_frame(blurred, adaptive):
    image, hard, _, _ = blurred
    masks = [hard, np.roll(hard, (55, 70), (0, 1)), np.ones_like(hard), np.zeros_like(hard)]
    for m in masks:  # centred, cut by the frame border, all in, all out
        for band in (3, 8.5, 24):
            want = _trimap_reference(m, band, image, adaptive)
            got = make_trimap(m, band, image=image, adaptive=adaptive)
            assert got.dtype == np.float32 and np.array_equal(got, want), band
    tri = make_trimap(hard, 8)
    ys, xs = np.nonzero(tri == UNKNOWN)
    assert unknown_box(tri, 2) == (ys.min() - 2, ys.max() + 3, xs.min() - 2, xs.max() + 3)
    assert unknown_box(np.zeros((4, 4), np.float32)) is None


def test_band_cf_matches_pymatting(blurred):
    from pymatting import estimate_alpha_cf

    image, hard, _, _ = blurred
    tri = make_trimap(hard, 10)
    want = estimate_alpha_cf(np.clip(image, 0, 1).astype(np.float64), tri.astype(np.float64))
    got = solve_cf_band(image, tri)
    assert got.dtype == np.float32
    assert np.abs(got - want).max() < 2e-3
    assert np.array_equal(got[tri != UNKNOWN], tri[tri != UNKNOWN])


def test_fast_guided_filter(blurred):
    image, hard, alpha_gt, _ = blurred
    # coefficients at full size applied everywhere are the plain guided filter
    coeffs = guided_coefficients(image, hard, 3, 1e-4)
    ys, xs = np.indices(hard.shape).reshape(2, -1)
    full = guided_filter_rgb(image, hard, 3, 1e-4)
    assert np.allclose(apply_coefficients(coeffs, image, ys, xs), full.ravel(), atol=1e-5)
    # shrunk coefficients: close to the plain filter, still better than the hard mask
    band = make_trimap(hard, 10) == UNKNOWN
    fast = matte_guided(image, hard, 5, 1e-4, scale=2)
    slow = matte_guided(image, hard, 5, 1e-4)
    assert fast.shape == hard.shape and np.abs(fast - slow)[band].mean() < 0.05
    assert np.abs(fast - alpha_gt)[band].sum() < 0.7 * np.abs(hard - alpha_gt)[band].sum()


def test_auto_rule_and_warm_up():
    ref = ClassicRefiner(auto_pixels=5000)
    assert ref.choose(5000) == "cf" and ref.choose(5001) == "guided"
    assert ClassicRefiner(band=20).scale == 3 and ClassicRefiner(band=4).scale == 1
    assert ClassicRefiner(scale=5).scale == 5
    warm_up()  # runs the numba-compiled solver once
