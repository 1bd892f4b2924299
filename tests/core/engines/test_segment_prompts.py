"""Prompt validation: every bad prompt raises InputError naming the prompt."""

from __future__ import annotations

import pytest

from ultimate_roto.core.engines.base import Prompt, check_image, check_mask
from ultimate_roto.core.errors import InputError


def test_valid_prompt_passes_and_splits_points():
    p = Prompt(3, points=((10, 5, 1), (20, 8, 0), (1, 1, 1)), box=(0, 0, 50, 40), name="hero")
    p.validate(64, 48, (0, 10))
    p.validate(64, 48, range(0, 4))
    assert p.fg_points == [(10.0, 5.0), (1.0, 1.0)] and p.bg_points == [(20.0, 8.0)]


@pytest.mark.parametrize(
    ("prompt", "match"),
    [
        (
            Prompt(0, points=((64, 5, 1),), name="hero"),
            r"prompt 'hero' on frame 0: point 0 at \(64",
        ),
        (Prompt(0, points=((-1, 5, 1),)), "outside the 64x48 image"),
        (Prompt(0, points=((3, 5, 2),)), "label 2"),
        (Prompt(0, points=((3, 5),)), "expected"),
        (Prompt(0, box=(10, 10, 5, 20)), "empty or inverted"),
        (Prompt(0, box=(10, 10, 10, 20)), "empty or inverted"),
        (Prompt(0, box=(70, 50, 90, 60)), "outside"),
        (Prompt(0, box=(0, 0, float("nan"), 3)), "not"),
        (Prompt(0), "is empty"),
        (Prompt(11, points=((3, 5, 1),)), "frame 11 is outside the shot"),
    ],
)
def test_bad_prompts_raise_input_error(prompt, match):
    with pytest.raises(InputError, match=match) as err:
        prompt.validate(64, 48, (0, 10))
    assert err.value.hint


def test_check_image_and_mask():
    import numpy as np

    assert check_image(np.zeros((4, 5, 4), np.uint8)).shape == (4, 5, 3)
    with pytest.raises(InputError, match="shape"):
        check_image(np.zeros((4, 5)))
    with pytest.raises(InputError, match="dtype"):
        check_image(np.zeros((4, 5, 3), np.int32))
    assert check_mask(np.full((4, 5), 255, np.uint8), (4, 5)).max() == 1.0
    with pytest.raises(InputError, match="expected"):
        check_mask(np.zeros((4, 4)), (4, 5))
    with pytest.raises(InputError, match="NaN"):
        check_mask(np.full((4, 5), np.nan), (4, 5))
