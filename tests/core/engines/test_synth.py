"""Synthetic DAVIS set: determinism, exact ground truth, occlusion, blur, DAVIS layout."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.core.engines import synth
from ultimate_roto.core.errors import InputError


def test_render_is_deterministic_and_seed_changes_it():
    spec = synth.get_sequence("cup-slide")
    a, ma = synth.render(spec, 7, 96, 64)
    b, mb = synth.render(spec, 7, 96, 64)
    assert a.dtype == np.float32 and a.shape == (64, 96, 3)
    assert np.array_equal(a, b) and np.array_equal(ma[1], mb[1])
    c, _ = synth.render(synth.get_sequence("cup-slide", seed=3), 7, 96, 64)
    assert not np.array_equal(a, c)


def test_gt_is_where_the_object_pixels_are():
    """Pixels inside the GT come from the cup photo; well outside, the background is untouched."""
    import cv2

    frame, mask = synth.still("cup", "brick", 200, 120, size=0.8)
    bg, empty = synth.still("cup", "brick", 200, 120, size=0.8, x=5.0)  # object off-screen
    assert not empty.any()
    inner = cv2.erode(mask.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    outer = ~cv2.dilate(mask.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    assert np.array_equal(frame[outer], bg[outer])
    assert np.abs(frame[inner] - bg[inner]).mean() > 0.1
    # area matches the analytic ellipse union scaled into the frame (within edge rounding)
    crop, region = synth._cutout("cup")
    scale = 0.8 * 120 / crop.shape[0]
    assert abs(mask.sum() - region.sum() * scale**2) / mask.sum() < 0.03


def test_occluder_removes_gt_of_the_object_behind():
    spec = synth.get_sequence("astro-occlusion")
    _, m = synth.render(spec, 25, 160, 90)
    assert set(m) == {1, 2} and m[1].any() and m[2].any()
    assert not (m[1] & m[2]).any()
    _, m0 = synth.render(spec, 0, 160, 90)
    assert m0[1].sum() > m[1].sum() * 1.2  # the cup covers part of the astronaut mid-way


def test_motion_blur_softens_the_object_edge():
    spec = synth.get_sequence("rocket-blur")
    blurred = synth.SequenceSpec("b", "grass", (0, 0, 0, 0), spec.actors, 10)
    sharp = synth.SequenceSpec(
        "s",
        "grass",
        (0, 0, 0, 0),
        tuple(synth.Actor(a.obj_id, a.shape, a.keys) for a in spec.actors),
        10,
    )
    fb, mb = synth.render(blurred, 5, 160, 90)
    fs, ms = synth.render(sharp, 5, 160, 90)
    assert not np.array_equal(fb, fs)
    assert abs(int(mb[1].sum()) - int(ms[1].sum())) < 0.25 * ms[1].sum()


def test_generate_and_long_streams():
    spec = synth.get_sequence("cat-zoom")
    out = list(synth.generate(spec, 48, 32))
    assert [i for i, _, _ in out] == list(range(spec.n_frames))
    _, f, m = next(synth.generate(spec, 48, 32, n_frames=2000))
    assert f.shape == (32, 48, 3) and m[1].any()


def test_write_davis_layout(tmp_path):
    from PIL import Image

    names = synth.write_davis(tmp_path, 64, 48, names=["astro-occlusion"])
    assert names == ["astro-occlusion"]
    jpgs = sorted((tmp_path / "JPEGImages/480p/astro-occlusion").glob("*.jpg"))
    pngs = sorted((tmp_path / "Annotations/480p/astro-occlusion").glob("*.png"))
    assert len(jpgs) == len(pngs) == 50 and pngs[0].name == "00000.png"
    ann = Image.open(pngs[25])
    assert ann.mode == "P"
    _, m = synth.render(synth.get_sequence("astro-occlusion"), 25, 64, 48)
    assert np.array_equal(np.array(ann), synth.ids_from_masks(m, (48, 64)))


def test_sample_clicks_and_box():
    _, mask = synth.still("cat", "grass", 120, 80, size=0.6)
    pts = synth.sample_clicks(mask, 3, 2, seed=1)
    assert [p[2] for p in pts] == [1, 1, 1, 0, 0]
    for x, y, lab in pts:
        assert mask[int(y), int(x)] == bool(lab)
    x0, y0, x1, y1 = synth.mask_box(mask)
    assert mask[:, int(x0)].any() and not mask[:, : int(x0)].any() and mask[int(y1) - 1].any()
    assert synth.mask_box(np.zeros((4, 4), bool)) is None


def test_bad_inputs():
    with pytest.raises(InputError, match="unknown synthetic sequence"):
        synth.get_sequence("nope")
    with pytest.raises(InputError, match="frame 99"):
        synth.render(synth.get_sequence("cat-zoom"), 99, 64, 48)
    with pytest.raises(InputError, match="too small"):
        synth.render(synth.get_sequence("cat-zoom"), 0, 8, 8)
    with pytest.raises(InputError, match="empty mask"):
        synth.sample_clicks(np.zeros((5, 5), bool))
    with pytest.raises(InputError, match="negative"):
        synth.sequences(-1)
