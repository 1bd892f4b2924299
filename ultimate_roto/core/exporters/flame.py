"""Flame: a Python hook (custom action) that imports the plate and matte sequences into a Batch.

Flame's GMask Tracer formats are not publicly documented, so none is written (FORMATS.md): the
mattes go out as EXR sequences and this hook builds the Batch from them with the documented
``flame`` Python API — ``flame.batch.create_batch_group(name, start_frame=…, duration=…,
reels=[…])``, ``flame.batch.import_clip(path, reel)`` (sequences as ``name.[1001-1100].exr``)
and ``flame.batch.organize()`` — exposed through the ``get_main_menu_custom_ui_actions`` hook.
Put the file in a folder on ``DL_PYTHON_HOOK_PATH`` (or run ``build_batch()`` from Flame's
Python console).
"""

from __future__ import annotations

import ast
import pprint
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ultimate_roto import SOFTWARE_NAME, __version__
from ultimate_roto.core.errors import InputError, MediaError
from ultimate_roto.core.exporters.atomic import write_bytes

_HASHES = re.compile(r"#+|%0(\d+)d|\{frame(?::0?(\d+)d?)?\}")

_BODY = '''

def build_batch(selection=None):
    """Create the Batch group with the plate and one matte clip per object."""
    import flame

    flame.batch.create_batch_group(
        BATCH_NAME, start_frame=START, duration=DURATION, reels=["Plate", "Mattes"]
    )
    if PLATE:
        plate = flame.batch.import_clip(PLATE, "Plate")
        if plate:
            plate.name = "plate"
    for name, path in MATTES.items():
        clip = flame.batch.import_clip(path, "Mattes")
        if clip:
            clip.name = "matte_" + name
    flame.batch.organize()


def get_main_menu_custom_ui_actions():
    return [
        {
            "name": "Ultimate Roto",
            "actions": [{"name": "Import roto: " + BATCH_NAME, "execute": build_batch}],
        }
    ]
'''


def flame_pattern(template: str, first: int, last: int) -> str:
    """A sequence template (``####``, ``%04d`` or ``{frame}``) as Flame imports it:
    ``name.[1001-1100].exr`` with each number padded to the template's width."""

    def fill(m: re.Match[str]) -> str:
        width = (
            len(m.group(0)) if m.group(0).startswith("#") else int(m.group(1) or m.group(2) or 0)
        )
        return f"[{first:0{width}d}-{last:0{width}d}]"

    out, n = _HASHES.subn(fill, template, count=1)
    if n == 0:
        raise InputError(f"Flame: '{template}' has no frame token", hint="use name.####.exr")
    return out


def write_to_string(
    *, batch_name: str, start: int, duration: int, plate: str | None, mattes: Mapping[str, str]
) -> str:
    """The hook's text (see :func:`write_hook`)."""
    if duration < 1:
        raise InputError(f"Flame hook: duration {duration} < 1", hint="export at least one frame")
    head = (
        f'"""Flame custom action written by {SOFTWARE_NAME} {__version__}: builds a Batch with '
        'the plate and the roto mattes."""\n\n'
        f"BATCH_NAME = {batch_name!r}\nSTART = {int(start)}\nDURATION = {int(duration)}\n"
        f"PLATE = {plate!r}\nMATTES = {pprint.pformat(dict(mattes), width=90)}\n"
    )
    return head + _BODY


def write_hook(path: str | Path, **kwargs: Any) -> Path:
    """Write the hook atomically.

    Parameters
    ----------
    path
        The ``.py`` file.
    **kwargs
        ``batch_name``, ``start`` (first frame), ``duration`` (frames), ``plate`` (Flame
        pattern of the plate, or None), ``mattes`` (``{object: Flame pattern}``; see
        :func:`flame_pattern`).
    """
    write_bytes(path, write_to_string(**kwargs).encode("utf-8"))
    return Path(path)


def read_hook(path: str | Path) -> dict[str, Any]:
    """The constants of a hook (BATCH_NAME, START, DURATION, PLATE, MATTES), parsed, not run.

    Raises
    ------
    MediaError
        Unreadable, not Python, or a constant missing.
    """
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError) as exc:
        raise MediaError(f"cannot read Flame hook {path}: {exc}", hint="check the file") from None
    consts = {
        t.id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name) and t.id.isupper()
    }
    missing = {"BATCH_NAME", "START", "DURATION", "PLATE", "MATTES"} - set(consts)
    if missing:
        raise MediaError(f"Flame hook {path}: missing {sorted(missing)}", hint="rewrite it")
    return consts
