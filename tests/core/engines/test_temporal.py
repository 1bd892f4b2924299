"""Temporal smoothing lowers matte flicker on a static noisy shot and follows real motion."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.core.engines import synth
from ultimate_roto.core.engines.evaluation import matte_flicker
from ultimate_roto.core.engines.temporal import TemporalSmoother, smooth_mattes
from ultimate_roto.core.errors import InputError

W, H = 160, 120


@pytest.fixture(scope="module")
def still():
    frame, mask = synth.still("cup", "motorcycle", W, H, size=0.6)
    return frame, mask.astype(np.float32)


def _noisy(still, n=12, seed=0):
    """Static shot with sensor noise; each frame's matte chatters at the edge."""
    import cv2

    frame, mask = still
    rng = np.random.default_rng(seed)
    soft = cv2.GaussianBlur(mask, (0, 0), 1.5)
    edge = (soft > 0.02) & (soft < 0.98)
    out = []
    for _ in range(n):
        img = np.clip(frame + rng.normal(0, 0.01, frame.shape), 0, 1).astype(np.float32)
        a = np.clip(soft + edge * rng.normal(0, 0.15, soft.shape), 0, 1).astype(np.float32)
        out.append((img, a))
    return out, edge


def test_lowers_flicker_on_static_noisy_sequence(still):
    seq, edge = _noisy(still)
    before = matte_flicker([a for _, a in seq], edge)
    after = matte_flicker(list(smooth_mattes(seq, TemporalSmoother(0.6))), edge)
    assert after < 0.7 * before, (before, after)


def test_follows_motion_without_lag():
    spec = synth.SequenceSpec("t", "brick", (0, 0, 0, 0), (
        synth.Actor(1, "cup", (synth.Key(0, 0.3, 0.5, 0.5), synth.Key(1, 0.7, 0.5, 0.5))),), 8)  # fmt: skip
    frames = [synth.render(spec, i, W, H) for i in range(8)]
    sm = TemporalSmoother(0.8)
    out = [sm.update(f, m[1].astype(np.float32)) for f, m in frames]
    last = frames[-1][1][1]
    assert np.abs(out[-1] - last).mean() < 0.02  # a moving edge is not smeared behind


def test_off_is_identity_and_bad_inputs(still):
    seq, _ = _noisy(still, 3)
    sm = TemporalSmoother(0.0)
    assert all(np.array_equal(sm.update(i, a), a) for i, a in seq)
    with pytest.raises(InputError, match="strength"):
        TemporalSmoother(1.5)
    sm = TemporalSmoother()
    sm.update(*seq[0])
    with pytest.raises(InputError, match="shape"):
        sm.update(seq[1][0], seq[1][1][:50])
