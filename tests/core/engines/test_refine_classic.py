"""refine.classic and trimaps: soft values only in the band, lower SAD than the hard mask."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.core.engines import registry, synth
from ultimate_roto.core.engines.base import Refiner
from ultimate_roto.core.engines.refine_classic import ClassicRefiner, estimate_foreground
from ultimate_roto.core.engines.trimap import UNKNOWN, make_trimap, signed_distance
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


@pytest.mark.parametrize("method", ["cf", "guided"])
def test_soft_only_in_band_and_lower_sad(blurred, method):
    image, hard, alpha_gt, _ = blurred
    ref = ClassicRefiner(method=method, band=10)
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
