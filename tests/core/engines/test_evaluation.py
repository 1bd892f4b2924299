"""DAVIS J / F / J&F and matte flicker against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.core.engines import evaluation as ev
from ultimate_roto.core.errors import InputError


def _stripe(c0: int, c1: int, n: int = 10) -> np.ndarray:
    m = np.zeros((n, n), bool)
    m[:, c0:c1] = True
    return m


def test_jaccard_hand_case_and_empty():
    pred = np.zeros((4, 4), bool)
    gt = np.zeros((4, 4), bool)
    pred[0:2, 0:2] = True
    gt[0:2, 0:3] = True
    assert ev.jaccard(pred, gt) == pytest.approx(4 / 6)
    assert ev.jaccard(np.zeros((3, 3)), np.zeros((3, 3))) == 1.0
    void = np.zeros((4, 4), bool)
    void[:, 2] = True  # the only disagreeing column is void
    assert ev.jaccard(pred, gt, void) == 1.0


def test_seg2bmap_matches_davis_definition():
    m = np.zeros((4, 4), bool)
    m[1:3, 1:3] = True
    expected = np.array([[1, 1, 1, 0], [1, 0, 1, 0], [1, 1, 1, 0], [0, 0, 0, 0]], bool)
    assert np.array_equal(ev.seg2bmap(m), expected)


def test_boundary_radius_and_disk():
    assert ev.boundary_radius((480, 854)) == 8  # ceil(0.008 * 979.7)
    assert ev.boundary_radius((10, 10)) == 1
    assert ev.disk(1).tolist() == [[0, 1, 0], [1, 1, 1], [0, 1, 0]]


def test_f_measure_hand_cases():
    gt = _stripe(3, 6)  # boundary columns 2 and 5
    assert ev.f_measure(gt, gt) == 1.0
    assert ev.f_measure(_stripe(4, 7), gt) == 1.0  # 1-px shift is within the 1-px tolerance
    # pred boundary columns 5 and 8: half of each side's boundary matches -> P = R = 0.5
    assert ev.f_measure(_stripe(6, 9), gt) == pytest.approx(0.5)
    assert ev.f_measure(np.zeros((10, 10), bool), gt) == 0.0
    assert ev.f_measure(np.zeros((10, 10), bool), np.zeros((10, 10), bool)) == 1.0


def test_sequence_protocol_excludes_first_and_last_frames():
    good = np.zeros((10, 10), np.uint8)
    good[0:2, 0:3] = 1
    good[6:9, 6:9] = 2
    part = good.copy()
    part[0:2, 2] = 0  # object 1: J = 4/6 on this frame
    part[good == 2] = 0  # object 2 missing
    wrong = np.zeros((10, 10), np.uint8)  # first and last frames are not scored
    score = ev.evaluate_sequence([good] * 4, [wrong, good, part, wrong], name="s")
    assert score.j[1] == pytest.approx([1.0, 4 / 6])
    assert score.j[2] == [1.0, 0.0] and score.f[2][1] == 0.0
    assert score.j_mean() == pytest.approx(((1 + 4 / 6) / 2 + 0.5) / 2)
    full = ev.evaluate_sequence([good] * 4, [good] * 4, semi_supervised=False)
    assert full.jf() == 1.0
    ds = ev.DatasetScore([score, full])
    assert ds.j_mean() == pytest.approx((np.mean(score.j[1]) + np.mean(score.j[2]) + 2) / 4)


def test_void_and_dict_frames():
    gt = np.zeros((10, 10), np.uint8)
    gt[2:6, 2:6] = 1
    gt[8:, :] = ev.VOID
    pred = {1: (gt == 1) | (gt == ev.VOID)}  # extra pixels only in void
    assert ev.evaluate_sequence([gt] * 3, [pred] * 3).jf() == 1.0


def test_matte_flicker_and_static_region():
    a = np.full((4, 4), 0.5, np.float32)
    b = np.full((4, 4), 0.7, np.float32)
    assert ev.matte_flicker([a, b, a]) == pytest.approx(0.2)
    frames = [np.zeros((4, 4, 3), np.float32) for _ in range(3)]
    frames[1][0, 0] = 1.0
    region = ev.static_region(frames)
    assert not region[0, 0] and region.sum() == 15
    c = b.copy()
    c[0, 0] = 0.0
    assert ev.matte_flicker([b, c], region) == 0.0


def test_bad_inputs():
    with pytest.raises(InputError, match="3 ground-truth frames but 2"):
        ev.evaluate_sequence([np.zeros((4, 4))] * 3, [np.zeros((4, 4))] * 2)
    with pytest.raises(InputError, match="too few frames"):
        ev.evaluate_sequence([np.zeros((4, 4))] * 2, [np.zeros((4, 4))] * 2)
    with pytest.raises(InputError, match="differ in size"):
        ev.jaccard(np.zeros((4, 4)), np.zeros((4, 5)))
    with pytest.raises(InputError, match="at least two"):
        ev.matte_flicker([np.zeros((2, 2))])
    with pytest.raises(InputError, match="non-empty region"):
        ev.matte_flicker([np.zeros((2, 2))] * 2, np.zeros((2, 2), bool))
