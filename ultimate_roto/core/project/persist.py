"""Save and load projects: versioned JSON plus a ``<name>.roto_data/`` folder of binary chunks.

Layout::

    shot.roto                         JSON, replaced last (atomically) on every save
    shot.roto_data/masks/<obj_id>/c<chunk>_<hash>.bin
                                      one file per object per 64 frames, content-addressed
    shot.roto_data/depth/c<chunk>_<hash>.bin
                                      the depth layer, one file per 64 frames, content-addressed

A chunk file is only written when its masks (or the depth layer) changed since it was last
written to that folder; its name carries a hash of its bytes, so a new version never
overwrites a file the previous JSON still references. A crash before the JSON is replaced therefore leaves the previous
project complete; unreferenced chunk files are deleted after the new JSON is in place.
"""

from __future__ import annotations

import datetime as _dt
import errno
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ultimate_roto import SOFTWARE_NAME, __version__
from ultimate_roto.core.errors import InputError, OutputError
from ultimate_roto.core.project import depth as depth_chunks
from ultimate_roto.core.project.codec import DepthMeta, depth_meta_from_dict, document_from_dict
from ultimate_roto.core.project.depth import DepthLayer
from ultimate_roto.core.project.document import Document, DocumentSnapshot
from ultimate_roto.core.project.masks import CHUNK_FRAMES, MaskStore, pack_chunk, unpack_chunk
from ultimate_roto.core.project.schema import SCHEMA_VERSION, upgrade_to_current

PROJECT_SUFFIX = ".roto"
MASK_FORMAT = "urmk1"
_RESTORE = "the project file is damaged; recover from its autosave or restore a backup"


@dataclass(frozen=True)
class SaveReport:
    """What a save did: the files it wrote and the chunk files it could keep."""

    path: Path
    chunks_written: int
    chunks_reused: int
    bytes_written: int
    depth_chunks_written: int = 0
    depth_chunks_reused: int = 0


def sidecar_dir(project_path: str | Path) -> Path:
    """The binary sidecar folder of a project: ``shot.roto`` → ``shot.roto_data``."""
    p = Path(project_path)
    return p.with_name(p.stem + ".roto_data")


