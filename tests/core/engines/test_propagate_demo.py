"""propagate.flow on the bundled demo shot, against its exact ground truth: a mask must not grow.

The demo shot is a camera move over a still photo (``tools/make_demo_shot.py``), so a frame-0
mask carried by the camera's affine transform is the truth on every frame. Background and
object move alike there: no motion cue stops the per-frame re-fit from absorbing look-alike
colours next to the edge, a fraction of a pixel a frame. The regions below end inside her
orange suit (as a two-click mask of her head and helmet ring does): the re-fit used to grow
them by tens of pixels within 20 frames (the shoulder patch towards the shuttle's base).
Full figures: ``benchmarks/bench_propagate.py --demo``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from ultimate_roto import paths
from ultimate_roto.core.engines.evaluation import jaccard
from ultimate_roto.core.engines.propagate_flow import FlowPropagator
from ultimate_roto.core.media import open_media

FRAMES = 20
ROOT = Path(__file__).resolve().parents[3]


def _shot_module():
    spec = importlib.util.spec_from_file_location(
        "make_demo_shot", ROOT / "tools" / "make_demo_shot.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _camera(shot, index: int) -> np.ndarray:
    """3x3 photo → frame ``index`` affine of ``make_demo_shot.render`` (middle blur sample)."""
    m = shot.frame_matrix((index + 1 / 3) / (shot.FRAMES - 1))
    return np.vstack([m, [0.0, 0.0, 1.0]])


@pytest.fixture(scope="module")
def demo():
    """The demo shot's first frames and a function carrying a frame-0 mask to frame i."""
    import cv2

    shot = _shot_module()
    with open_media(paths.demo_shot()) as reader:
        frames = [reader.read(i) for i in range(FRAMES)]
    inv0 = np.linalg.inv(_camera(shot, 0))

    def truth(mask0: np.ndarray, i: int) -> np.ndarray:
        a = (_camera(shot, i) @ inv0)[:2]
        h, w = mask0.shape
        return cv2.warpAffine(mask0, a, (w, h), flags=cv2.INTER_LINEAR) >= 0.5

    return frames, truth


def test_ground_truth_matches_the_frames(demo):
    """The camera model is the shot's: pure warping along DIS flow stays on it."""
    import cv2

    from ultimate_roto.core.engines import flow as fl

    frames, truth = demo
    seed = _ellipse((420, 470), (120, 60))
    est = fl.FlowEstimator()
    size = fl.work_size(seed.shape, 640)
    mask, prev = fl.resize(seed, size), fl.to_gray(frames[0], size)
    for frame in frames[1:]:
        cur = fl.to_gray(frame, size)
        mask, prev = fl.warp(mask, est.flow(cur, prev)), cur
    moved = cv2.resize(mask, seed.shape[::-1]) >= 0.5
    assert jaccard(moved, truth(seed, FRAMES - 1)) > 0.9  # 0.95: DIS flow's own slow drift
    assert jaccard(seed >= 0.5, truth(seed, FRAMES - 1)) < 0.8  # the camera really moved


@pytest.mark.parametrize(
    "centre, axes",
    [((560, 420), (60, 80)), ((300, 450), (80, 50))],
    ids=["shoulder by the shuttle base", "chest"],
)
def test_a_region_ending_inside_the_suit_does_not_grow(demo, centre, axes):
    frames, truth = demo
    seed = _ellipse(centre, axes)
    res = list(FlowPropagator().propagate(lambda i: frames[i], {0: seed}, range(FRAMES)))
    ious = [jaccard(mask >= 0.5, truth(seed, n)) for n, mask, _ in res[1:]]
    grown = (res[-1][1] >= 0.5).sum() / truth(seed, FRAMES - 1).sum()
    # the old re-fit: mean J 0.76 / 0.86, last-frame area 1.61 / 1.23 × the truth's;
    # now 0.94 / 0.93 and 0.99 / 1.01
    assert np.mean(ious) >= 0.9, np.round(ious, 3)
    assert grown <= 1.1


def _ellipse(centre: tuple[int, int], axes: tuple[int, int]) -> np.ndarray:
    import cv2

    mask = np.zeros((540, 960), np.float32)
    cv2.ellipse(mask, centre, axes, 0, 0, 360, 1.0, -1)
    return mask


def test_a_small_detached_part_of_the_keyframe_is_tracked_not_dropped(demo):
    """A keyframe of a body and a small detached piece (0.6 % of it, on the shuttle): the
    piece is the keyframe's own part, not a crumb left on the track, so it stays (the old
    clean-up dropped it on frame 1: J 0 from then on)."""
    import cv2

    frames, truth = demo
    body, piece = _ellipse((420, 330), (170, 200)), _ellipse((760, 120), (14, 14))
    res = list(FlowPropagator().propagate(lambda i: frames[i], {0: body + piece}, range(8)))
    for n, mask, _ in res[1:]:
        want = truth(piece, n) >= 0.5
        near = cv2.dilate(want.astype(np.uint8), np.ones((61, 61), np.uint8)) > 0
        got = (mask >= 0.5) & near
        assert got.sum() > 0.8 * want.sum(), n  # there, and covering the piece
        assert jaccard(got, want) > 0.3, n  # (0.46 at frame 6: it grows by about the band)
