"""Legal, stable EXR layer / Nuke node names for user object names (sanitised and reported)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# Nuke's built-in layers (and our own AOV layers): an object called "depth" must not land there.
RESERVED = frozenset(
    {
        "rgba",
        "rgb",
        "alpha",
        "depth",
        "motion",
        "forward",
        "backward",
        "mask",
        "matte",
        "n",
        "id",
        "cryptoobject",
        "root",
        "rotopaint_mask",
    }
)
_ILLEGAL = re.compile(r"[^A-Za-z0-9_]+")


@dataclass(frozen=True)
class NameMap:
    """Original object name → legal name, plus what was changed and why.

    Attributes
    ----------
    mapping
        ``{original: legal}`` for every name given.
    changes
        ``{original: reason}`` for the names that had to change.
    """

    mapping: dict[str, str]
    changes: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> str:
        return self.mapping[name]

    def report(self) -> list[str]:
        """One line per renamed object: ``'my car' → my_car (spaces/punctuation replaced)``."""
        return [f"{orig!r} → {self.mapping[orig]} ({why})" for orig, why in self.changes.items()]


def sanitize(name: str) -> tuple[str, str | None]:
    """A legal name for one object and the reason it changed (``None`` when unchanged).

    Legal means ``[A-Za-z_][A-Za-z0-9_]*`` (valid as a Nuke node/layer name and as the layer part
    of an EXR channel name, so no dots), not a reserved built-in layer name.
    """
    text = str(name)
    safe = _ILLEGAL.sub("_", text).strip("_")
    reasons = []
    if safe != text:
        reasons.append("characters other than letters, digits and _ replaced")
    if not safe:
        safe = "object"
        reasons.append("empty after cleaning")
    if safe[0].isdigit():
        safe = "obj_" + safe
        reasons.append("cannot start with a digit")
    if safe.lower() in RESERVED:
        safe += "_obj"
        reasons.append("clashes with a built-in layer name")
    return safe, ("; ".join(reasons) or None)


def sanitize_names(names: Iterable[str]) -> NameMap:
    """Legal, unique names for a set of objects, the same for every frame of a sequence.

    Collisions after cleaning (``"a b"`` and ``"a-b"`` both give ``a_b``) are resolved in sorted
    order of the original names with ``_2``, ``_3`` … suffixes, so the result depends only on the
    set of names, never on the order they arrive in.
    """
    originals = sorted(set(names), key=lambda s: (str(s).lower(), str(s)))
    mapping: dict[str, str] = {}
    changes: dict[str, str] = {}
    taken: set[str] = set()
    for orig in originals:
        safe, why = sanitize(orig)
        base, n = safe, 1
        while safe.lower() in taken:
            n += 1
            safe = f"{base}_{n}"
        if safe != base:
            why = (why + "; " if why else "") + "renamed to avoid a clash with another object"
        taken.add(safe.lower())
        mapping[orig] = safe
        if why:
            changes[orig] = why
    return NameMap(mapping, changes)