# -- atomic files ------------------------------------------------------------------------------
def _write_all(f: BinaryIO, data: bytes) -> None:
    """Write every byte of ``data`` (a seam the tests use to simulate a full disk)."""
    view = memoryview(data)
    while view:
        n = f.write(view)
        view = view[n:]


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``path`` via a temp file in the same folder, fsync, then ``os.replace``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as f:
            _write_all(f, data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- save ----------------------------------------------------------------------------------
def save_project(
    doc: Document,
    path: str | Path,
    *,
    mark_clean: bool = True,
    autosave_of: str | Path | None = None,
) -> SaveReport:
    """Save ``doc`` to ``path`` (JSON) and its sidecar folder, atomically and incrementally.

    Parameters
    ----------
    doc
        The document; only a consistent snapshot is read, so this may run on a worker thread.
    path
        The project file (``*.roto``).
    mark_clean
        Mark the document unmodified afterwards (False for autosaves).
    autosave_of
        For autosaves: the project the autosave belongs to (None for an unsaved session).

    Raises
    ------
    OutputError
        The folder is not writable or the disk is full; the previous project is untouched.
    """
    path = Path(path).absolute()
    snap = doc.snapshot()
    data_dir = sidecar_dir(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        files, written, reused, nbytes = _write_masks(doc.masks, snap, data_dir)
        depth_files, d_written, d_reused, d_bytes = _write_depth(snap.depth, data_dir)
        payload = _payload(snap, path, files, autosave_of)
        payload["depth"] = _depth_entry(snap.depth, depth_files)
        text = json.dumps(payload, indent=1, ensure_ascii=False).encode("utf-8") + b"\n"
        atomic_write_bytes(path, text)
    except OSError as exc:
        raise _output_error(path, exc) from exc
    keep = {n for per in files.values() for n in per.values()} | set(depth_files.values())
    _collect_garbage(data_dir, keep)
    doc.masks.record_written(
        str(data_dir),
        {(o, c): (snap.versions[(o, c)], n) for o, per in files.items() for c, n in per.items()},
    )
    if snap.depth is not None:
        snap.depth.record_written(str(data_dir), depth_files)
    if mark_clean:
        doc.mark_saved(snap.revision)
    return SaveReport(path, written, reused, nbytes + d_bytes + len(text), d_written, d_reused)


def _output_error(path: Path, exc: OSError) -> OutputError:
    where = exc.filename or path
    if exc.errno == errno.ENOSPC:
        hint = "free some disk space and save again; the previous save is still intact"
    else:
        hint = "choose a folder you can write to; the previous save is still intact"
    return OutputError(f"cannot save project {path}: {exc.strerror or exc} ({where})", hint=hint)


def _write_masks(
    store: MaskStore, snap: DocumentSnapshot, data_dir: Path
) -> tuple[dict[str, dict[int, str]], int, int, int]:
    known = store.written(str(data_dir))
    files: dict[str, dict[int, str]] = {}
    written = reused = nbytes = 0
    for obj_id, per in sorted(snap.masks.items()):
        chunks: dict[int, dict] = {}
        for frame, enc in per.items():
            chunks.setdefault(frame // CHUNK_FRAMES, {})[frame] = enc
        for chunk, entries in sorted(chunks.items()):
            prev = known.get((obj_id, chunk))
            if prev and prev[0] == snap.versions[(obj_id, chunk)] and (data_dir / prev[1]).exists():
                files.setdefault(obj_id, {})[chunk] = prev[1]
                reused += 1
                continue
            blob = pack_chunk(entries)
            digest = hashlib.blake2b(blob, digest_size=8).hexdigest()
            name = f"masks/{obj_id}/c{chunk:06d}_{digest}.bin"
            target = data_dir / name
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                atomic_write_bytes(target, blob)
                nbytes += len(blob)
            files.setdefault(obj_id, {})[chunk] = name
            written += 1
    return files, written, reused, nbytes


def _write_depth(layer: DepthLayer | None, data_dir: Path) -> tuple[dict[int, str], int, int, int]:
    """Write the depth layer's chunk files not already in ``data_dir`` from an earlier save
    (or load) of this same (immutable) layer; returns ({chunk: file name}, written, reused,
    bytes)."""
    if layer is None:
        return {}, 0, 0, 0
    known = layer.written(str(data_dir))
    files: dict[int, str] = {}
    written = reused = nbytes = 0
    for chunk, entries in sorted(depth_chunks.chunks_of(layer).items()):
        name = known.get(chunk)
        if name is not None and (data_dir / name).exists():
            files[chunk] = name
            reused += 1
            continue
        blob = depth_chunks.pack_chunk(entries, layer.width, layer.height)
        digest = hashlib.blake2b(blob, digest_size=8).hexdigest()
        name = f"depth/c{chunk:06d}_{digest}.bin"
        target = data_dir / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(target, blob)
            nbytes += len(blob)
        files[chunk] = name
        written += 1
    return files, written, reused, nbytes


def _depth_entry(layer: DepthLayer | None, files: dict[int, str]) -> dict[str, Any] | None:
    if layer is None:
        return None
    return {
        "format": depth_chunks.DEPTH_FORMAT,
        "chunk_frames": CHUNK_FRAMES,
        "width": layer.width,
        "height": layer.height,
        "range": list(layer.range),
        "engine": layer.engine,
        "files": {str(c): n for c, n in sorted(files.items())},
    }


def _payload(
    snap: DocumentSnapshot,
    path: Path,
    files: dict[str, dict[int, str]],
    autosave_of: str | Path | None,
) -> dict[str, Any]:
    state = snap.state
    shot = dict(state["shot"])
    media = shot.pop("media_path")
    shot["media_path"], shot["media_path_absolute"] = _media_entry(media, path.parent)
    payload: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "software": {"name": SOFTWARE_NAME, "version": __version__},
        "saved_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "shot": shot,
        "objects": state["objects"],
        "settings": state["settings"],
        "masks": {
            "format": MASK_FORMAT,
            "chunk_frames": CHUNK_FRAMES,
            "files": {o: {str(c): n for c, n in sorted(per.items())} for o, per in files.items()},
        },
    }
    if autosave_of is not None or path.name.endswith(".autosave" + PROJECT_SUFFIX):
        payload["autosave_of"] = None if autosave_of is None else str(Path(autosave_of).absolute())
    return payload


def _media_entry(media: str, project_dir: Path) -> tuple[str, str]:
    """(path relative to the project when possible, absolute path)."""
    if not media:
        return "", ""
    absolute = os.path.abspath(media)
    try:
        rel = Path(os.path.relpath(absolute, project_dir)).as_posix()
    except ValueError:  # another drive on Windows
        rel = absolute
    return rel, absolute


def _collect_garbage(data_dir: Path, names: set[str]) -> None:
    """Delete mask/depth chunk files and stale temp files the new JSON no longer references."""
    keep = {(data_dir / n).resolve() for n in names}
    for kind in ("masks", "depth"):
        folder = data_dir / kind
        if not folder.is_dir():
            continue
        for f in folder.rglob("*"):
            if f.is_file() and f.resolve() not in keep:
                f.unlink(missing_ok=True)
        for d in sorted(folder.iterdir(), reverse=True):
            if d.is_dir() and not any(d.iterdir()):
                d.rmdir()


# -- load ----------------------------------------------------------------------------------
def read_project_json(path: str | Path) -> dict[str, Any]:
    """Parse a project file's JSON (not upgraded); InputError naming the file on failure."""
    path = Path(path)
    hint = (
        f"the file is damaged; look for {path.stem}.autosave{PROJECT_SUFFIX} (crash recovery) "
        "or restore a backup"
    )
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(
            f"project file {path} does not exist", hint="check the path and the file name"
        ) from None
    except OSError as exc:
        raise InputError(
            f"cannot read project file {path}: {exc.strerror}", hint="check permissions"
        ) from exc
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"project file {path} is not UTF-8 text", hint=hint) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"project file {path} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg})",
            hint=hint,
        ) from None
    if not isinstance(data, dict):
        raise InputError(f"project file {path} does not hold a JSON object", hint=hint)
    return data


