"""User settings: defaults, validation naming the key, atomic save, use by --batch."""

from __future__ import annotations

import json

import pytest

from ultimate_roto.core.errors import InputError
from ultimate_roto.core.settings import (
    DEFAULTS,
    cache_settings,
    load_settings,
    save_settings,
    settings_path,
)


def test_missing_file_gives_defaults(tmp_path):
    settings = load_settings(tmp_path / "none.json")
    assert settings == DEFAULTS and cache_settings(settings) == {}


def test_save_then_load_round_trips(tmp_path):
    path = tmp_path / "cfg" / "settings.json"
    wanted = {"cache": {"ram_mb": 2048, "disk_mb": 4096, "disk_dir": str(tmp_path / "c")},
              "device": "cpu", "models_dir": str(tmp_path / "models"), "autosave_interval_s": 30}  # fmt: skip
    save_settings(wanted, path)
    got = load_settings(path)
    assert got["cache"]["ram_mb"] == 2048 and got["device"] == "cpu"
    assert cache_settings(got) == wanted["cache"]
    assert not list(path.parent.glob(".*partial*"))  # atomic: no temp file left


def test_env_variable_names_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("ULTIMATE_ROTO_SETTINGS", str(tmp_path / "s.json"))
    assert settings_path() == tmp_path / "s.json"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"devise": "cpu"}, "did you mean 'device'"),
        ({"cache": {"ram": 10}}, "unknown setting 'cache.ram'"),
        ({"cache": {"ram_mb": -5}}, "ram_mb"),
        ({"device": "gpu"}, "'device' is 'gpu'"),
        ({"autosave_interval_s": "often"}, "autosave_interval_s"),
        ([1, 2], "expected a JSON object"),
    ],
)
def test_bad_settings_name_the_key(tmp_path, data, message):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=message):
        load_settings(path)


def test_corrupt_file_says_how_to_recover(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text("{not json")
    with pytest.raises(InputError, match="cannot be read") as err:
        load_settings(path)
    assert "delete the file" in err.value.hint


def test_disk_off_with_a_folder_stays_off(tmp_path):
    from ultimate_roto.core.cache.settings import budgets_from_settings

    settings = {**DEFAULTS, "cache": {"ram_mb": 512, "disk_mb": 0, "disk_dir": str(tmp_path)}}
    kept = cache_settings(settings)
    assert kept == {"ram_mb": 512, "disk_mb": 0, "disk_dir": str(tmp_path)}
    assert budgets_from_settings(kept)["disk_bytes"] == 0  # not the 8 GiB default
