"""Cache keys, the registry of cache kinds, and conversion of values to cacheable arrays."""

from __future__ import annotations

import difflib
import hashlib
import threading
from dataclasses import dataclass

import numpy as np

from ultimate_roto.core.errors import InputError

BUILTIN_KINDS: tuple[str, ...] = ("frame", "embedding", "mask", "matte", "depth")

_kinds_lock = threading.Lock()
# kind name -> whether torch tensors are accepted as values (converted to numpy on put)
_kinds: dict[str, bool] = {k: k == "embedding" for k in BUILTIN_KINDS}


def register_kind(name: str, *, tensors: bool = False) -> None:
    """Register an extra cache kind (for example ``"flow"``).

    Parameters
    ----------
    name
        The kind's name: a non-empty identifier-like string.
    tensors
        Accept torch tensors as values of this kind (stored as numpy arrays).

    Raises
    ------
    InputError
        If the name is empty or not a string.
    """
    if not isinstance(name, str) or not name.strip():
        raise InputError(
            f"cache kind name must be a non-empty string, got {name!r}",
            hint="pass a short name such as 'flow'",
        )
    with _kinds_lock:
        _kinds[name] = bool(tensors) or _kinds.get(name, False)


def registered_kinds() -> tuple[str, ...]:
    """The kinds a :class:`CacheKey` may use, built-in ones first."""
    with _kinds_lock:
        return tuple(_kinds)


def accepts_tensors(kind: str) -> bool:
    """Whether values of ``kind`` may be torch tensors."""
    return _kinds.get(kind, False)


def check_kind(kind: object) -> str:
    """Return ``kind`` if it is registered, else raise :class:`InputError` with a suggestion."""
    if isinstance(kind, str) and kind in _kinds:
        return kind
    known = registered_kinds()
    close = difflib.get_close_matches(str(kind), known, n=1)
    guess = f"did you mean '{close[0]}'? " if close else ""
    raise InputError(
        f"unknown cache kind {kind!r} (known kinds: {', '.join(known)})",
        hint=f"{guess}use a known kind or register it first with register_kind({kind!r})",
    )


@dataclass(frozen=True, slots=True)
class CacheKey:
    """Identifies one cached value.

    Parameters
    ----------
    media_id
        Identifies the media (a path, or a project-unique id).
    frame
        Frame number in the media's own numbering.
    kind
        One of :func:`registered_kinds` ("frame", "embedding", "mask", "matte", "depth" ...).
    params
        Whatever else the value depends on (model id, colour transform, object id ...): a
        hashable tuple or a string.
    """

    media_id: str
    frame: int
    kind: str
    params: tuple | str = ()

    def __post_init__(self) -> None:
        if not isinstance(self.media_id, str):
            raise InputError(
                f"CacheKey media_id must be a string, got {type(self.media_id).__name__}",
                hint="use the media path or a project-unique id string",
            )
        if isinstance(self.frame, bool) or not isinstance(self.frame, int | np.integer):
            raise InputError(
                f"CacheKey frame must be an integer, got {self.frame!r}",
                hint="pass the frame number as an int",
            )
        if isinstance(self.frame, np.integer):
            object.__setattr__(self, "frame", int(self.frame))
        check_kind(self.kind)
        if not isinstance(self.params, tuple | str):
            raise InputError(
                f"CacheKey params must be a hashable tuple or a string, got {self.params!r}",
                hint="turn lists into tuples and dicts into sorted tuples of items",
            )
        try:
            hash(self.params)
        except TypeError as exc:
            raise InputError(
                f"CacheKey params {self.params!r} are not hashable ({exc})",
                hint="use only tuples, strings and numbers inside params",
            ) from None

    def digest(self) -> str:
        """A stable hex digest of the key (used to name disk files)."""
        text = repr((self.media_id, self.frame, self.kind, self.params))
        return hashlib.sha256(text.encode("utf-8", "backslashreplace")).hexdigest()[:40]


def _is_tensor(value: object) -> bool:
    return type(value).__module__.split(".")[0] == "torch" and hasattr(value, "detach")


def to_array(key: CacheKey, value: object) -> np.ndarray:
    """Convert ``value`` to the numpy array the cache stores for ``key``.

    numpy arrays are kept as they are (no copy); torch tensors are accepted for kinds registered
    with ``tensors=True`` (``"embedding"``) and stored as ``value.detach().cpu().numpy()``.

    Raises
    ------
    InputError
        For anything else, or for arrays of Python objects (they cannot be saved without pickle).
    """
    if _is_tensor(value) and accepts_tensors(key.kind):
        tensor = value.detach().cpu()  # type: ignore[attr-defined]
        try:
            value = tensor.numpy()
        except TypeError as exc:  # e.g. bfloat16 has no numpy dtype
            raise InputError(
                f"cannot cache the {key.kind} tensor for frame {key.frame} ({exc})",
                hint="convert the tensor with .float() before caching it",
            ) from None
    if not isinstance(value, np.ndarray):
        allowed = (
            "a numpy array or a torch tensor" if accepts_tensors(key.kind) else "a numpy array"
        )
        raise InputError(
            f"cache value for {key.kind} of {key.media_id!r} frame {key.frame} must be "
            f"{allowed}, got {type(value).__name__}",
            hint="convert the value with numpy.asarray(...) before caching it",
        )
    if value.dtype.hasobject:
        raise InputError(
            f"cache value for {key.kind} frame {key.frame} has dtype object",
            hint="cache numeric or boolean arrays only",
        )
    return value