def load_project(path: str | Path) -> Document:
    """Load a project (upgrading older schema versions) with all its masks.

    Raises
    ------
    InputError
        Missing or corrupt JSON, an unknown (newer) schema version, a bad field, or a
        missing / damaged mask or depth file; the message names the file and the field.
    """
    path = Path(path).absolute()
    data = upgrade_to_current(read_project_json(path), str(path))
    shot = data.get("shot")
    media = _resolve_media(shot if isinstance(shot, dict) else {}, path.parent)
    doc = document_from_dict(data, str(path), media)
    _load_masks(doc, data.get("masks") or {}, path)
    meta = depth_meta_from_dict(data.get("depth"), str(path))
    if meta is not None:
        _load_depth(doc, meta, path)
    with doc.events.blocked():
        doc.set_modified(False)
    return doc


def _resolve_media(shot: dict[str, Any], project_dir: Path) -> str:
    rel = shot.get("media_path") or ""
    absolute = shot.get("media_path_absolute") or ""
    if not isinstance(rel, str) or not isinstance(absolute, str):
        raise InputError(
            "project field shot.media_path must be a string", hint="fix it or re-link the media"
        )
    if not rel:
        return absolute
    candidate = os.path.normpath(project_dir / rel)
    if os.path.exists(candidate) or not absolute or not os.path.exists(absolute):
        return candidate
    return absolute


