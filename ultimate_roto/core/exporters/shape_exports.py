"""Job-level shape exports: Nuke (.nk + .py), After Effects (.jsx), Fusion (.setting), Flame.

Each object's masks (or soft mattes) over the job's frames are fitted once into animated
Bézier tracks (:func:`shapes_anim.fit_objects`, ``tolerance`` px and key reduction keeping the
interpolated IoU ≥ ``key_iou``), renumbered to the export's ``start_frame``, and written by the
format's module. Flame gets matte EXR sequences (through the convert pipeline) and a hook.
Objects whose masks are all empty get no shapes, a logged warning, and valid files.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ultimate_roto.core.errors import JobError
from ultimate_roto.core.exporters import naming
from ultimate_roto.core.exporters.spec import ExportSpec

AlphaFn = Callable[[str, int], "np.ndarray | None"]


@dataclass
class ShapeSources:
    """What a shape export reads.

    Attributes
    ----------
    info
        The input's ``MediaInfo`` (size, fps, kind).
    frames
        Source frames, in order.
    objects
        Object names.
    alpha
        ``alpha(object, frame)`` → uint8 or float (H, W), or None (empty).
    input
        The job's input path (the default plate the scripts read).
    shot
        Shot name (Flame batch name, AE comp name).
    """

    info: Any
    frames: Sequence[int]
    objects: Sequence[str]
    alpha: AlphaFn
    input: str
    shot: str = "shot"


def script_path(export: ExportSpec, output_dir: Path) -> Path:
    """The script file an export writes (absolute)."""
    return Path(output_dir) / naming.expand(export.path)


def outputs_of(export: ExportSpec, output_dir: Path) -> list[Path]:
    """Files written besides mattes: the script (and Nuke's companion .py)."""
    main = script_path(export, output_dir)
    extra = (
        [main.with_suffix(".py")] if export.format == "nuke" and export.options["python"] else []
    )
    return [main, *extra]


def _numbers(export: ExportSpec, frames: Sequence[int]) -> dict[int, int]:
    start = export.options.get("start_frame")
    return {f: (f if start is None else start + i) for i, f in enumerate(frames)}


def _as_u8(a: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray:
    if a is None:
        return np.zeros(shape, np.uint8)
    arr = np.asarray(a)
    if arr.dtype == np.uint8:
        return arr
    return np.clip(np.rint(arr.astype(np.float32) * 255.0), 0, 255).astype(np.uint8)


def fit_tracks(
    export: ExportSpec, src: ShapeSources, progress: Any, log: Callable[[str], None]
) -> dict[str, list]:
    """``{object: [ShapeTrack]}`` in output frame numbers (progress per object, cancellable)."""
    from ultimate_roto.core.exporters.shapes_anim import fit_animated

    opts, numbers = export.options, _numbers(export, src.frames)
    shape = (src.info.height, src.info.width)
    out: dict[str, list] = {}
    for k, obj in enumerate(src.objects):
        progress.check_aborted()
        masks = {numbers[f]: _as_u8(src.alpha(obj, f), shape) for f in src.frames}
        if not any(m.any() for m in masks.values()):
            log(f"{export.format}: object {obj!r} has an empty mask on every frame: no shapes")
            out[obj] = []
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                out[obj] = fit_animated(masks, tolerance=opts["tolerance"],
                                        iou_min=opts["key_iou"], name=obj)  # fmt: skip
        del masks
        keys = sum(len(t.keys) for t in out[obj])
        progress.report((k + 1) / max(1, len(src.objects)),
                        f"{obj}: {len(out[obj])} shape(s), {keys} key(s)")  # fmt: skip
    return out


def _plate(export: ExportSpec, src: ShapeSources, folder: Path) -> str:
    chosen = export.options.get("plate")
    if chosen is None:
        return src.input
    return str(Path(chosen) if Path(chosen).is_absolute() else (folder / chosen))


def write(
    export: ExportSpec,
    src: ShapeSources,
    output_dir: str | Path,
    *,
    progress: Any,
    log: Callable[[str], None] | None = None,
    resume: bool = False,
) -> list[Path]:
    """Write one shape export (``nuke``, ``ae``, ``fusion``); returns the files written.

    Raises
    ------
    JobError
        Bad format. OutputError: the folder cannot be written. Cancelled.
    """
    from ultimate_roto.core.exporters.atomic import ensure_writable_dir

    log = log or (lambda _line: None)
    if export.format not in ("nuke", "ae", "fusion"):
        raise JobError(f"shape export: {export.format} is not a shape format",
                       hint="use nuke, ae or fusion")  # fmt: skip
    target = script_path(export, Path(output_dir))
    ensure_writable_dir(target.parent)
    tracks = fit_tracks(export, src, progress.sub_progress(0.0, 0.9), log)
    for line in _renames(src.objects):
        log(f"{export.format}: object renamed {line}")
    nums = _numbers(export, src.frames)
    first, last = nums[src.frames[0]], nums[src.frames[-1]]
    info, plate = src.info, _plate(export, src, target.parent)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # renames and empties are logged above
        written = _WRITERS[export.format](export, target, info, first, last, tracks, plate, src)
    progress.report(1.0, f"wrote {target.name}")
    return written


def _renames(objects: Sequence[str]) -> list[str]:
    from ultimate_roto.core.exporters.names import sanitize_names

    return sanitize_names(objects).report()


def _nuke(export, target, info, first, last, tracks, plate, src) -> list[Path]:
    from ultimate_roto.core.exporters import nuke_nk, nuke_py

    write_path = export.options["write_path"] or str(
        target.with_name(target.stem + "_roto.####.exr")
    )
    nuke_nk.write_nk(target, plate_path=plate, width=info.width, height=info.height,
                     fps=info.fps, first=first, last=last, objects=tracks,
                     write_path=write_path, movie=_movie(plate, info, src, first, last))  # fmt: skip
    out = [target]
    if export.options["python"]:
        out.append(nuke_py.write_nuke_py(target.with_suffix(".py"), width=info.width,
                                         height=info.height, objects=tracks))  # fmt: skip
    return out


def _movie(plate: str, info: Any, src: ShapeSources, first: int, last: int):
    """``(frames, start)`` of a movie plate for the Nuke Read (None for a sequence): the
    source movie starts at the number its first frame gets; another movie file (an exported
    plate) is taken to hold exactly the exported frames."""
    from ultimate_roto.core.media import VIDEO_EXTENSIONS

    if plate == src.input:
        if info.kind == "sequence":
            return None
        return info.last_frame - info.first_frame + 1, first - (src.frames[0] - info.first_frame)
    if naming.has_frame_token(plate) or Path(plate).suffix.lower() not in VIDEO_EXTENSIONS:
        return None
    return last - first + 1, first


def _first_file(plate: str, info: Any, src: ShapeSources) -> tuple[str, bool]:
    if info.kind != "sequence" or not naming.has_frame_token(plate):
        return plate, info.kind == "sequence"
    return naming.expand(plate, frame=src.frames[0]), True


def _ae(export, target, info, first, last, tracks, plate, src) -> list[Path]:
    from ultimate_roto.core.exporters import after_effects

    path, is_seq = _first_file(plate, info, src)
    after_effects.write_jsx(target, width=info.width, height=info.height, fps=info.fps,
                            first=first, last=last, objects=tracks, plate=path,
                            plate_is_sequence=is_seq,
                            comp=export.options["comp_name"] or src.shot)  # fmt: skip
    return [target]


def _fusion(export, target, info, first, last, tracks, plate, src) -> list[Path]:
    from ultimate_roto.core.exporters import fusion

    fusion.write_setting(target, width=info.width, height=info.height, objects=tracks)
    return [target]


_WRITERS = {"nuke": _nuke, "ae": _ae, "fusion": _fusion}


# -- Flame ---------------------------------------------------------------------------------------
def flame_matte_spec(export: ExportSpec, kind: str, output_dir: Path) -> ExportSpec:
    """The EXR export (one per object) the Flame hook imports: ``mattes`` under the hook's
    folder, ZIP half, data (never colour converted)."""
    folder = script_path(export, output_dir).parent
    rel = folder.relative_to(output_dir) if folder.is_relative_to(output_dir) else folder
    path = str(Path(rel) / export.options["mattes"])
    opts = {"start_frame": export.options.get("start_frame"), "colorspace": None,
            "compression": "zip", "pixel_type": "half"}  # fmt: skip
    return ExportSpec("exr", kind, path, opts)


def write_flame_hook(
    export: ExportSpec, src: ShapeSources, output_dir: Path, matte_spec: ExportSpec
) -> Path:
    """Write the Flame hook naming the plate and the per-object matte sequences."""
    from ultimate_roto.core.exporters.flame import flame_pattern, write_hook

    target = script_path(export, output_dir)
    nums = _numbers(export, src.frames)
    first, last = nums[src.frames[0]], nums[src.frames[-1]]
    plate = _plate(export, src, target.parent)
    if src.info.kind == "sequence" and naming.has_frame_token(plate):
        plate = flame_pattern(plate, first if export.options.get("plate") else src.frames[0],
                              last if export.options.get("plate") else src.frames[-1])  # fmt: skip
    mattes = {o: flame_pattern(str(Path(output_dir) / naming.fill_names(matte_spec.path, object=o)),
                               first, last) for o in src.objects}  # fmt: skip
    return write_hook(target, batch_name=f"{src.shot}_roto", start=first,
                      duration=last - first + 1, plate=plate, mattes=mattes)  # fmt: skip
