"""segment_clicks: geodesic carving from background clicks and trimming of GrabCut additions."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ultimate_roto.core.engines import segment_clicks
from ultimate_roto.core.engines import segment_grabcut as gc
from ultimate_roto.core.engines.base import Prompt
from ultimate_roto.core.engines.segment_classic import ClassicSegmenter
from ultimate_roto.core.errors import InputError

needs_skimage = pytest.mark.skipif(not segment_clicks.available(), reason="no scikit-image")

BLUE, BLUISH, ORANGE = (0.2, 0.3, 0.8), (0.25, 0.35, 0.75), (0.8, 0.45, 0.2)


def _two_objects(
    w: int = 320, h: int = 180, second: tuple[float, float, float] = BLUISH
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A grey, noisy frame with a blue object A (left) touching object B (right, colour
    ``second``): image, A, B."""
    rng = np.random.default_rng(0)
    img = np.empty((h, w, 3), np.float32)
    img[:] = (0.45, 0.5, 0.45)
    a = np.zeros((h, w), bool)
    b = np.zeros((h, w), bool)
    a[h * 5 // 18 : h * 13 // 18, w // 4 : w // 2] = True
    b[h * 5 // 18 : h * 13 // 18, w // 2 : w * 3 // 4] = True
    img[a], img[b] = BLUE, second
    img += rng.normal(0.0, 0.02, img.shape).astype(np.float32)
    return np.clip(img, 0.0, 1.0), a, b


def _labels(prob_fg: np.ndarray) -> np.ndarray:
    labels = np.full(prob_fg.shape, cv2.GC_PR_BGD, np.uint8)
    labels[prob_fg] = cv2.GC_PR_FGD
    return labels


@needs_skimage
def test_background_click_carves_a_touching_colour_similar_object(monkeypatch):
    """A prior over both objects (as U2Netp gives for touching salient things): the background
    click on B removes B with carving, and B stays without it."""
    image, a, b = _two_objects()

    def prior_over_both(work, prompts, frame):
        x0, y0, x1, y1 = work.roi
        both = (a | b)[y0:y1, x0:x1].astype(np.float32)
        return gc.resize(both, work.coarse.shape[:2]), "u2netp"

    clicks = ((100, 70, 1), (120, 110, 1), (140, 90, 1), (220, 90, 0))
    masks = {}
    for carve in (0.0, 3.0):
        seg = ClassicSegmenter(carve=carve)
        monkeypatch.setattr(seg, "_prior", prior_over_both)
        masks[carve] = seg.segment(image, [Prompt(0, points=clicks)]) >= 0.5
    assert masks[0.0][b].mean() > 0.9  # the colour model learnt B from the prior
    assert masks[3.0][b].mean() < 0.05 and masks[3.0][a].mean() > 0.95
    assert masks[3.0][~(a | b)].mean() < 0.01


@needs_skimage
def test_carve_follows_colour_edges_not_distance():
    """The foreground click is next to B: by distance alone it keeps part of B; with colour
    edges (blue against orange) the background click owns all of B and none of A."""
    image, a, b = _two_objects(200, 100, ORANGE)
    fg, bg = [(95, 50)], [(148, 50)]
    labels = _labels(a | b)
    carved = segment_clicks.carve(labels, image, fg, bg, strength=3.0)
    now_bg = labels == cv2.GC_PR_BGD
    assert carved == np.count_nonzero(now_bg & (a | b))
    assert now_bg[b].mean() > 0.95 and now_bg[a].mean() < 0.02
    plain = _labels(a | b)
    segment_clicks.carve(plain, image, fg, bg, strength=0.0)
    assert (plain[b] == cv2.GC_PR_BGD).mean() < 0.8


@needs_skimage
def test_carve_needs_a_background_click_on_the_probable_foreground():
    image, a, b = _two_objects(200, 100)
    labels = _labels(a | b)
    before = labels.copy()
    assert segment_clicks.carve(labels, image, [(75, 50)], [(190, 5)]) == 0  # off the prior
    assert segment_clicks.carve(labels, image, [], [(148, 50)]) == 0  # no foreground click
    assert np.array_equal(labels, before)


@needs_skimage
def test_carve_on_a_shrunk_grid_matches_the_level():
    image, a, b = _two_objects(256, 144)
    fg, bg = [(100, 70)], [(180, 70)]
    full, small = _labels(a | b), _labels(a | b)
    segment_clicks.carve(full, image, fg, bg, size=0)
    segment_clicks.carve(small, image, fg, bg, size=64)
    assert np.mean(full != small) < 0.01


@needs_skimage
def test_nearest_seed_agrees_with_per_group_distances():
    from skimage.graph import MCP_Geometric

    rng = np.random.default_rng(3)
    cost = 1.0 + 5.0 * rng.random((60, 90))
    cells = [(5, 5), (80, 10), (40, 50), (88, 58)]
    owner = segment_clicks.nearest_seed(cost, cells)
    dists = [MCP_Geometric(cost).find_costs([(y, x)])[0] for x, y in cells]
    assert owner.shape == cost.shape and set(np.unique(owner)) == {0, 1, 2, 3}
    assert np.mean(owner == np.argmin(dists, axis=0)) > 0.999  # ties aside


@needs_skimage
def test_nearest_seed_stops_at_a_wall():
    cost = np.ones((20, 40))
    cost[:, 20] = 1e6
    owner = segment_clicks.nearest_seed(cost, [(0, 10), (21, 10)])
    assert (owner[:, :20] == 0).all()  # left of the wall: seed 0, though seed 1 is nearer
    assert (owner[:, 21:] == 1).all()


def _blob_with_additions() -> tuple[np.ndarray, np.ndarray]:
    """Start: a square; GrabCut's result adds a strip from it to the right side of the
    region and a bump on top that stays inside."""
    start = np.zeros((60, 80), bool)
    start[20:40, 20:40] = True
    fg = start.copy()
    fg[25:35, 40:80] = True  # strip to the right side
    fg[14:20, 25:35] = True  # bump
    return fg, start


def test_trim_drops_an_addition_touching_an_open_side():
    fg, start = _blob_with_additions()
    out = segment_clicks.trim_additions(fg, start, (False, False, True, False))
    assert out[start].all() and not out[25:35, 40:80].any()
    assert out[14:20, 25:35].all()


def test_trim_keeps_additions_at_the_image_edge_and_inside():
    fg, start = _blob_with_additions()
    for sides in ((False, False, False, False), (True, True, False, True)):
        assert np.array_equal(segment_clicks.trim_additions(fg, start, sides), fg)


def test_trim_only_without_a_box(monkeypatch):
    """A box bounds the object: trimming runs for clicks only."""
    image, _, _ = _two_objects()
    calls: list[int] = []
    real = segment_clicks.trim_additions
    monkeypatch.setattr(
        segment_clicks, "trim_additions", lambda *args: calls.append(1) or real(*args)
    )
    seg = ClassicSegmenter(saliency=False, person="off")
    seg.segment(image, [Prompt(0, box=(60, 40, 260, 140))])
    assert calls == []
    seg.segment(image, [Prompt(0, points=((100, 70, 1), (140, 90, 1)))])
    assert calls == [1]
    ClassicSegmenter(saliency=False, person="off", trim=False).segment(
        image, [Prompt(0, points=((100, 70, 1), (140, 90, 1)))]
    )
    assert calls == [1]


def test_options(monkeypatch):
    with pytest.raises(InputError):
        ClassicSegmenter(confidence=0.0)
    assert ClassicSegmenter(carve=-1).carve == 0.0
    monkeypatch.setattr(segment_clicks, "available", lambda: False)
    assert ClassicSegmenter().carve == 0.0  # without scikit-image: no carving