def _load_masks(doc: Document, masks: dict[str, Any], path: Path) -> None:
    data_dir = sidecar_dir(path)
    files = masks.get("files", {}) if isinstance(masks, dict) else None
    if not isinstance(files, dict):
        raise InputError(f"{path}: field masks.files must be an object", hint=_RESTORE)
    loaded: dict[tuple[str, int], str] = {}
    for obj_id, per in files.items():
        doc.object(obj_id)  # InputError if the masks belong to no object
        if not isinstance(per, dict):
            raise InputError(f"{path}: masks.files.{obj_id} must be an object", hint=_RESTORE)
        for chunk_key, name in per.items():
            if not (isinstance(chunk_key, str) and chunk_key.isdigit() and isinstance(name, str)):
                raise InputError(
                    f"{path}: bad entry masks.files.{obj_id}.{chunk_key}", hint=_RESTORE
                )
            _read_chunk(doc, obj_id, data_dir, name, path)
            loaded[(obj_id, int(chunk_key))] = name
    if masks.get("chunk_frames", CHUNK_FRAMES) == CHUNK_FRAMES:
        versions = doc.masks.versions()
        doc.masks.record_written(
            str(data_dir), {key: (versions.get(key, -1), name) for key, name in loaded.items()}
        )


def _read_chunk(doc: Document, obj_id: str, data_dir: Path, name: str, path: Path) -> None:
    target = (data_dir / name).resolve()
    if data_dir.resolve() not in target.parents:
        raise InputError(f"{path}: mask file name {name!r} leaves the sidecar", hint=_RESTORE)
    try:
        blob = target.read_bytes()
    except FileNotFoundError:
        raise InputError(
            f"mask data file {target} (listed in {path.name}) is missing",
            hint=f"keep the folder {data_dir.name} next to {path.name} when moving the project",
        ) from None
    w, h = doc.masks.width, doc.masks.height
    for frame, enc in unpack_chunk(blob, str(target)):
        x0, y0, x1, y1 = enc.bbox
        if not (0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h):
            raise InputError(
                f"mask data file {target}: frame {frame} bbox {enc.bbox} is outside {w}x{h}",
                hint="the mask data does not belong to this shot; restore a backup",
            )
        doc.masks.set_encoded(obj_id, frame, enc)


def _load_depth(doc: Document, meta: DepthMeta, path: Path) -> None:
    data_dir = sidecar_dir(path)
    shot = doc.shot
    if (meta.width, meta.height) != (shot.width, shot.height):
        raise InputError(
            f"{path}: depth maps are {meta.width}x{meta.height}, the shot is "
            f"{shot.width}x{shot.height}",
            hint="the depth section does not belong to this shot; " + _RESTORE,
        )
    frames = {}
    for name in meta.files.values():
        target, blob = _read_sidecar(data_dir, name, path, "depth")
        for frame, enc in depth_chunks.unpack_chunk(blob, str(target), meta.width, meta.height):
            frames[frame] = enc
    if not frames:
        raise InputError(f"{path}: the depth files hold no frames", hint=_RESTORE)
    layer = DepthLayer(meta.width, meta.height, frames, meta.depth_range, meta.engine)
    if meta.chunk_frames == CHUNK_FRAMES:
        layer.record_written(str(data_dir), meta.files)
    with doc.events.blocked():
        doc.set_depth(layer)


def _read_sidecar(data_dir: Path, name: str, path: Path, kind: str) -> tuple[Path, bytes]:
    """The bytes of ``data_dir / name`` (which must stay inside the sidecar); InputError
    naming the file when it leaves the sidecar, is missing or cannot be read."""
    target = (data_dir / name).resolve()
    if data_dir.resolve() not in target.parents:
        raise InputError(f"{path}: {kind} file name {name!r} leaves the sidecar", hint=_RESTORE)
    try:
        return target, target.read_bytes()
    except FileNotFoundError:
        raise InputError(
            f"{kind} data file {target} (listed in {path.name}) is missing",
            hint=f"keep the folder {data_dir.name} next to {path.name} when moving the project",
        ) from None
    except OSError as exc:
        raise InputError(
            f"cannot read {kind} data file {target}: {exc.strerror or exc}",
            hint="check the file's permissions",
        ) from exc
