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
    (sal,) = seg._cache.values()  # the U2Netp prior, cached for further clicks on this crop
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
