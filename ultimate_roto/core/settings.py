"""User settings shared by the workstation and batch runs: one JSON file, validated, atomic.

The file is ``<user config folder>/settings.json`` (``ULTIMATE_ROTO_SETTINGS`` names another
one). The GUI's Preferences dialog writes it; ``--batch`` reads it for the cache budget and the
models folder, so a pipeline TD sets a farm machine up once. Missing keys take the defaults;
unknown keys are an error naming the key (a typo must not be ignored silently).
"""

from __future__ import annotations

import copy
import difflib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ultimate_roto.core.errors import InputError, OutputError

ENV_SETTINGS = "ULTIMATE_ROTO_SETTINGS"
DEVICES = ("auto", "cpu", "cuda", "mps")
THEMES = ("dark", "light")

#: Defaults; ``cache`` holds core.cache settings (ram_mb None = 25 % of RAM).
DEFAULTS: dict[str, Any] = {
    "cache": {"ram_mb": None, "disk_mb": 0, "disk_dir": None},
    "device": "auto",
    "models_dir": None,
    "autosave_interval_s": 120,
    "theme": "dark",
}


def settings_path() -> Path:
    """Where the settings live (``$ULTIMATE_ROTO_SETTINGS`` or the user config folder)."""
    env = os.environ.get(ENV_SETTINGS)
    if env:
        return Path(env).expanduser()
    from ultimate_roto.paths import user_config_dir

    return user_config_dir() / "settings.json"


def load_settings(path: str | Path | None = None) -> dict[str, Any]:
    """The settings with defaults filled in; a missing file gives the defaults.

    Raises
    ------
    InputError
        The file is not JSON, or a key or value is invalid (the message names the file and key).
    """
    where = Path(path) if path is not None else settings_path()
    data: Any = {}
    if where.exists():
        try:
            data = json.loads(where.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(
                f"settings file {where} cannot be read: {exc}",
                hint="fix the JSON, or delete the file to start from the defaults",
            ) from None
    return validate(data, str(where))


def save_settings(settings: Mapping[str, Any], path: str | Path | None = None) -> Path:
    """Validate and write the settings atomically; returns the path written."""
    from ultimate_roto.core.exporters.atomic import write_bytes

    where = Path(path) if path is not None else settings_path()
    clean = validate(settings, str(where))
    try:
        where.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot create the settings folder {where.parent}: {exc}",
            hint=f"check permissions, or set {ENV_SETTINGS} to a writable file",
        ) from None
    write_bytes(where, (json.dumps(clean, indent=2) + "\n").encode("utf-8"))
    return where


def validate(data: Any, where: str = "settings") -> dict[str, Any]:
    """Defaults merged with ``data``, every value checked (``InputError`` names the key)."""
    if not isinstance(data, Mapping):
        raise InputError(f"{where}: expected a JSON object", hint='e.g. {"device": "auto"}')
    _no_unknown(data, DEFAULTS, where, "")
    out = copy.deepcopy(DEFAULTS)
    cache = data.get("cache", {})
    if not isinstance(cache, Mapping):
        raise InputError(f"{where}: 'cache' must be an object", hint='e.g. {"ram_mb": 4096}')
    from ultimate_roto.core.cache.settings import SETTING_KEYS, budgets_from_settings

    _no_unknown(cache, dict.fromkeys(SETTING_KEYS), where, "cache.")
    out["cache"].update(cache)
    budgets_from_settings({k: v for k, v in out["cache"].items() if v is not None})  # checks
    out["device"] = _choice(data.get("device", "auto"), DEVICES, where, "device")
    out["theme"] = _choice(data.get("theme", "dark"), THEMES, where, "theme")
    models = data.get("models_dir")
    if models is not None and not (isinstance(models, str) and models.strip()):
        raise InputError(f"{where}: 'models_dir' must be a folder path or null")
    out["models_dir"] = models
    interval = data.get("autosave_interval_s", DEFAULTS["autosave_interval_s"])
    if isinstance(interval, bool) or not isinstance(interval, int | float) or interval < 0:
        raise InputError(
            f"{where}: 'autosave_interval_s' must be seconds >= 0 (0 turns autosave off)",
            hint="e.g. 120",
        )
    out["autosave_interval_s"] = interval
    return out


def cache_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The ``cache`` part as ``TieredCache.from_settings`` takes it, without the values left
    at their defaults (empty when nothing was set: the caller's own default applies).

    ``disk_mb: 0`` next to a ``disk_dir`` is kept: it means "disk tier off", where leaving it
    out would let the core default to 8 GiB in that folder."""
    cache = settings["cache"]
    out = {k: v for k, v in cache.items() if v not in (None, 0)}
    if cache.get("disk_dir") and cache.get("disk_mb") == 0:
        out["disk_mb"] = 0
    return out


def _choice(value: Any, choices: tuple[str, ...], where: str, key: str) -> str:
    if value not in choices:
        raise InputError(f"{where}: '{key}' is {value!r}", hint=f"use one of {', '.join(choices)}")
    return str(value)


def _no_unknown(data: Mapping[str, Any], known: Mapping[str, Any], where: str, prefix: str) -> None:
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(str(key), list(known), n=1)
            raise InputError(
                f"{where}: unknown setting '{prefix}{key}'",
                hint=f"did you mean '{prefix}{close[0]}'?"
                if close
                else "known settings: " + ", ".join(prefix + k for k in known),
            )
