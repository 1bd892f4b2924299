"""Finds resources/ and shaders/ in a checkout, an installed wheel and a frozen bundle."""
from __future__ import annotations

import os
import sys
from pathlib import Path


def _roots() -> list[Path]:
    roots: list[Path] = []
    env = os.environ.get("ULTIMATE_ROTO_HOME")
    if env:
        roots.append(Path(env))
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        roots.append(Path(frozen))
    here = Path(__file__).resolve().parent
    roots += [here.parent, here / "_data", Path(sys.prefix) / "share" / "ultimate_roto"]
    return roots


def data_dir(name: str) -> Path:
    """Return the first existing ``name`` folder (``resources`` or ``shaders``)."""
    for root in _roots():
        candidate = root / name
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"cannot find the '{name}' folder of Ultimate Roto (looked in "
        + ", ".join(str(r) for r in _roots())
        + "); set ULTIMATE_ROTO_HOME to the folder that contains it"
    )


def resources_dir() -> Path:
    return data_dir("resources")


def shaders_dir() -> Path:
    return data_dir("shaders")


def demo_shot() -> Path:
    """The bundled demo shot (a small MP4 made from real photographs)."""
    return resources_dir() / "demo" / "demo_shot.mp4"


def demo_job() -> Path:
    return resources_dir() / "demo" / "demo_job.json"


def user_config_dir() -> Path:
    """Per-user settings folder (XDG on Linux, AppData on Windows, Library on macOS)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config"))
    return base / "UltimateRoto"


def user_cache_dir() -> Path:
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "UltimateRoto"
