"""segment.classic on a real-photo composite: box and clicks, U2Netp and selfie priors."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.core.engines import bundled_models, evaluation, registry, synth
from ultimate_roto.core.engines.base import Prompt
from ultimate_roto.core.engines.segment_classic import ClassicSegmenter, guided_filter
from ultimate_roto.core.errors import InputError
from ultimate_roto.core.progress import Progress


def _iou(mask: np.ndarray, gt: np.ndarray) -> float:
    assert mask.dtype == np.float32 and mask.shape == gt.shape
    assert mask.min() >= 0.0 and mask.max() <= 1.0
    return evaluation.jaccard(mask >= 0.5, gt)


def test_box_prompt_via_registry(cup_still):
    image, gt = cup_still
    seg = registry.create("segment.classic", saliency=False)  # selfie prior or none: fast
    mask = seg.segment(image, [Prompt(0, box=synth.mask_box(gt))])
    assert _iou(mask, gt) >= 0.85


def test_clicks_only(cup_still):
    image, gt = cup_still
    seg = ClassicSegmenter()
    mask = seg.segment(image, [Prompt(0, points=synth.sample_clicks(gt, 3, 2, seed=0))])
    assert _iou(mask, gt) >= 0.85


def test_u2netp_prior_path(cup_still):
    image, gt = cup_still
    seg = ClassicSegmenter(person="off")
    mask = seg.segment(image, [Prompt(0, box=synth.mask_box(gt))])
    assert seg.last_info["prior"] == "u2netp" and _iou(mask, gt) >= 0.85
    (sal,) = seg._priors.values()  # the U2Netp prior, cached for further clicks
    import cv2

    x0, y0, x1, y1 = seg.last_info["roi"]
    obj = cv2.resize(gt[y0:y1, x0:x1].astype(np.uint8), sal.shape[::-1], interpolation=0) > 0
    assert sal.min() < 0.01 and sal.max() > 0.99
    assert sal[obj].mean() > 0.6 and sal[~obj].mean() < 0.3  # salient where the cup is


def test_selfie_prior_path_on_a_person():
    image, gt = synth.still("person", "gravel", 192, 160, size=0.95, y=0.52)
    seg = ClassicSegmenter(saliency=False)
    mask = seg.segment(image, [Prompt(0, box=synth.mask_box(gt), text="person")])
    assert seg.last_info["prior"] == "person" and _iou(mask, gt) >= 0.85
    prob = bundled_models.selfie_person(image)
    assert prob.shape == (256, 256) and prob.min() >= 0.0 and prob.max() <= 1.0


def test_background_click_removes_a_region(cup_still):
    """A box around two objects plus a background click on one keeps only the other."""
    image, gt = cup_still
    seg = ClassicSegmenter(saliency=False, person="off")
    x0, y0, x1, y1 = synth.mask_box(gt)
    inside = seg.segment(image, [Prompt(0, box=(x0, y0, x1, y1))])
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    carved = seg.segment(image, [Prompt(0, box=(x0, y0, x1, y1), points=((cx, cy, 0),))])
    assert inside[int(cy), int(cx)] > 0.5 and carved[int(cy), int(cx)] < 0.5


def test_without_models_and_progress(cup_still):
    image, gt = cup_still
    seen: list[float] = []
    seg = ClassicSegmenter(saliency=False, person="off", edge_snap=False)
    mask = seg.segment(
        image, [Prompt(0, box=synth.mask_box(gt))], progress=Progress(lambda f, _m: seen.append(f))
    )
    assert seg.last_info["prior"] == "none" and _iou(mask, gt) >= 0.8
    assert seen[-1] == 1.0 and seen == sorted(seen)


def test_guided_filter_follows_edges():
    guide = np.zeros((20, 20), np.float32)
    guide[:, 10:] = 1.0
    src = np.zeros((20, 20), np.float32)
    src[:, 8:] = 1.0  # mask edge two pixels off the image edge
    out = guided_filter(guide, src, 3, 1e-4)
    assert out[10, 3] < 0.1 and out[10, 9] < 0.7 and out[10, 12] > 0.99  # pulled to the edge


def test_bad_prompts_and_options(cup_still):
    image, _ = cup_still
    seg = ClassicSegmenter(saliency=False, person="off")
    with pytest.raises(InputError, match="no prompts"):
        seg.segment(image, [])
    with pytest.raises(InputError, match="only background clicks"):
        seg.segment(image, [Prompt(4, points=((10, 10, 0),))])
    with pytest.raises(InputError, match="outside the 320x180 image"):
        seg.segment(image, [Prompt(4, points=((400, 10, 1),))])
    with pytest.raises(InputError, match="empty or inverted"):
        seg.segment(image, [Prompt(4, box=(50, 50, 40, 60))])
    with pytest.raises(InputError, match="shape"):
        seg.segment(image[..., 0], [Prompt(0, box=(1, 1, 5, 5))])
    with pytest.raises(InputError, match="person"):
        ClassicSegmenter(person="maybe")


def test_coarse_to_fine_and_one_level_paths(cup_still):
    """The default two-level path (coarse GrabCut + fine edge band) and the one-level one."""
    image, gt = cup_still
    clicks = [Prompt(0, points=synth.sample_clicks(gt, 3, 2, seed=0))]
    two = ClassicSegmenter(work_size=192, coarse_size=96)
    one = ClassicSegmenter(work_size=192, coarse_size=192, iterations=4, band=0)
    for seg in (two, one):
        assert _iou(seg.segment(image, clicks), gt) >= 0.85
    assert two.last_info["ms"]["band"] > 0.0 and set(two.last_info["ms"]) >= {"grabcut", "edges"}
    prior_only = ClassicSegmenter(iterations=0)  # colour model fitted, only the band is cut
    assert _iou(prior_only.segment(image, [Prompt(0, box=synth.mask_box(gt))]), gt) >= 0.85


def test_prior_cached_per_frame_and_reused_for_added_clicks(cup_still, monkeypatch):
    image, gt = cup_still
    calls = []
    real = bundled_models.u2netp_saliency
    monkeypatch.setattr(bundled_models, "u2netp_saliency", lambda im: calls.append(1) or real(im))
    seg = ClassicSegmenter()
    pts = synth.sample_clicks(gt, 3, 2, seed=0)
    first = seg.segment(image, [Prompt(0, points=pts)])
    again = seg.segment(image, [Prompt(0, points=pts[:3] + pts[4:])])  # one click fewer
    assert len(calls) == 1 and _iou(first, gt) >= 0.85 and _iou(again, gt) >= 0.85
    seg.segment(image[::-1].copy(), [Prompt(0, points=pts)])  # another frame: model again
    assert len(calls) == 2
    seg.clear_cache()
    assert len(seg._priors) == 0


def test_remap_crops_a_cached_prior():
    from ultimate_roto.core.engines.segment_classic import _holds, _remap

    ramp = np.tile(np.linspace(0, 1, 100, dtype=np.float32), (50, 1))  # over x 0..100
    same = _remap(ramp, (0, 0, 100, 50), (0, 0, 100, 50), (50, 100))
    np.testing.assert_allclose(same, ramp)
    right = _remap(ramp, (0, 0, 100, 50), (50, 0, 100, 50), (50, 50))
    np.testing.assert_allclose(right, ramp[:, 50:], atol=1e-5)
    assert _holds((0, 0, 100, 50), (20, 0, 100, 50)) and not _holds((0, 0, 100, 50), (60, 0, 99, 9))


def test_uint8_frame_matches_float(cup_still):
    image, gt = cup_still
    u8 = (image * 255 + 0.5).astype(np.uint8)
    seg = ClassicSegmenter(saliency=False, person="off")
    box = [Prompt(0, box=synth.mask_box(gt))]
    a, b = seg.segment(image, box), seg.segment(u8, box)
    assert evaluation.jaccard(a >= 0.5, b >= 0.5) >= 0.97


def test_fast_guided_filter_is_close_to_exact():
    guide = np.zeros((40, 60), np.float32)
    guide[:, 30:] = 1.0
    src = np.zeros((40, 60), np.float32)
    src[:, 27:] = 1.0  # mask edge three pixels off the image edge
    exact = guided_filter(guide, src, 4, 1e-4)
    fast = guided_filter(guide, src, 4, 1e-4, subsample=2)
    assert np.abs(fast - exact).mean() < 0.01
    assert fast[20, 20] < 0.1 and fast[20, 28] < 0.7 and fast[20, 33] > 0.95  # pulled to the edge


def test_same_prompt_same_mask(cup_still):
    """GrabCut's k-means seeding is reseeded: repeated calls give the same mask."""
    image, gt = cup_still
    seg = ClassicSegmenter(saliency=False)
    clicks = [Prompt(0, points=synth.sample_clicks(gt, 3, 2, seed=0))]
    first = seg.segment(image, clicks)
    seg.segment(image, [Prompt(0, box=synth.mask_box(gt))])  # moves OpenCV's global RNG
    np.testing.assert_array_equal(seg.segment(image, clicks), first)


def test_clicks_on_an_object_that_leaves_the_region_grow_it():
    """Two clicks close together on the demo shot's astronaut: the clicks' region stops well
    inside her suit; the mask must not end in the region's straight side but go on to her
    shoulder (it did: a vertical cut at x = 256)."""
    from ultimate_roto import paths
    from ultimate_roto.core.media import open_media

    with open_media(paths.demo_shot()) as reader:
        image = reader.read(0)
    seg = ClassicSegmenter()
    mask = seg.segment(image, [Prompt(0, points=((469, 420, 1), (525, 136, 1)))])
    assert seg.last_info["regions"] >= 2
    assert mask[450, 150] > 0.5  # her left shoulder, far left of the first region
    assert mask[60, 700] < 0.5 and mask[300, 800] < 0.5  # the sky, the shuttle
    assert (mask[330:540, 236:276] > 0.5).all()  # the suit goes on across the old cut
    never = ClassicSegmenter(grow_region=0)
    cut = never.segment(image, [Prompt(0, points=((469, 420, 1), (525, 136, 1)))])
    assert cut[450, 150] < 0.5 and never.last_info["regions"] == 1
