"""TieredCache.from_settings: defaults, units, validation naming the setting."""

from __future__ import annotations

import psutil
import pytest

from ultimate_roto.core.cache import TieredCache
from ultimate_roto.core.cache.settings import MB, budgets_from_settings
from ultimate_roto.core.errors import InputError


def test_defaults_use_a_quarter_of_ram_and_no_disk():
    cache = TieredCache.from_settings({})
    expected = max(256, int(psutil.virtual_memory().total * 0.25) // MB) * MB
    st = cache.stats()
    assert st.ram_budget == expected
    assert st.disk_budget == 0 and cache.disk_dir is None


def test_explicit_settings(tmp_path):
    cache = TieredCache.from_settings(
        {"ram_mb": 1.5, "disk_mb": 2, "disk_dir": str(tmp_path), "kind_mb": {"embedding": 1}}
    )
    st = cache.stats()
    assert st.ram_budget == int(1.5 * MB) and st.disk_budget == 2 * MB
    assert cache.disk_dir.parent == tmp_path
    assert st.per_kind["embedding"].ram_budget == MB
    cache.close()


def test_disk_dir_alone_turns_the_disk_tier_on(tmp_path):
    args = budgets_from_settings({"ram_mb": 10, "disk_dir": tmp_path})
    assert args["disk_bytes"] > 0 and args["disk_dir"] == tmp_path


def test_disk_mb_zero_turns_the_disk_tier_off(tmp_path):
    args = budgets_from_settings({"disk_mb": 0, "disk_dir": tmp_path})
    assert args["disk_bytes"] == 0 and args["disk_dir"] is None


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"ram_mb": -1}, "'ram_mb' must be a number"),
        ({"ram_mb": "4096"}, "'ram_mb' must be a number"),
        ({"ram_mb": float("nan")}, "'ram_mb'"),
        ({"disk_mb": -3}, "'disk_mb'"),
        ({"disk_mb": True}, "'disk_mb'"),
        ({"disk_dir": 5}, "'disk_dir'"),
        ({"ram_MB": 5}, "unknown cache setting 'ram_MB'"),
        ({"kind_mb": {"embedding": -1}}, "kind_mb.embedding"),
        ({"kind_mb": {"embeddings": 1}}, "unknown cache kind"),
        ({"kind_mb": [1]}, "'kind_mb'"),
    ],
)
def test_bad_settings_name_the_setting(settings, match):
    with pytest.raises(InputError, match=match) as info:
        TieredCache.from_settings(settings)
    assert info.value.hint


def test_typo_gets_a_suggestion():
    with pytest.raises(InputError) as info:
        budgets_from_settings({"disk_MB": 5})
    assert "did you mean 'disk_mb'" in info.value.hint


def test_uncreatable_disk_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(InputError, match="setting disk_dir"):
        TieredCache.from_settings({"disk_mb": 1, "disk_dir": str(blocker / "sub")})
