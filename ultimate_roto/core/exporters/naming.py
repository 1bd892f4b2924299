"""Output path templates: ``####`` / ``%04d`` / ``{frame}`` frame tokens, ``{object}``, ``{layer}``."""

from __future__ import annotations

import difflib
import re

from ultimate_roto.core.errors import JobError

# One regex finds every token; the group that matched says which kind it is.
_TOKEN = re.compile(
    r"(?P<hashes>#+)"
    r"|%(?P<printf>0?\d*)d"
    r"|\{(?P<name>[A-Za-z_]\w*)(?::(?P<spec>[^{}]*))?\}"
)
FIELDS = ("frame", "object", "layer")
_FRAME_SPEC = re.compile(r"0?\d*d?")


def has_frame_token(template: str) -> bool:
    """True when ``template`` contains ``#``, ``%0Nd`` or ``{frame}``."""
    return any(_kind(m) == "frame" for m in _TOKEN.finditer(template))


def fields_used(template: str) -> set[str]:
    """The fields (``frame``, ``object``, ``layer``) a template needs."""
    return {_kind(m) for m in _TOKEN.finditer(template)}


def _kind(m: re.Match[str]) -> str:
    return m.group("name") or "frame"


def _frame_text(m: re.Match[str], frame: int) -> str:
    if m.group("hashes") is not None:
        return f"{frame:0{len(m.group('hashes'))}d}"
    if m.group("printf") is not None:
        width = m.group("printf").lstrip("0") or "0"
        return f"{frame:0{width}d}"
    width = (m.group("spec") or "").rstrip("d").lstrip("0") or "0"
    return f"{frame:0{width}d}"


def _check_token(m: re.Match[str], template: str, where: str) -> None:
    name = m.group("name")
    if name is None:
        return
    if name not in FIELDS:
        close = difflib.get_close_matches(name, FIELDS, n=1)
        raise JobError(
            f"{where}: unknown token {{{name}}} in '{template}'",
            hint=f"did you mean {{{close[0]}}}?"
            if close
            else "use {frame}, {object}, {layer}, #### or %04d",
        )
    spec = m.group("spec")
    if spec is not None and (name != "frame" or not _FRAME_SPEC.fullmatch(spec)):
        raise JobError(
            f"{where}: bad format '{{{name}:{spec}}}' in '{template}'",
            hint="only {frame} takes a padding, e.g. {frame:04d}",
        )


def validate_template(template: str, *, sequence: bool, where: str = "path") -> None:
    """Check a template for an image sequence (``sequence=True``) or a single video file.

    Raises
    ------
    JobError
        Empty template, unknown ``{token}``, a sequence without a frame token (every frame
        would overwrite the same file) or a video path with a frame token.
    """
    if not isinstance(template, str) or not template.strip():
        raise JobError(f"{where}: the output path is empty", hint="e.g. 'plate/plate.####.exr'")
    for m in _TOKEN.finditer(template):
        _check_token(m, template, where)
    framed = has_frame_token(template)
    if sequence and not framed:
        stem, dot, ext = template.rpartition(".")
        example = f"{stem}.####.{ext}" if dot and "/" not in ext else "name.####.ext"
        raise JobError(
            f"{where}: '{template}' has no frame number, so every frame would overwrite one file",
            hint=f"add a frame token, e.g. '{example}'",
        )
    if not sequence and framed:
        raise JobError(
            f"{where}: '{template}' is a video file but has a frame token (#, %0Nd or {{frame}})",
            hint="write one file per video, e.g. 'plate.mov'",
        )


def expand(
    template: str,
    frame: int | None = None,
    object: str | None = None,  # the template field is called {object}
    layer: str | None = None,
) -> str:
    """Fill a template: ``####`` → frame padded to the count of ``#``; ``%04d`` likewise;
    ``{frame}`` (or ``{frame:04d}``) → frame; ``{object}``/``{layer}`` → the names given.

    Parameters
    ----------
    template
        E.g. ``"{object}/matte.####.exr"``.
    frame, object, layer
        Values for the tokens present; a token whose value is missing raises.

    Returns
    -------
    str
        The expanded path text.

    Raises
    ------
    JobError
        Unknown token, or a token present without a value.
    """
    values = {"frame": frame, "object": object, "layer": layer}

    def fill(m: re.Match[str]) -> str:
        _check_token(m, template, "path")
        kind = _kind(m)
        value = values[kind]
        if value is None:
            raise JobError(
                f"path '{template}' needs a {kind} but none was given",
                hint=f"remove the {kind} token from the path or export per {kind}",
            )
        return _frame_text(m, int(value)) if kind == "frame" else _safe_name(str(value))

    return _TOKEN.sub(fill, template)


def _safe_name(name: str) -> str:
    """Object/layer names become path parts: no separators or control characters."""
    cleaned = re.sub(r"[\\/:*?\"<>|\x00-\x1f]", "_", name).strip()
    return cleaned or "_"


def fill_names(template: str, object: str | None = None, layer: str | None = None) -> str:
    """Fill ``{object}``/``{layer}`` only, leaving the frame token as written (``####``,
    ``%04d``, ``{frame}``): for scripts that refer to a whole sequence (Nuke Read, Flame)."""
    values = {"object": object, "layer": layer}

    def fill(m: re.Match[str]) -> str:
        _check_token(m, template, "path")
        kind = _kind(m)
        if kind == "frame" or values[kind] is None:
            return m.group(0)
        return _safe_name(str(values[kind]))

    return _TOKEN.sub(fill, template)
