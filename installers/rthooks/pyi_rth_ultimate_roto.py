"""PyInstaller runtime hook: per-user numba cache for the frozen app (the install folder may be
read-only, e.g. Program Files); runs before the app's own code."""

import os
import sys


def _numba_cache_dir() -> str:
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~/AppData/Local")
    elif sys.platform == "darwin":
        base = os.path.expanduser("~/Library/Caches")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "UltimateRoto", "numba")


os.environ.setdefault("NUMBA_CACHE_DIR", _numba_cache_dir())
